"""Hypothesis strategies for everything the desk parses: MIME messages, chat and CTI JSON,
Twilio form posts and CSV import files.

Each strategy mixes three kinds of input, because each finds different bugs:

* valid-shaped payloads with hostile values (markup, CR/LF, NUL, lone surrogates, huge
  strings, extreme dates): they get past the parser and reach the database and the UI;
* structurally broken payloads (wrong types, extra keys, deep nesting, bad boundaries,
  8-bit headers): they exercise the parsers' error paths;
* raw byte mutations of valid payloads: what a flaky relay or an attacker really sends.

MIME messages are built with the standard library's ``email`` package (structure, encoded
words, transfer encodings), then hostile raw header lines are prepended and the bytes
mutated; the stdlib refuses to *generate* most of the malformations a parser must survive.
Everything is deterministic in the drawn data (fixed MIME boundaries, no ``random``), so
Hypothesis can shrink and replay.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import quopri
import re
import string
from collections.abc import Callable
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.policy import compat32
from email.utils import format_datetime
from typing import Any

from hypothesis import strategies as st

from triage.csv_import import COLUMNS

# ------------------------------------------------------------------ hostile text

#: Markup and URL tricks that must never run in the desk (they are shown as text).
XSS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">klikk</a>',
    "<iframe src=//evil.example></iframe>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "{{ 7*7 }}{% raw %}",
    "<style>body{display:none}</style>",
    "<!--",
    "&lt;script&gt;",
)
#: Header and log injection: CR/LF, Unicode line breaks, NUL.
INJECTION = (
    "\r\nBcc: victim@example.com",
    "\r\nSet-Cookie: session=evil",
    "\nX-Injected: 1",
    "\r\n\r\n<html>",
    "\u2028\u2029",
    "\x00",
    "\x1b[31m",
)
#: Spreadsheet formula prefixes (CSV export must defuse them).
FORMULAS = ('=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1")
HOSTILE = XSS + INJECTION + FORMULAS

any_text = st.text(max_size=60)  # every code point but surrogates
# Lone surrogates (JSON can carry them as \ud800 escapes), controls and NUL included.
wild_text = st.text(alphabet=st.characters(codec=None), max_size=60)


def hostile_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Text that is usually plausible, often hostile, sometimes both."""
    return st.one_of(
        st.text(max_size=max_size),
        st.sampled_from(HOSTILE),
        st.builds(
            lambda a, b, c: a + b + c,
            st.text(max_size=10),
            st.sampled_from(HOSTILE),
            st.text(max_size=10),
        ),
    )


def around(limit: int) -> st.SearchStrategy[str]:
    """Text of about ``limit`` characters: one under, at, or one over a length limit."""
    return st.builds(
        lambda ch, n: ch * n,
        st.sampled_from(["a", "é", "\U0001f4a9"]),
        st.integers(limit - 1, limit + 1),
    )


huge_text = st.builds(
    lambda ch, n: ch * n,
    st.sampled_from(["a", "é", "\U0001f4a9", "<", " ", "\n"]),
    st.integers(1, 300_000),
)

# ------------------------------------------------------------------ MIME messages

