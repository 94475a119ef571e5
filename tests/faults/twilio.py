"""``ScriptedTwilio``: the fake Twilio API (``tests.fakes.twilio_api``) with faults aimed at
*message creates* only.

The fake's own ``fail_next`` / ``delay_next`` hit the next request whatever it is; since
every retry of an SMS first asks Twilio (``GET Messages.json``) whether an earlier attempt
got through, a fault meant for the send is then eaten by that question. Faults scripted
here are used up by ``POST Messages.json`` alone:

- ``CreateFault(status=503)``: answered with that error, nothing stored;
- ``CreateFault(hold=s, accept=True)``: the message is stored (Twilio has it and will
  deliver it), then the answer is held back for ``s`` seconds or until ``release()``;
- ``CreateFault(hold=s, accept=False)``: held, then answered 503 without storing (Twilio
  never took it).

``holding`` is set while a create is being held, so a test can act (kill the worker, let
a client time out) at exactly that moment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from tests.fakes.twilio_api import DEFAULT_CODES, FakeTwilio, _error


@dataclass(frozen=True)
class CreateFault:
    status: int | None = None  # answer with this error status (not stored)
    code: int | None = None  # Twilio's error code; the status's usual one if None
    hold: float = 0.0  # seconds to hold the answer back (release() ends it sooner)
    accept: bool = True  # with hold: store the message before holding


class ScriptedTwilio(FakeTwilio):
    def __init__(self) -> None:
        super().__init__()
        self._script: list[CreateFault] = []
        self.holding = threading.Event()
        self._released = threading.Event()
        self.creates = 0  # POST Messages.json requests, faulted or not

    def script_creates(self, *faults: CreateFault) -> None:
        """The next creates get these faults, in order; later ones go through."""
        with self._lock:
            self._script.extend(faults)

    def release(self) -> None:
        """End any hold now."""
        self._released.set()

    def stop(self) -> None:
        self.release()
        super().stop()

    def _create(self, form: dict[str, str], arrived: float) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.creates += 1
            fault = self._script.pop(0) if self._script else None
        if fault is None:
            return super()._create(form, arrived)
        if fault.hold:
            result = super()._create(form, arrived) if fault.accept else None
            self._released.clear()
            self.holding.set()
            try:
                self._released.wait(fault.hold)
            finally:
                self.holding.clear()
            if result is not None:
                return result
            return 503, _error(503, 20503, "Service Unavailable")
        assert fault.status is not None
        code = fault.code or DEFAULT_CODES.get(fault.status)
        message = {429: "Too Many Requests", 500: "Internal Server Error"}.get(
            fault.status, "Injected failure"
        )
        return fault.status, _error(fault.status, code, message)
