"""Fetch incoming ticket mail from the mailbox named by ``IMAP_URL``.

``imap://user:password@host:143/INBOX?starttls=1`` (plain IMAP upgraded with STARTTLS; without
``?starttls=1`` the login goes in clear, which only makes sense on loopback) or
``imaps://user:password@host:993/Folder`` (TLS from the start). Credentials and the folder are
percent-decoded; the folder defaults to ``INBOX``.

Delivery is at-least-once by construction: a message is read with ``BODY.PEEK[]`` (which does
not set ``\\Seen``), handed to the caller's ``handle``, and only marked ``\\Seen`` after
``handle`` returned. A crash anywhere before that leaves the message unseen, so the next poll
offers it again; ``handle`` commits it to the inbox, whose intake settles a repeat onto the
same ticket by Message-ID, so a repeat is harmless while a loss would not be. Everything is addressed by UID, not sequence number, so messages that
arrive or vanish during a poll cannot shift which message gets flagged.

Nothing here logs message contents, e-mail addresses or credentials: only UIDs, counts, the
server's host and port, and exception type names.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

_URL_SHAPE = (
    "IMAP_URL must look like imap://user:password@host:143/INBOX?starttls=1 "
    "or imaps://user:password@host:993/Folder"
)
_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")
_UID_IN_HEADER = re.compile(rb"\bUID (\d+)")


@dataclass(frozen=True)
class ImapTarget:
    """Where to poll, parsed from ``IMAP_URL``. The password is left out of ``repr`` so the
    target can appear in a log line or a traceback without leaking it."""

    host: str
    port: int
    tls: bool
    starttls: bool
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"

    @classmethod
    def parse(cls, url: str) -> ImapTarget:
        """Parse and validate ``IMAP_URL``. Errors name the setting but never echo the URL,
        since it holds the password."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError(f"{_URL_SHAPE} (the port is not a number from 1 to 65535)") from None
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise ValueError(_URL_SHAPE)
        if parts.username is None or parts.password is None:
            raise ValueError(f"{_URL_SHAPE} (the user name and password are missing)")
        if port == 0:
            raise ValueError(f"{_URL_SHAPE} (the port is not a number from 1 to 65535)")
        tls = parts.scheme == "imaps"
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - {"starttls"})
        if unknown:
            # A misspelt ?starttls would otherwise send the password in clear, silently.
            raise ValueError(f"{_URL_SHAPE} (unknown option {unknown[0]!r})")
        starttls_value = query.get("starttls", ["0"])[-1].lower()
        if starttls_value not in _TRUE + _FALSE:
            raise ValueError(f"{_URL_SHAPE} (starttls must be 1 or 0)")
        starttls = starttls_value in _TRUE
        if tls and starttls:
            raise ValueError(f"{_URL_SHAPE} (imaps is TLS already: drop ?starttls)")
        folder = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        return cls(
            host=parts.hostname,
            port=port or (993 if tls else 143),
            tls=tls,
            starttls=starttls,
            username=unquote(parts.username),
            password=unquote(parts.password),
            folder=folder or "INBOX",
        )


@dataclass(frozen=True)
class PollResult:
    """What one poll did: ``fetched`` unseen messages taken on (at most ``max_messages``), of
    which ``stored`` were handled and flagged ``\\Seen`` and ``failed`` were not (the handler
    raised, or the server would not give the message). Failed ones stay unseen and are offered
    again on the next poll, so ``fetched == stored + failed``."""

    fetched: int
    stored: int
    failed: int


def poll_mailbox(
    url: str,
    handle: Callable[[bytes], None],
    *,
    max_messages: int = 100,
    timeout: float = 30.0,
    ssl_context: ssl.SSLContext | None = None,
) -> PollResult:
    """Hand each unseen message (raw RFC 5322 bytes, exactly as stored) to ``handle`` and mark
    it ``\\Seen`` once ``handle`` has returned.

    At most ``max_messages`` messages, oldest (lowest UID) first, so one poll's work is bounded
    and a backlog drains in order over several polls. A ``handle`` that raises an ``Exception``
    leaves that message unseen, is counted in ``failed``, and the poll goes on with the next
    one: one bad message must not block the mailbox. ``BaseException`` (a shutdown, say) is
    not caught: it ends the poll with the current message still unseen.

    ``timeout`` bounds connecting and each network operation, not the whole poll.
    ``ssl_context`` defaults to the system's verifying context (certificate and host name).

    Raises ``ValueError`` for a bad ``IMAP_URL``, ``imaplib.IMAP4.error`` when the server
    refuses the login or the folder or cannot flag a stored message, ``ssl.SSLError`` /
    ``OSError`` for TLS and network failures; messages already stored stay stored and flagged.
    """
    if max_messages < 1:
        raise ValueError("max_messages must be at least 1")
    target = ImapTarget.parse(url)
    context = ssl_context or ssl.create_default_context()
    client = _connect(target, timeout, context)
    try:
        _login(client, target)
        _select(client, target)
        uids = _unseen_uids(client)[:max_messages]
        fetched = stored = failed = 0
        for uid in uids:
            fetched += 1
            raw = _fetch(client, uid)
            if raw is None:
                failed += 1
                continue
            try:
                handle(raw)
            except Exception as exc:  # one bad message must not stop the rest
                failed += 1
                # The type name only: an exception's text may quote the message's headers.
                log.warning("IMAP uid %s left unseen: handler raised %s", uid, type(exc).__name__)
                continue
            _mark_seen(client, uid)
            stored += 1
        result = PollResult(fetched=fetched, stored=stored, failed=failed)
    finally:
        _logout(client)
    log.info(
        "IMAP poll of %s:%s: %d fetched, %d stored, %d failed",
        target.host,
        target.port,
        result.fetched,
        result.stored,
        result.failed,
    )
    return result