#: Declared charsets: real ones, supersets, aliases, unknown ones, and codecs that are not
#: charsets at all (bytes-to-bytes, escape-interpreting, quadratic).
CHARSETS = (
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "koi8-r",
    "shift_jis",
    "gb2312",
    "big5",
    "utf-16",
    "utf-7",
    "UTF8",
    '"utf-8"',
    "x-unknown",
    "",
    "unicode-escape",
    "punycode",
    "idna",
    "hex",
    "rot13",
    "base64",
    "zlib",
)
#: Charsets an encoded word may name (the stdlib encodes the header with them).
HEADER_CHARSETS = ("utf-8", "iso-8859-1", "koi8-r", "shift_jis", "big5", "gb2312")
TRANSFER_ENCODINGS = ("7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus")
LEAF_TYPES = (
    "text/plain",
    "text/html",
    "text/enriched",
    "text/calendar",
    "application/octet-stream",
    "application/pdf",
    "image/png",
    "message/delivery-status",
    "text/rfc822-headers",
    "multipart/mixed",  # a multipart without a boundary: read as text
    "garbage",
    "text/",
    "/plain",
)
MULTIPART_SUBTYPES = ("mixed", "alternative", "related", "report", "signed", "digest", "x-odd")
FILENAMES = (
    "rapport.pdf",
    "../../etc/passwd",
    "C:\\Windows\\system32\\evil.exe",
    "invoice\u202efdp.exe",
    ".",
    "..",
    "x" * 600 + ".pdf",
    "=?utf-8?q?f=C3=B8r=2Epdf?=",
    "\x00hidden.txt",
    "<script>alert(1)</script>.html",
)
GOOD_SENDERS = ("Kari Nordmann <kari@kunde.no>", "ola@example.com", '"<b>Ola</b>" <ola@kunde.no>')
ADDRESSES = (
    "kari@kunde.no",
    "Kari Nordmann <kari@kunde.no>",
    '"Nordmann, Kari" <kari@kunde.no>',
    "=?utf-8?b?S8OlcmkgTsO4cmRtYW5u?= <kari@kunde.no>",
    "=?utf-8?q?=3Cscript=3Ealert(1)=3C/script=3E?= <x@kunde.no>",
    '"<img src=x onerror=alert(1)>" <x@kunde.no>',
    "kari@bøler.no",
    "bob@",
    "@example.com",
    "<>",
    "undisclosed-recipients:;",
    "team: a@x.no, b@y.no;",
    "a@[127.0.0.1]",
    "x@xn--zz.no",
    "kari@kunde.no (Kari <b>Nordmann</b>)",
    "MAILER-DAEMON@mx.example.com",
    "postmaster@support.nettsoft.no",
    '"unterminated <a@b.no',
    "a" * 300 + "@example.com",
)
DATES = (
    format_datetime(datetime(2026, 3, 10, 8, 10, tzinfo=UTC)),
    "Tue, 10 Mar 2026 09:10:00 +0100",
    "10 Mar 2026 09:10 -0000",
    "Mon, 1 Jan 0001 00:00:00 +1400",
    "Fri, 31 Dec 9999 23:59:59 -1400",
    "Fri, 31 Dec 9999 23:59:59 +9999",
    "yesterday",
    "",
    "Tue, 30 Feb 2026 25:61:61 +0100",
    "Tue, 10 Mar 99999999999999999999 09:10:00 +0100",
)
MESSAGE_IDS = (
    "<a1@kunde.no>",
    "<a1@kunde.no>",  # twice: the same message delivered again
    "no-brackets@kunde.no",
    "<>",
    "",
    "<" + "m" * 2000 + "@kunde.no>",
    "<x\r\nBcc: evil@example.com>",
    "<\x00@kunde.no>",
    "(comment) <c@kunde.no>",
)
SUBJECTS = (
    "Sentralbordet svarer ikke",
    "Re: [#1] Fortsatt nede",
    "SV: [Sak #999999999999999999] overflow?",
    "[#0] [# 2]",
    "=?utf-8?q?=C3=98delagt?= =?utf-8?b?w7hkZWxhZ3Q=?=",
    "=?utf-8?Q?a=0D=0ABcc:_victim@example.com?=",
    "=?x-unknown?Q?abc?=",
    "=?utf-8?B?!!!broken!!!?=",
    "=?utf-8*en?q?spr=C3=A5k?=",
)
RAW_HEADER_LINES = (
    b"X-Long: " + b"a" * 100_000,
    b"Subject: \xff\xfe\xfd latin-1 or garbage",
    b"From: \xc3\x28 <bad-utf8@kunde.no>",
    b"Message-ID: <dup@kunde.no>",
    b"Message-ID: <dup@kunde.no>",
    b"References: " + b" ".join(b"<r%d@kunde.no>" % i for i in range(300)),
    b"To: " + b", ".join(b"u%d@kunde.no" % i for i in range(700)),
    b'In-Reply-To: Your message of "Mon, 4 Mar"',
    b"no colon in this header line",
    b" a continuation line with nothing to continue",
    b"Content-Type: multipart/mixed; boundary=",
    b'Content-Type: multipart/mixed; boundary="' + b"b" * 5000 + b'"',
    b"Content-Transfer-Encoding: base64",
    b"Auto-Submitted: auto-replied",
    b"Return-Path: <>",
    b"Subject: =?utf-8?q?" + b"=41" * 20_000 + b"?=",
    b"Date: " + b"9" * 5000,
    b"X-Nul: a\x00b",
)


