"""A deadline for reading a request's body, so a client that stalls mid-body is cut off.

A webhook's signature covers its body, so nothing can be refused before the body is in:
a client that declares ``Content-Length: 100000`` and sends one byte holds its request
open for as long as the server waits. gunicorn bounds the wait for a request's *headers*
(the gevent worker reads them under the keepalive timeout, ``config/gunicorn.py``) but not
for its body, which the app reads. This middleware wraps ``wsgi.input``: every read may
wait at most ``idle`` seconds for the next bytes, and the whole body must be in within
``deadline`` seconds of the request's start; past either, the read raises werkzeug's
``RequestTimeout``, which the app answers 408 (JSON or a page) like any HTTP error.

The bound is a timeout on the client's socket (``environ["gunicorn.socket"]``, which
gunicorn hands every request): under the gevent worker a timed-out read only suspends a
greenlet, so a stalled client costs a socket, never a worker. After the app has answered,
the socket keeps ``idle`` as its timeout, so a client that stops reading the answer does
not hold its greenlet for ever either. Outside gunicorn (the test client) there is no
socket and the body is read as before.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from werkzeug.exceptions import RequestTimeout

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DeadlineStream:
    """``wsgi.input`` with a per-read and a whole-body time limit (module docstring)."""

    def __init__(self, stream: IO[bytes], sock: socket.socket, idle: float, deadline: float):
        self._stream = stream
        self._sock = sock
        self._idle = idle
        self._deadline = deadline  # time.monotonic() by which the body must be in

    def _arm(self) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimeout("the request body did not arrive in time")
        self._sock.settimeout(min(self._idle, remaining))

    def _call(self, read: Callable[..., Any], *args: Any) -> Any:
        self._arm()
        try:
            return read(*args)
        except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
            raise RequestTimeout("the request body did not arrive in time") from None

    def read(self, size: int | None = -1) -> bytes:
        return bytes(self._call(self._stream.read, size))

    def readline(self, size: int | None = -1) -> bytes:
        return bytes(self._call(self._stream.readline, size))

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(self._call(self._stream.readlines, hint))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


class BodyDeadline:
    """WSGI middleware: ``wsgi.input`` as a :class:`DeadlineStream` under gunicorn."""

    def __init__(self, app: WSGIApp, idle: float, deadline: float) -> None:
        self.app = app
        self.idle = idle
        self.deadline = deadline

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        sock = environ.get("gunicorn.socket")
        stream = environ.get("wsgi.input")
        if sock is None or stream is None or self.idle <= 0:
            return self.app(environ, start_response)
        started = time.monotonic()
        environ["wsgi.input"] = DeadlineStream(stream, sock, self.idle, started + self.deadline)
        try:
            return self.app(environ, start_response)
        finally:
            # writing the answer: a stalled reader gets ``idle`` per send, not the
            # few milliseconds the body's deadline may have left
            with contextlib.suppress(OSError):  # already closed by the client
                sock.settimeout(self.idle)