def _connect(target: ImapTarget, timeout: float, context: ssl.SSLContext) -> imaplib.IMAP4:
    client: imaplib.IMAP4
    if target.tls:
        client = imaplib.IMAP4_SSL(target.host, target.port, ssl_context=context, timeout=timeout)
    else:
        client = imaplib.IMAP4(target.host, target.port, timeout=timeout)
        if target.starttls:
            try:
                client.starttls(ssl_context=context)
            except BaseException:
                with contextlib.suppress(OSError):  # the failed handshake may have closed it
                    client.shutdown()
                raise
    return client


def _login(client: imaplib.IMAP4, target: ImapTarget) -> None:
    """LOGIN for ASCII credentials; AUTHENTICATE PLAIN (UTF-8) otherwise, because imaplib
    sends LOGIN arguments as ASCII and would fail on, say, a password with 'ø'."""
    try:
        if target.username.isascii() and target.password.isascii():
            client.login(target.username, target.password)
        else:
            secret = f"\0{target.username}\0{target.password}".encode()
            client.authenticate("PLAIN", lambda _challenge: secret)
    except imaplib.IMAP4.abort:
        raise  # the connection broke: not a refusal, and its text holds no credentials
    except imaplib.IMAP4.error as exc:
        detail = _server_text(exc)
        if target.password:  # servers don't echo it, but an error text must never carry it
            detail = detail.replace(target.password, "***")
        raise imaplib.IMAP4.error(
            f"IMAP_URL: the server at {target.host}:{target.port} refused the login"
            f"{': ' + detail if detail else ''}"
        ) from None


def _select(client: imaplib.IMAP4, target: ImapTarget) -> None:
    # Read-write: the poll must be able to set \Seen. imaplib raises IMAP4.readonly itself if
    # the server opens the folder read-only.
    typ, data = client.select(_mailbox_argument(target.folder), readonly=False)
    if typ != "OK":
        raise imaplib.IMAP4.error(
            f"IMAP_URL: cannot open folder {target.folder!r} on {target.host}:{target.port}: "
            f"{_text(data)}"
        )


def _unseen_uids(client: imaplib.IMAP4) -> list[str]:
    typ, data = client.uid("SEARCH", "UNSEEN")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"IMAP UID SEARCH UNSEEN failed: {_text(data)}")
    numbers = {int(token) for line in data if isinstance(line, bytes) for token in line.split()}
    return [str(number) for number in sorted(numbers)]


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes | None:
    """The message's full raw bytes, without setting ``\\Seen`` (BODY.PEEK). ``None`` when the
    server will not give it (a NO, or it was expunged meanwhile): counted as failed, left for
    the next poll."""
    typ, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if typ == "OK":
        for item in data:
            # Literal parts come as (b'7 (UID 42 BODY[] {1234}', b'<raw>'); plain bytes items
            # are closing parens or unsolicited FLAGS updates for other messages.
            if not isinstance(item, tuple) or b"BODY[]" not in item[0]:
                continue
            match = _UID_IN_HEADER.search(item[0])
            if match is None or match.group(1).decode() == uid:
                return bytes(item[1])
    log.warning("IMAP uid %s could not be fetched (%s); left for the next poll", uid, typ)
    return None


def _mark_seen(client: imaplib.IMAP4, uid: str) -> None:
    typ, data = client.uid("STORE", uid, "+FLAGS", r"(\Seen)")
    if typ != "OK":
        # The message is stored but stays unseen and will be offered again (handled
        # idempotently). Going on would repeat that for every message, so stop here.
        raise imaplib.IMAP4.error(f"IMAP could not mark uid {uid} as seen: {_text(data)}")


def _logout(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except (imaplib.IMAP4.error, OSError):
        # The poll's outcome is already decided; a dead connection at goodbye changes nothing.
        log.debug("IMAP logout failed")


def _mailbox_argument(folder: str) -> str:
    """The folder as an IMAP quoted string in modified UTF-7 (RFC 3501 §5.1.3), because
    imaplib sends mailbox names verbatim: "Kundestøtte" or a name with a space would
    otherwise be a protocol error."""
    encoded = _modified_utf7(folder)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _modified_utf7(name: str) -> str:
    """RFC 3501's mailbox-name encoding: printable ASCII as is ('&' as '&-'), runs of other
    characters as UTF-16 in base64 with ',' for '/', between '&' and '-'."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            chunk = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + chunk.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if "\x20" <= char <= "\x7e":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _server_text(exc: imaplib.IMAP4.error) -> str:
    return _text(list(exc.args))


def _text(data: Sequence[object]) -> str:
    """Server response text for an error message (imaplib hands back bytes)."""
    parts = [
        item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        for item in data
        if item is not None
    ]
    return " ".join(parts).strip()