def _ascii_header_text() -> st.SearchStrategy[str]:
    return st.text(alphabet=string.printable.replace("\r", "").replace("\n", ""), max_size=80)


@st.composite
def header_values(draw: st.DrawFn) -> str | Header:
    """A header value: ASCII, an encoded word the stdlib made (odd charsets), or one of
    the hand-written broken or hostile ones."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(_ascii_header_text())
    if kind == 1:
        text = draw(hostile_text(80).filter(lambda t: "\r" not in t and "\n" not in t))
        charset = draw(st.sampled_from(HEADER_CHARSETS))
        return Header(text, charset, errors="replace")
    if kind == 2:
        return draw(st.sampled_from(SUBJECTS))
    return draw(st.sampled_from(XSS))


@st.composite
def _leaf(draw: st.DrawFn) -> Message:
    ctype = draw(st.sampled_from(LEAF_TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    cte = draw(st.sampled_from(TRANSFER_ENCODINGS))
    maintype, _, subtype = ctype.partition("/")
    part = MIMEBase(maintype or "text", subtype or "plain")
    del part["Content-Type"]
    part["Content-Type"] = f"{ctype}; charset={charset}" if charset else ctype
    part["Content-Transfer-Encoding"] = cte
    body = draw(
        st.one_of(
            st.binary(max_size=300),
            hostile_text(200).map(lambda t: t.encode("utf-8", "surrogatepass")),
            st.builds(
                lambda t, cs: t.encode(cs, "replace"),
                st.text(max_size=200),
                st.sampled_from(("utf-8", "latin-1", "koi8-r", "shift_jis", "utf-16")),
            ),
            st.sampled_from(
                (
                    b"<p onclick=x()>hei<script>alert(1)</script></p>",
                    b"<html><body><a href='javascript:alert(1)'>x</a><img src=x onerror=y></body>",
                    b"<table>" + b"<tr><td>x" * 2000,
                    b"<" * 5000,
                    b"begin 644 x.txt\n#86)C\n`\nend\n",
                    b"=E5=F8=\xff=\n",
                    b"\x00" * 50,
                )
            ),
        )
    )
    if cte == "base64":
        encoded = base64.encodebytes(body)
        if draw(st.booleans()):
            encoded = encoded[: len(encoded) // 2] + b"!!not base64!!"
    elif cte == "quoted-printable":
        encoded = quopri.encodestring(body)
    else:
        encoded = body
    part.set_payload(encoded.decode("ascii", "surrogateescape"))
    if draw(st.integers(0, 3)) == 0:
        disposition = draw(st.sampled_from(("attachment", "inline", "bogus")))
        part.add_header(
            "Content-Disposition", disposition, filename=draw(st.sampled_from(FILENAMES))
        )
    return part


boundaries = st.text(
    alphabet=string.ascii_letters + string.digits + "'()+_,-./:=? ", min_size=1, max_size=70
)


def _tree(depth: int) -> st.SearchStrategy[Message]:
    if depth <= 0:
        return _leaf()
    return st.one_of(_leaf(), _multipart(depth), _forwarded(depth))


@st.composite
def _multipart(draw: st.DrawFn, depth: int) -> Message:
    part = MIMEMultipart(draw(st.sampled_from(MULTIPART_SUBTYPES)))
    part.set_boundary(draw(boundaries))
    for child in draw(st.lists(_tree(depth - 1), max_size=4)):
        part.attach(child)
    if draw(st.booleans()):
        part.preamble = draw(hostile_text(40))
    return part


@st.composite
def _forwarded(draw: st.DrawFn, depth: int) -> Message:
    inner = draw(_tree(depth - 1))
    inner["Subject"] = draw(header_values())
    inner["From"] = draw(st.sampled_from(ADDRESSES))
    return MIMEMessage(inner)


class _Generator(BytesGenerator):
    """The stdlib's generator without its one use of ``random``: a multipart whose
    boundary parameter is unusable gets a fixed one, so every draw replays exactly."""

    @classmethod
    def _make_boundary(cls, text: str | None = None) -> str:
        return "=_fuzz_fallback_boundary_="


def _serialise(msg: Message, linesep: str) -> bytes:
    out = io.BytesIO()
    try:
        _Generator(out, mangle_from_=False, policy=compat32.clone(linesep=linesep)).flatten(msg)
    except Exception:  # the stdlib refuses some structures it can parse; keep the headers
        head = "".join(f"{k}: {v}{linesep}" for k, v in msg.items())
        return (head + linesep + "body" + linesep).encode("ascii", "replace")
    return out.getvalue()


@st.composite
def mime_messages(draw: st.DrawFn) -> bytes:
    """A whole message: stdlib-built MIME tree and headers, then raw damage."""
    msg = draw(_tree(draw(st.integers(0, 3))))
    for _ in range(draw(st.sampled_from((0, 1, 1, 1, 2)))):  # mostly one From
        msg["From"] = draw(
            st.one_of(
                st.sampled_from(GOOD_SENDERS), st.sampled_from(ADDRESSES), _ascii_header_text()
            )
        )
    msg["To"] = draw(st.sampled_from(("support@desk.example.no", *ADDRESSES)))
    msg["Subject"] = draw(header_values())
    msg["Date"] = draw(st.sampled_from(DATES))
    for _ in range(draw(st.integers(0, 2))):  # missing, one or duplicate Message-ID
        msg["Message-ID"] = draw(st.sampled_from(MESSAGE_IDS))
    for name, value in draw(
        st.lists(
            st.tuples(
                st.sampled_from(
                    ("In-Reply-To", "References", "Cc", "Reply-To", "X-Mailer", "Precedence")
                ),
                header_values(),
            ),
            max_size=4,
        )
    ):
        msg[name] = value
    if "MIME-Version" not in msg:
        msg["MIME-Version"] = "1.0"
    raw = _serialise(msg, draw(st.sampled_from(("\r\n", "\n"))))
    prepend = draw(st.lists(st.sampled_from(RAW_HEADER_LINES), max_size=3))
    if prepend:
        raw = b"\r\n".join(prepend) + b"\r\n" + raw
    return draw(_damaged(raw))


@st.composite
def _damaged(draw: st.DrawFn, raw: bytes) -> bytes:
    """Sometimes leave it alone; else break boundaries, line ends or bytes."""
    choice = draw(st.integers(0, 5))
    if choice == 0 and b"--" in raw:  # drop every closing boundary delimiter
        return raw.replace(b"--\r\n", b"\r\n").replace(b"--\n", b"\n")
    if choice == 1:  # bare CR or LF line ends mixed in
        return raw.replace(
            b"\r\n", draw(st.sampled_from((b"\r", b"\n", b"\n\r"))), draw(st.integers(1, 20))
        )
    if choice == 2:
        return draw(mutations(raw))
    return raw


@st.composite
def mutations(draw: st.DrawFn, raw: bytes) -> bytes:
    """One to five raw byte mutations of ``raw``: flip, insert, delete, duplicate, cut."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 5))):
        size = len(data)
        at = draw(st.integers(0, size))
        op = draw(st.integers(0, 4))
        if op == 0 and size:
            data[min(at, size - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == 1:
            data[at:at] = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=20),
                    st.sampled_from((b"\r\n", b"\r\n\r\n", b"--", b"=?", b"\xff", b"\x00", b":")),
                )
            )
        elif op == 2:
            del data[at : at + draw(st.integers(1, 40))]
        elif op == 3:
            end = min(size, at + draw(st.integers(1, 200)))
            data[at:at] = data[at:end] * draw(st.integers(1, 5))
        else:
            del data[at:]
    return bytes(data)


