"""A stand-in for Twilio's REST API (the Messages resource) on loopback.

Tests and benchmarks point the *real* ``twilio`` client at it (see
``workers.channels.twilio_sms.TwilioSms(api_base=...)``), so the request encoding, the
error parsing and the paging of the official client are exercised instead of a mock's idea
of them. Only what the SMS channel uses is modelled:

- ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (create),
- ``GET  /2010-04-01/Accounts/{sid}/Messages.json`` (list, one page, filtered by ``To``,
  ``From`` and the ``DateSent`` family),
- ``GET  /2010-04-01/Accounts/{sid}/Messages/{MessageSid}.json`` (fetch),
- ``POST /2010-04-01/Accounts/{sid}/Calls.json`` (place a call: ``To``, ``From`` and
  ``Twiml`` or ``Url``; kept in ``calls``).

Faults are programmable so the caller's classification (retry or give up) can be tested:
``fail_next`` answers with an error status, ``delay_next`` sleeps before answering (client
timeouts) and ``accept_then_drop`` stores the message and closes the connection without
answering (Twilio took it, we never heard back). Each queued fault is used up by the next
API request, whatever its method.

Deliberate simplification: real Twilio leaves ``date_sent`` empty until the carrier has the
message; here it equals ``date_created`` so that ``DateSent`` filters can find a message
at once.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import socket
import threading
import time
from contextlib import suppress
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
CALLS = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls\.json$")
MESSAGE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")
# The Twilio error code that usually accompanies each status, for ``fail_next`` without one.
DEFAULT_CODES = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}


def _twilio_time(moment: float) -> str:
    """Twilio writes resource dates in RFC 2822, GMT: ``Mon, 30 Mar 2026 09:00:00 +0000``."""
    return format_datetime(datetime.fromtimestamp(moment, UTC).replace(microsecond=0))


def _parse_filter_time(value: str) -> float | None:
    """The client sends ``YYYY-MM-DDTHH:MM:SSZ``; Twilio's docs also allow ``YYYY-MM-DD``."""
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        with suppress(ValueError):
            return datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()
    return None


def _error(status: int, code: int | None, message: str) -> dict[str, Any]:
    """Twilio's legacy error body, the one ``twilio`` turns into ``TwilioRestException``."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
        "status": status,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 refuses connections when 20 clients connect at
    # once; the real API does not.
    request_queue_size = 128
    fake: FakeTwilio

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close kept-alive connections too, so a stopped fake really stops answering."""
        with self.connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that timed out and hung up is expected here, not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    # Headers and body go out in separate writes; with Nagle's algorithm on, the client's
    # delayed ACK stalls every answer by ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and benchmarks should not print a line per request."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        fake = self.server.fake
        fault = fake._take_fault()
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is not None:
            message = {
                429: "Too Many Requests",
                500: "Internal Server Error",
                503: "Service Unavailable",
            }.get(fault.status, "Injected failure")
            self._json(fault.status, _error(fault.status, fault.code, message))
            return
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        form = {k: v[-1] for k, v in parse_qs(raw_body.decode(), keep_blank_values=True).items()}

        collection = MESSAGES.match(parts.path)
        single = MESSAGE.match(parts.path)
        calls = CALLS.match(parts.path) if method == "POST" else None
        matched = collection or single or calls
        account = matched.group("account") if matched else None
        if account is None or method not in ("GET", "POST") or (single and method != "GET"):
            self._json(
                404, _error(404, 20404, f"The requested resource {parts.path} was not found")
            )
            return
        if not fake._authorized(self.headers.get("Authorization"), account):
            self._json(
                401,
                {
                    **_error(401, 20003, "Authenticate"),
                    "detail": "Your AccountSid or AuthToken was incorrect.",
                },
            )
            return
        if calls is not None:
            self._json(*fake._create_call(form, arrived))
        elif collection and method == "POST":
            status, payload = fake._create(form, arrived)
            if fault.drop and status == 201:
                self.close_connection = True
                with suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._json(status, payload)
        elif fault.drop:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        elif collection:
            self._json(200, fake._list(parts.path, query))
        else:
            assert single is not None
            found = fake._get(single.group("sid"))
            if found is None:
                self._json(
                    404, _error(404, 20404, f"The requested resource {parts.path} was not found")
                )
            else:
                self._json(200, found)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(data)


class _Fault:
    __slots__ = ("code", "delay", "drop", "status")

    def __init__(self) -> None:
        self.status: int | None = None
        self.code: int | None = None
        self.delay: float = 0.0
        self.drop: bool = False


