"""The IMAP poller against a real Dovecot: what is handed over, what gets \\Seen, and when.

Messages are delivered by IMAP APPEND and their flags read back over IMAP (``dovecot.py``);
the poller under test talks to the same server through ``IMAP_URL``.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
import traceback
from urllib.parse import quote

import pytest

from tests.workers.dovecot import AGENT, TESTER, Dovecot, Mailbox
from workers.channels.imap import ImapTarget, PollResult, _modified_utf7, poll_mailbox


def message(n: int, body: bytes = b"Skriveren i 2. etasje virker ikke.") -> bytes:
    """A small ticket e-mail with CRLF line ends, as it sits in a mailbox."""
    return (
        b"From: Kari Nordmann <kari@customer.example>\r\n"
        b"To: helpdesk@desk.example\r\n"
        b"Subject: Sak nummer " + str(n).encode() + b"\r\n"
        b"Date: Mon, 30 Mar 2026 09:00:00 +0200\r\n"
        b"Message-ID: <ticket-" + str(n).encode() + b"@customer.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"\r\n" + body + b"\r\n"
    )


class Collect:
    """A handler that stores what it is given, optionally raising for chosen messages."""

    def __init__(self, fail_on: tuple[bytes, ...] = ()) -> None:
        self.received: list[bytes] = []
        self.fail_on = fail_on

    def __call__(self, raw: bytes) -> None:
        if any(marker in raw for marker in self.fail_on):
            raise ValueError("cannot store this one")
        self.received.append(raw)


# --- fetching and flagging -------------------------------------------------------------------


def test_unseen_messages_are_handed_over_exactly_and_then_marked_seen(
    dovecot: Dovecot, mailbox: Mailbox
) -> None:
    sent = [message(n) for n in range(3)]
    uids = [mailbox.append(raw) for raw in sent]
    unseen_while_handling: list[bool] = []
    received: list[bytes] = []

    def handle(raw: bytes) -> None:
        # BODY.PEEK: being fetched does not flag it; only a returned handler does.
        current = uids[len(received)]
        unseen_while_handling.append(current in mailbox.unseen())
        received.append(raw)

    result = poll_mailbox(dovecot.url(folder=mailbox.name), handle)

    assert result == PollResult(fetched=3, stored=3, failed=0)
    assert received == sent  # exact bytes, oldest first
    assert unseen_while_handling == [True, True, True]
    assert mailbox.seen() == set(uids) and mailbox.unseen() == set()
    again = Collect()
    assert poll_mailbox(dovecot.url(folder=mailbox.name), again) == PollResult(0, 0, 0)
    assert again.received == []


def test_already_seen_messages_are_not_fetched(dovecot: Dovecot, mailbox: Mailbox) -> None:
    mailbox.append(message(1), seen=True)
    fresh = mailbox.append(message(2))
    mailbox.append(message(3), seen=True)
    handler = Collect()

    result = poll_mailbox(dovecot.url(folder=mailbox.name), handler)

    assert result == PollResult(fetched=1, stored=1, failed=0)
    assert handler.received == [message(2)]
    assert fresh in mailbox.seen()


def test_a_failing_handler_leaves_only_that_message_unseen(
    dovecot: Dovecot, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    first, bad, last = (mailbox.append(message(n)) for n in (1, 2, 3))
    url = dovecot.url(folder=mailbox.name)
    handler = Collect(fail_on=(b"Sak nummer 2",))

    with caplog.at_level(logging.WARNING, logger="workers.channels.imap"):
        result = poll_mailbox(url, handler)

    assert result == PollResult(fetched=3, stored=2, failed=1)
    assert handler.received == [message(1), message(3)]
    assert mailbox.unseen() == {bad}
    assert mailbox.seen() == {first, last}
    assert f"uid {bad}" in caplog.text and "ValueError" in caplog.text

    retry = Collect()
    assert poll_mailbox(url, retry) == PollResult(fetched=1, stored=1, failed=0)
    assert retry.received == [message(2)]
    assert mailbox.unseen() == set()


def test_a_crash_before_the_message_is_stored_loses_nothing(
    dovecot: Dovecot, mailbox: Mailbox
) -> None:
    class Crash(BaseException):
        """Stands in for the worker dying mid-poll (SIGTERM, out of memory)."""

    stored, crashing = mailbox.append(message(1)), mailbox.append(message(2))
    url = dovecot.url(folder=mailbox.name)
    done: list[bytes] = []

    def handle(raw: bytes) -> None:
        if b"Sak nummer 2" in raw:
            raise Crash
        done.append(raw)

    with pytest.raises(Crash):
        poll_mailbox(url, handle)

    assert done == [message(1)]
    assert mailbox.seen() == {stored} and mailbox.unseen() == {crashing}
    handler = Collect()
    assert poll_mailbox(url, handler) == PollResult(fetched=1, stored=1, failed=0)
    assert handler.received == [message(2)]


def test_max_messages_bounds_a_poll_and_the_backlog_drains_oldest_first(
    dovecot: Dovecot, mailbox: Mailbox
) -> None:
    uids = [mailbox.append(message(n)) for n in range(5)]
    url = dovecot.url(folder=mailbox.name)
    handler = Collect()

    assert poll_mailbox(url, handler, max_messages=2) == PollResult(2, 2, 0)
    assert mailbox.unseen() == set(uids[2:])
    assert poll_mailbox(url, handler, max_messages=2) == PollResult(2, 2, 0)
    assert poll_mailbox(url, handler, max_messages=2) == PollResult(1, 1, 0)
    assert handler.received == [message(n) for n in range(5)]


@pytest.mark.parametrize("bad", [0, -1])
def test_max_messages_must_be_positive(bad: int) -> None:
    with pytest.raises(ValueError, match="max_messages"):
        poll_mailbox("imap://u:p@127.0.0.1:1/INBOX", Collect(), max_messages=bad)


UTF8_MESSAGE = (
    b"From: =?utf-8?q?Bj=C3=B8rn_=C3=86rlig?= <bjorn@customer.example>\r\n"
    b"To: helpdesk@desk.example\r\n"
    + "Subject: Sentralbordet svarer ikke – Ærlig talt, hjelp! 😱\r\n".encode()
    + b"Message-ID: <utf8@customer.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n" + "Blåbærsyltetøy på Østlandet; ingen får logget på. €50 i bot?\r\n".encode()
)
CP1252_MESSAGE = (
    b"From: support@customer.example\r\n"
    b"Subject: =?windows-1252?q?Feil_p=E5_skriveren?=\r\n"
    b"Message-ID: <cp1252@customer.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=windows-1252\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n" + "Skriveren på kontoret «virker ikke» – koster €120.\r\n".encode("cp1252")
)


@pytest.mark.parametrize("raw", [UTF8_MESSAGE, CP1252_MESSAGE], ids=["utf-8", "windows-1252"])
def test_non_ascii_messages_survive_byte_for_byte(
    dovecot: Dovecot, mailbox: Mailbox, raw: bytes
) -> None:
    assert not raw.isascii()
    mailbox.append(raw)
    handler = Collect()

    assert poll_mailbox(dovecot.url(folder=mailbox.name), handler) == PollResult(1, 1, 0)

    assert handler.received == [raw]


def test_a_large_message_arrives_whole(dovecot: Dovecot, mailbox: Mailbox) -> None:
    raw = message(1, body=b"\r\n".join(b"line %06d " % n + b"x" * 60 for n in range(40_000)))
    mailbox.append(raw)
    handler = Collect()

    poll_mailbox(dovecot.url(folder=mailbox.name), handler)

    assert handler.received == [raw] and len(raw) > 2_000_000


# --- credentials, folders, TLS ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "password"),
    [
        ("tester", "wrong-Secret-42"),
        ("nobody-here", "wrong-Secret-42"),
        ("agent@example.no", "wrøng-pässwörd"),
    ],
    ids=["wrong-password", "unknown-user", "wrong-non-ascii-password"],
)
def test_bad_credentials_raise_a_clear_error_without_the_password(
    dovecot: Dovecot, mailbox: Mailbox, user: str, password: str
) -> None:
    mailbox.append(message(1))
    url = (
        f"imap://{quote(user, safe='')}:{quote(password, safe='')}"
        f"@127.0.0.1:{dovecot.imap_port}/{mailbox.name}"
    )

    with pytest.raises(imaplib.IMAP4.error) as caught:
        poll_mailbox(url, Collect())

    text = "".join(traceback.format_exception(caught.value))
    assert "refused the login" in str(caught.value)
    assert f"127.0.0.1:{dovecot.imap_port}" in str(caught.value)
    assert password not in text and quote(password, safe="") not in text
    assert mailbox.unseen() != set()


def test_credentials_with_url_special_and_non_ascii_characters_and_the_default_inbox(
    dovecot: Dovecot,
) -> None:
    # AGENT's name has '@' and its password ':/?#%ø "\': percent-encoded in the URL, and the
    # non-ASCII password takes the AUTHENTICATE PLAIN path. No folder in the URL: INBOX.
    inbox = dovecot.mailbox("INBOX", AGENT, create=False)
    inbox.clear()
    inbox.append(message(7))
    url = dovecot.url(AGENT)
    assert ImapTarget.parse(url).folder == "INBOX"
    handler = Collect()

    assert poll_mailbox(url, handler) == PollResult(1, 1, 0)
    assert handler.received == [message(7)]


def test_a_folder_with_a_non_ascii_name(dovecot: Dovecot) -> None:
    folder = dovecot.mailbox("Kundest&APg-tte &- co")  # "Kundestøtte & co" on the wire
    folder.append(message(1))
    handler = Collect()

    result = poll_mailbox(dovecot.url(folder="Kundestøtte & co"), handler)

    assert result == PollResult(1, 1, 0) and handler.received == [message(1)]


def test_a_missing_folder_raises_a_clear_error(dovecot: Dovecot) -> None:
    with pytest.raises(imaplib.IMAP4.error, match="cannot open folder 'Finnes-ikke'"):
        poll_mailbox(dovecot.url(folder="Finnes-ikke"), Collect())


def test_imaps_with_a_trusted_certificate(dovecot: Dovecot, mailbox: Mailbox) -> None:
    mailbox.append(message(1))
    handler = Collect()

    result = poll_mailbox(
        dovecot.imaps_url(folder=mailbox.name), handler, ssl_context=dovecot.ssl_context()
    )

    assert result == PollResult(1, 1, 0) and handler.received == [message(1)]


def test_starttls_upgrades_the_plain_port(dovecot: Dovecot, mailbox: Mailbox) -> None:
    mailbox.append(message(1))
    handler = Collect()

    result = poll_mailbox(
        dovecot.url(folder=mailbox.name, query="starttls=1"),
        handler,
        ssl_context=dovecot.ssl_context(),
    )

    assert result == PollResult(1, 1, 0) and handler.received == [message(1)]


@pytest.mark.parametrize("mode", ["imaps", "starttls"])
def test_an_untrusted_certificate_is_refused_before_the_login(
    dovecot: Dovecot, mailbox: Mailbox, mode: str
) -> None:
    mailbox.append(message(1))
    url = (
        dovecot.imaps_url(folder=mailbox.name)
        if mode == "imaps"
        else dovecot.url(folder=mailbox.name, query="starttls=1")
    )

    with pytest.raises(ssl.SSLCertVerificationError):
        poll_mailbox(url, Collect())  # the system's CAs do not know the self-signed cert

    assert len(mailbox.unseen()) == 1


def test_logs_carry_no_contents_addresses_or_credentials(
    dovecot: Dovecot, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.append(message(1))
    mailbox.append(message(2))

    def handle(raw: bytes) -> None:
        if b"Sak nummer 2" in raw:
            raise ValueError(raw.decode())  # an error text quoting the message

    with caplog.at_level(logging.DEBUG):
        poll_mailbox(dovecot.url(folder=mailbox.name), handle)
        with pytest.raises(imaplib.IMAP4.error):
            poll_mailbox(dovecot.url(folder=mailbox.name).replace("s3cret", "s4cret"), handle)

    logged = caplog.text
    assert "1 stored, 1 failed" in logged
    for secret in ("Sak nummer", "kari@", "helpdesk@", "Skriveren", TESTER.password, "s4cret"):
        assert secret not in logged


# --- IMAP_URL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "imap://user:password@mail.example:143/INBOX?starttls=1",
            ImapTarget("mail.example", 143, False, True, "user", "password", "INBOX"),
        ),
        (
            "imaps://user:password@mail.example:993/Folder",
            ImapTarget("mail.example", 993, True, False, "user", "password", "Folder"),
        ),
        (
            "imap://user:pw@mail.example",
            ImapTarget("mail.example", 143, False, False, "user", "pw", "INBOX"),
        ),
        (
            "imaps://user:pw@mail.example/",
            ImapTarget("mail.example", 993, True, False, "user", "pw", "INBOX"),
        ),
        (
            "imaps://desk%40firma.no:p%40ss%3Aw%2Frd%25%C3%B8@[::1]:10993/Kundest%C3%B8tte%20A",
            ImapTarget("::1", 10993, True, False, "desk@firma.no", "p@ss:w/rd%ø", "Kundestøtte A"),
        ),
        (
            "imap://u:@localhost:1143/Support/2026?starttls=true",
            ImapTarget("localhost", 1143, False, True, "u", "", "Support/2026"),
        ),
        (
            "imap://u:p@h/INBOX?starttls=0",
            ImapTarget("h", 143, False, False, "u", "p", "INBOX"),
        ),
    ],
)
def test_imap_url_parsing(url: str, expected: ImapTarget) -> None:
    assert ImapTarget.parse(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "imap-no-scheme",
        "pop3://user:s3cretpw@mail.example/INBOX",
        "https://user:s3cretpw@mail.example/INBOX",
        "imap:///INBOX",
        "imap://mail.example/INBOX",
        "imap://user@mail.example/INBOX",
        "imap://user:s3cretpw@mail.example:99999/INBOX",
        "imap://user:s3cretpw@mail.example:port/INBOX",
        "imap://user:s3cretpw@mail.example:0/INBOX",
        "imap://user:s3cretpw@mail.example/INBOX?startls=1",
        "imap://user:s3cretpw@mail.example/INBOX?starttls=maybe",
        "imaps://user:s3cretpw@mail.example/INBOX?starttls=1",
    ],
)
def test_bad_imap_urls_are_refused_naming_the_setting_but_not_the_password(url: str) -> None:
    with pytest.raises(ValueError, match="IMAP_URL") as caught:
        ImapTarget.parse(url)
    assert "s3cretpw" not in str(caught.value)


def test_the_password_stays_out_of_the_targets_repr() -> None:
    assert "s3cretpw" not in repr(ImapTarget.parse("imaps://u:s3cretpw@mail.example/INBOX"))


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Kundestøtte & co", "Kundest&APg-tte &- co"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501 §5.1.3
        ("Ærlig", "&AMY-rlig"),
    ],
)
def test_folder_names_go_out_in_modified_utf7(name: str, wire: str) -> None:
    assert _modified_utf7(name) == wire