VALID_EMAILS = (
    b"From: Kari Nordmann <kari@kunde.no>\r\nTo: support@desk.example.no\r\n"
    b"Subject: Sentralbordet svarer ikke\r\nDate: Tue, 10 Mar 2026 09:10:00 +0100\r\n"
    b"Message-ID: <valid-1@kunde.no>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    b"Hele bedriften er uten telefon.\r\n",
    b"From: =?utf-8?q?=C3=85se?= <ase@kunde.no>\r\nTo: support@desk.example.no\r\n"
    b"Subject: =?utf-8?b?w5hkZWxhZ3Qgc2VydmVy?=\r\nMessage-ID: <valid-2@kunde.no>\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="XX"\r\n\r\n'
    b"--XX\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\nServeren er nede, f=E5r ikke logget inn\r\n"
    b"--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Serveren er <b>nede</b><script>alert(1)</script></p>\r\n"
    b'--XX\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
    b'Content-Disposition: attachment; filename="a.pdf"\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n',
)

#: Raw e-mail bodies: generated, mutated valid ones, or any bytes at all.
email_bodies = st.one_of(
    mime_messages(),
    st.sampled_from(VALID_EMAILS).flatmap(mutations),
    st.binary(max_size=500),
)

# ------------------------------------------------------------------ JSON (chat, CTI)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    wild_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)