class FakeTwilio:
    """Twilio's Messages API on ``127.0.0.1:<ephemeral port>``; use as a context manager.

    ``messages`` holds every accepted message (``to``, ``from``, ``body``, ``sid``,
    ``status_callback``, ``received_at``); read it through ``sent()`` while requests may
    still be running. ``requests`` counts every API request, failed or not.
    """

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None) -> None:
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.messages: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.requests = 0
        self._records: dict[str, dict[str, Any]] = {}  # sid -> full resource JSON
        self._lock = threading.Lock()
        self._failures: list[tuple[int, int | None]] = []
        self._delays: list[float] = []
        self._drops = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> FakeTwilio:
        if self._server is not None:
            return self
        self._server = _Server(self)
        port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-twilio",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- programming faults --------------------------------------------------------
    def fail_next(self, status: int, count: int = 1, code: int | None = None) -> None:
        """The next ``count`` requests get ``status`` with a Twilio error body."""
        with self._lock:
            self._failures.extend([(status, code or DEFAULT_CODES.get(status))] * count)

    def delay_next(self, seconds: float, count: int = 1) -> None:
        """The next ``count`` requests are answered only after ``seconds``."""
        with self._lock:
            self._delays.extend([seconds] * count)

    def accept_then_drop(self, count: int = 1) -> None:
        """The next ``count`` creates are stored, then the connection closes unanswered."""
        with self._lock:
            self._drops += count

    # -- inspection ------------------------------------------------------------------
    def sent(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self.messages]

    def placed(self) -> list[dict[str, Any]]:
        """Every call placed so far (``to``, ``from``, ``twiml``, ``url``, ``sid``)."""
        with self._lock:
            return [dict(c) for c in self.calls]

    def reset(self) -> None:
        """Forget messages, the request count and any faults not yet used."""
        with self._lock:
            self.calls.clear()
            self.messages.clear()
            self._records.clear()
            self.requests = 0
            self._failures.clear()
            self._delays.clear()
            self._drops = 0

    # -- used by the handler ---------------------------------------------------------
    def _take_fault(self) -> _Fault:
        fault = _Fault()
        with self._lock:
            self.requests += 1
            if self._delays:
                fault.delay = self._delays.pop(0)
            if self._failures:
                fault.status, fault.code = self._failures.pop(0)
            elif self._drops:
                self._drops -= 1
                fault.drop = True
        return fault

    def _authorized(self, header: str | None, account: str) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (
            secrets.compare_digest(user, self.account_sid)
            and secrets.compare_digest(password, self.auth_token)
            and account == self.account_sid
        )

    def _create(self, form: dict[str, str], arrived: float) -> tuple[int, dict[str, Any]]:
        to = form.get("To", "")
        if not E164.match(to):
            return 400, _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        body = form.get("Body")
        if not body:
            return 400, _error(400, 21602, "Message body is required.")
        sender = form.get("From")
        service = form.get("MessagingServiceSid")
        if not sender and not service:
            return 400, _error(
                400, 21603, "The source 'from' phone number is required to send an SMS"
            )
        sid = "SM" + secrets.token_hex(16)
        stamp = _twilio_time(arrived)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": stamp,
            "date_sent": stamp,
            "date_updated": stamp,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
        }
        with self._lock:
            self._records[sid] = {**resource, "_received_at": arrived}
            self.messages.append(
                {
                    "to": to,
                    "from": sender,
                    "body": body,
                    "sid": sid,
                    "status_callback": form.get("StatusCallback"),
                    "received_at": arrived,
                }
            )
        return 201, resource

    def _create_call(self, form: dict[str, str], arrived: float) -> tuple[int, dict[str, Any]]:
        """Twilio's Calls resource: ``To`` and ``From`` numbers and one of ``Twiml``/``Url``
        (error 21205 without either, as Twilio answers)."""
        to, sender = form.get("To", ""), form.get("From", "")
        if not E164.match(to):
            return 400, _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not sender:
            return 400, _error(400, 21213, "The 'From' phone number is required.")
        if not form.get("Twiml") and not form.get("Url"):
            return 400, _error(400, 21205, "Url or Twiml is required.")
        sid = "CA" + secrets.token_hex(16)
        stamp = _twilio_time(arrived)
        resource = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "date_created": stamp,
            "date_updated": stamp,
            "direction": "outbound-api",
            "from": sender,
            "sid": sid,
            "status": "queued",
            "to": to,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
        }
        with self._lock:
            self.calls.append(
                {
                    "to": to,
                    "from": sender,
                    "twiml": form.get("Twiml"),
                    "url": form.get("Url"),
                    "status_callback": form.get("StatusCallback"),
                    "sid": sid,
                    "received_at": arrived,
                }
            )
        return 201, resource

    def _get(self, sid: str) -> dict[str, Any] | None:
        with self._lock:
            record = self._records.get(sid)
        return None if record is None else _public(record)

    def _list(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        """One page, newest first, as Twilio orders it. ``DateSent>`` is what
        ``DateSent>=2026-03-30`` becomes once the query string is split at its first
        ``=``, so it means *on or after*; the same for ``DateSent<``."""
        page_size = int(query.get("PageSize") or 50)
        bounds: list[tuple[str, float]] = []
        for key, op in (
            ("DateSent>", ">="),
            ("DateSent>=", ">="),
            ("DateSent<", "<="),
            ("DateSent<=", "<="),
        ):
            if key in query and (moment := _parse_filter_time(query[key])) is not None:
                bounds.append((op, moment))
        exact_day = query.get("DateSent")
        with self._lock:
            records = list(self._records.values())
        chosen = []
        for record in sorted(records, key=lambda r: r["_received_at"], reverse=True):
            when = float(int(record["_received_at"]))  # the API keeps whole seconds
            if "To" in query and record["to"] != query["To"]:
                continue
            if "From" in query and record["from"] != query["From"]:
                continue
            if any((op == ">=" and when < m) or (op == "<=" and when > m) for op, m in bounds):
                continue
            if (
                exact_day
                and datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d") != exact_day[:10]
            ):
                continue
            chosen.append(_public(record))
        page = chosen[:page_size]
        uri = f"{path}?PageSize={page_size}&Page=0"
        return {
            "end": max(len(page) - 1, 0),
            "first_page_uri": uri,
            "messages": page,
            "next_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}