identifiers = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.:-]{1,40}", fullmatch=True),
    hostile_text(),
    st.text(min_size=199, max_size=202),
    json_values,
)
instants = st.one_of(
    st.sampled_from(
        (
            "2026-03-10T08:59:00+01:00",
            "2026-03-10T08:59:00",  # no offset: Oslo
            "2026-03-29T02:30:00",  # in the spring-forward gap
            "2026-03-10T08:59:00Z",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59.999999",
            "2026-13-45T99:99:99",
            "+002026-03-10",
            "2026-03-10T08:59:00+24:00",
            "",
        )
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    any_text,
    json_values,
)
emails = st.one_of(
    st.sampled_from(
        (
            "kari@kunde.no",
            "KARI@Kunde.NO",
            "kari@bøler.no",
            "x@xn--zz.no",
            "a@" + "b" * 300 + ".no",
            "not an address",
            "a@b",
            "<script>@x.no",
            "kari@kunde.no\r\nBcc: x@y.no",
        )
    ),
    hostile_text(),
    json_values,
)
phones = st.one_of(
    st.sampled_from(
        (
            "+47 22 88 19 19",
            "004722881919",
            "+4721000001",
            "anonymous",
            "Restricted",
            "123",
            "+" + "9" * 40,
            "+47 22 88 19 19\n",
            "١٢٣٤٥٦٧٨",  # Arabic-Indic digits
            "²³⁴",
        )
    ),
    any_text,
    json_values,
)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, st.just(_MISSING))


_MISSING = object()


def _present(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not _MISSING}


def _with_extras(strategy: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Sometimes an unknown key or two, sometimes the object in a list or replaced."""
    return st.one_of(
        strategy,
        st.builds(
            lambda d, extra: {**d, **extra},
            strategy,
            st.dictionaries(st.text(max_size=8), json_values, max_size=2),
        ),
        strategy.map(lambda d: [d]),
    )


chat_senders = _with_extras(
    st.builds(
        _present,
        name=_optional(st.one_of(hostile_text(), st.text(min_size=199, max_size=201), json_values)),
        email=_optional(emails),
        phone=_optional(phones),
    )
)
chat_objects = _with_extras(
    st.builds(
        _present,
        conversation_id=_optional(identifiers),
        message_id=_optional(identifiers),
        sender=_optional(st.one_of(chat_senders, json_values)),
        text=_optional(st.one_of(hostile_text(200), around(20_000), json_values)),
        sent_at=_optional(instants),
    )
)
_CONTROLS = re.compile("[\x00-\x1f\x7f]")
#: Objects that pass the schema (hostile values in the free text): these become tickets.
valid_chat_objects = st.builds(
    lambda conv, msg, name, email, text, at: {
        "conversation_id": conv,
        "message_id": msg,
        "sender": {"name": name, "email": email},
        "text": text,
        "sent_at": at,
    },
    st.from_regex(r"conv-[a-z0-9]{1,12}", fullmatch=True),
    st.from_regex(r"msg-[a-z0-9]{1,12}", fullmatch=True),
    hostile_text().filter(lambda t: len(t) <= 200 and _CONTROLS.sub("", t).strip()),
    st.sampled_from(("kari@kunde.no", "ola@example.com")),
    hostile_text(200).filter(lambda t: t.replace("\x00", "").strip()),
    st.sampled_from(("2026-03-10T08:59:00+01:00", "2026-03-10T08:59:00")),
)

cti_objects = _with_extras(
    st.builds(
        _present,
        event=_optional(
            st.one_of(st.sampled_from(("new_call", "answered", "hung_up", "missed")), json_values)
        ),
        call_id=_optional(identifiers),
        **{"from": _optional(phones)},
        to=_optional(phones),
        at=_optional(instants),
    )
)


def _dumps(value: Any, ascii_only: bool) -> bytes:
    # Lone surrogates with ensure_ascii=False become invalid UTF-8 (CESU-style) bytes.
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def _deeply_nested(depth: int, kind: str) -> bytes:
    if kind == "list":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


NOT_JSON = (
    b"",
    b"\xef\xbb\xbf{}",  # a UTF-8 byte-order mark
    b'{"text": NaN, "x": Infinity}',
    b'{"a": ' + b"1" * 5000 + b"}",  # longer than Python's int-from-text limit
    b'{"a": 1e999999}',
    b'{"message_id": "a", "message_id": "b"}',
    b"[1, 2, 3]",
    b'"just a string"',
    b"null",
    b"{'single': 'quotes'}",
    b'{"a": "\\ud800"}',
    b'{"a": "\xff\xfe"}',
    b"\x00\x00\x00{",
    b'{"a": "unterminated',
)


def json_bodies(objects: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """A JSON webhook body: shaped objects, any JSON, deep nesting, huge or non-JSON bytes."""
    return st.one_of(
        st.builds(_dumps, objects, st.booleans()),
        st.builds(_dumps, json_values, st.booleans()),
        st.builds(_deeply_nested, st.integers(1, 200_000), st.sampled_from(("list", "dict"))),
        st.builds(lambda text: _dumps({"text": text}, False), huge_text),
        st.sampled_from(NOT_JSON),
        st.binary(max_size=200),
        st.builds(_dumps, objects, st.booleans()).flatmap(mutations),
    )


valid_cti_objects = st.builds(
    lambda event, call, caller, at: {
        "event": event,
        "call_id": call,
        "from": caller,
        "to": "+4721000001",
        "at": at,
    },
    st.sampled_from(("new_call", "answered", "hung_up", "missed")),
    st.from_regex(r"call-[a-z0-9]{1,12}", fullmatch=True),
    st.sampled_from(("+4799887766", "anonymous", "004799887766", "+47 (22) 88-19.19")),
    instants,
)
chat_bodies = st.one_of(
    json_bodies(chat_objects), st.builds(_dumps, valid_chat_objects, st.booleans())
)
cti_bodies = st.one_of(
    json_bodies(cti_objects), st.builds(_dumps, valid_cti_objects, st.booleans())
)

# ------------------------------------------------------------------ Twilio forms

CALL_SID = st.one_of(
    st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True),
    st.sampled_from(("CA" + "0" * 32 + "\n", "CA", "SM" + "1" * 32)),
    any_text,
)
form_text = st.one_of(
    hostile_text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    huge_text.map(lambda t: t[:5000]),
)
VOICE_FIELDS: dict[str, st.SearchStrategy[str]] = {
    "CallSid": CALL_SID,
    "AccountSid": st.just("AC" + "1" * 32),
    "From": st.one_of(st.sampled_from(("+4799887766", "anonymous", "client:alice", "")), form_text),
    "To": st.one_of(st.sampled_from(("+4721000001", "+4791000000")), form_text),
    "CallStatus": st.one_of(
        st.sampled_from(("ringing", "in-progress", "completed", "busy", "no-answer")), form_text
    ),
    "Direction": st.one_of(st.just("inbound"), form_text),
    "RecordingSid": st.one_of(st.from_regex(r"RE[0-9a-f]{32}", fullmatch=True), form_text),
    "RecordingUrl": st.one_of(
        st.sampled_from(("https://api.twilio.com/rec/RE1", "javascript:alert(1)")), form_text
    ),
    "RecordingDuration": st.one_of(st.sampled_from(("12", "-1", "9" * 30)), form_text),
    "RecordingStatus": st.one_of(st.just("completed"), form_text),
    "TranscriptionSid": st.one_of(st.from_regex(r"TR[0-9a-f]{32}", fullmatch=True), form_text),
    "TranscriptionStatus": st.one_of(st.just("completed"), form_text),
    "TranscriptionText": st.one_of(form_text, around(20_000)),
}
SMS_FIELDS: dict[str, st.SearchStrategy[str]] = {
    "MessageSid": st.one_of(st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True), form_text),
    "SmsSid": st.one_of(st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True), form_text),
    "From": st.one_of(st.sampled_from(("+4791234567", "+47 912 34 567", "")), form_text),
    "To": st.just("+4791000000"),
    "Body": st.one_of(
        st.sampled_from(("ACK 1", "START 1", "ack", "#12 ack", "ACK 99999999999999999999", "HELP")),
        form_text,
    ),
    "NumMedia": st.sampled_from(("0", "1", "x")),
}
#: The SID of an SMS the status tests put in the outbox, so some reports update it.
KNOWN_SMS_SID = "SM" + "a" * 32
STATUS_FIELDS: dict[str, st.SearchStrategy[str]] = {
    "MessageSid": st.one_of(
        st.just(KNOWN_SMS_SID), st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True), form_text
    ),
    "MessageStatus": st.one_of(
        st.sampled_from(("queued", "sent", "delivered", "undelivered", "failed")), form_text
    ),
    "To": st.one_of(st.sampled_from(("+4791234567", "+47 912 34 567", "0047", "")), form_text),
    "ErrorCode": st.one_of(
        st.sampled_from(
            ("30003", "", "0", "-1", "2147483648", "9" * 30, "²", "١٢", "1_000", " 12")
        ),
        form_text,
    ),
}


def twilio_forms(
    known: dict[str, st.SearchStrategy[str]],
    values: Callable[[], st.SearchStrategy[str]] = lambda: form_text,
) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Form pairs: a random subset of the known fields (so some are missing), sometimes a
    field twice, sometimes unknown fields with unicode names."""

    @st.composite
    def build(draw: st.DrawFn) -> list[tuple[str, str]]:
        names = draw(st.lists(st.sampled_from(sorted(known)), unique=True, max_size=len(known)))
        first = next(iter(known))  # the id field, present most of the time
        if first not in names and draw(st.integers(0, 3)):
            names.insert(0, first)
        pairs = [(name, draw(known[name])) for name in names]
        if pairs and draw(st.integers(0, 5)) == 0:  # a field twice
            name = draw(st.sampled_from(names))
            pairs.append((name, draw(known[name])))
        pairs += draw(st.lists(st.tuples(form_text, values()), max_size=3))
        return pairs

    return build()


voice_forms = twilio_forms(VOICE_FIELDS)
sms_forms = twilio_forms(SMS_FIELDS)
status_forms = twilio_forms(STATUS_FIELDS)

# ------------------------------------------------------------------ CSV import

CONTRACT_IDS = ("nettsoft-mbn", "pindena", "sensio-velferd", "nettsoft-vps-access")
CSV_CELLS: dict[str, st.SearchStrategy[str]] = {
    "external_id": st.one_of(
        st.from_regex(r"x-[0-9]{1,4}", fullmatch=True),
        hostile_text(),
        st.text(min_size=190, max_size=260),
    ),
    "contract": st.one_of(st.sampled_from(CONTRACT_IDS), any_text),
    "received_at": st.one_of(
        st.sampled_from(
            (
                "2026-03-10T09:00",
                "2026-03-10T09:00+01:00",
                "2026-03-29T02:30",
                "2026-10-25T02:30",
                "0001-01-01T00:00+14:00",
                "9999-12-31T23:59-14:00",
                "1900-01-01T00:00",
                "2200-01-01T00:00",
                "yesterday",
                "",
            )
        ),
        any_text,
    ),
    "responded_at": st.one_of(
        st.sampled_from(("", "2026-03-10T10:00", "2026-03-10T08:00", "9999-12-31T23:59")), any_text
    ),
    "severity": st.one_of(
        st.sampled_from(("", "critical", "non-critical", "KRIT", "high")), any_text
    ),
    "channel": st.one_of(
        st.sampled_from(("", "email", "chat", "phone", "import", "fax")), any_text
    ),
    "subject": st.one_of(hostile_text(), st.sampled_from(FORMULAS)),
    "body": st.one_of(hostile_text(200), huge_text.map(lambda t: t[:50_000])),
}


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """An import file: a (sometimes damaged) header and rows of hostile cells."""
    columns = list(COLUMNS)
    header_kind = draw(st.integers(0, 5))
    if header_kind == 1:
        columns = draw(st.permutations(columns))
    elif header_kind == 2:
        columns = [*columns, draw(st.text(max_size=10))]
    elif header_kind == 3:
        columns.remove(draw(st.sampled_from(columns)))
    header = [c.upper() if draw(st.integers(0, 9)) == 0 else c for c in columns]
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = [draw(CSV_CELLS[c]) if c in CSV_CELLS else draw(any_text) for c in columns]
        if draw(st.integers(0, 7)) == 0:
            row = row[: draw(st.integers(0, len(row)))]
        rows.append(row)
    out = io.StringIO(newline="")
    quoting = draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC)))
    writer = csv.writer(out, quoting=quoting, lineterminator=draw(st.sampled_from(("\r\n", "\n"))))
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 3)) == 0:
        data = draw(mutations(data))
    return data


csv_bodies = st.one_of(
    csv_files(),
    st.binary(max_size=300),
    st.sampled_from(
        (
            b"",
            b"\n\n\n",
            ",".join(COLUMNS).encode() + b'\nx,nettsoft-mbn,2026-03-10T09:00,,,email,"unterminated',
            ",".join(COLUMNS).encode() + b"\n" + b"\x00" * 20,
            ",".join(COLUMNS).encode()
            + b"\nx,nettsoft-mbn,2026-03-10T09:00,,,email,s,"
            + b"b" * 1_100_000,
        )
    ),
)


def json_dumps(value: Any) -> bytes:
    """A JSON body as senders write it (UTF-8, ASCII escapes)."""
    return _dumps(value, True)
