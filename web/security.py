"""Rate limits and security headers: what every response and every client gets.

Rate limits (flask-limiter, per client address; ``TRIAGE_TRUST_PROXY`` makes that the
address the proxy saw). They are counted in Redis when ``REDIS_URL`` is set, so all web
workers share one count; if Redis fails mid-flight the count falls back to memory per
process rather than refusing requests (a limiter must not become an outage of its own).

* login: every POST to ``/login`` counts, on top of the per-user lock-out (which an
  attacker spraying many user names never trips);
* authentication failures: a bad or missing webhook signature or API token counts, so a
  client guessing secrets is cut off: past the limit its failures are answered 429, not
  401/403. Counted after the answer, and only for failures (``FailureCounter``), so
  correctly signed traffic never pays for it - flask-limiter's conditional limits read
  the count before every request, a sixth of an intake request's CPU;
* signed webhooks: a generous ceiling on volume, against a sender stuck in a loop. It is
  counted in each web process's own memory (``VolumeCeiling``), not in Redis: the check
  runs before every webhook, and a Redis round trip there was a sixth of the accept
  path's CPU (``bench/load.py``). A ceiling against a runaway loop needs no count shared
  across processes; the whole desk's ceiling is the setting times its web processes.

Headers: every response says nosniff, no framing, same-origin referrers and opener; HTML
pages get a Content-Security-Policy that allows only our own scripts (none inline) and
no plugins, frames or foreign form targets. Styles may be inline: the pygal charts carry
their own ``<style>``, and a style cannot run code. Pages of the signed-in desk are not
cached (they hold personal data); HTTPS deployments get HSTS.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from config.settings import Settings
from web.desk import DESK_BLUEPRINTS, error_response

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"


def init_security(app: Flask, settings: Settings) -> Limiter:
    """The limiter and the headers; call before anything else registers a before_request
    hook (a login POST counts before CSRF or the password check answers it), then
    ``apply_limits`` once the blueprints are registered."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=limits_storage(settings.redis_url),
        key_prefix="triage-limits",
        strategy="fixed-window",  # one Redis round trip a check; moving-window takes three
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        headers_enabled=False,  # it would stamp Retry-After on every response, our 503s too
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CSP)
        if request.blueprint in DESK_BLUEPRINTS and request.endpoint != "ui.static":
            response.headers.setdefault("Cache-Control", "no-store")
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        breached = limiter.current_limit
        if response.status_code == 429 and breached is not None:
            response.headers["Retry-After"] = str(_seconds_until(breached.reset_at))
        return response

    return limiter


#: The blueprints of signed webhooks under ``/inbound`` (web.inbound, web.inbound_monitoring).
WEBHOOK_BLUEPRINTS = ("inbound", "inbound_monitoring")


def apply_limits(limiter: Limiter, app: Flask, settings: Settings) -> None:
    """The limits, on the blueprints they guard (by name, so they must exist by now)."""
    if settings.rate_limit_login != "off":
        limiter.limit(settings.rate_limit_login, methods=["POST"])(app.blueprints["auth"])
    if settings.rate_limit_webhooks != "off":
        app.before_request(VolumeCeiling(settings.rate_limit_webhooks).check)
    if settings.rate_limit_auth_failures == "off":
        return
    failures = FailureCounter(settings.rate_limit_auth_failures, limiter.storage)
    api = tuple(
        name for name, bp in app.blueprints.items() if (bp.url_prefix or "").startswith("/api/")
    )

    @app.after_request
    def _count_failures(response: Response) -> Response:
        if request.blueprint in WEBHOOK_BLUEPRINTS:
            failed = response.status_code in (401, 403)  # Twilio's failures are 403
        elif request.blueprint in api:
            failed = response.status_code == 401  # 403 is a valid token, too low a role
        else:
            return response
        if not failed:
            return response
        wait = failures.hit(get_remote_address())
        if wait is None:
            return response
        return error_response(
            429,
            "too_many_requests",
            "too many failed authentications from this address; try again later",
            headers={"Retry-After": str(wait)},
        )


class VolumeCeiling:
    """Signed webhook requests per client address, in fixed windows counted in this
    process's memory (see the module's docstring for why not in Redis)."""

    def __init__(self, setting: str) -> None:
        self.items = parse_many(setting)
        self.counter = FixedWindowRateLimiter(MemoryStorage())

    def check(self) -> Response | None:
        """A ``before_request`` hook: None within the ceiling (or not a webhook), else
        the 429."""
        if request.blueprint not in WEBHOOK_BLUEPRINTS:
            return None
        client = get_remote_address()
        if all(self.counter.hit(item, "triage-webhooks", client) for item in self.items):
            return None
        reset = max(
            self.counter.get_window_stats(item, "triage-webhooks", client).reset_time
            for item in self.items
        )
        return error_response(
            429,
            "too_many_requests",
            "too many webhook requests from this address; try again later",
            headers={"Retry-After": str(_seconds_until(reset))},
        )


class FailureCounter:
    """Failed authentications per client, in fixed windows (the ``limits`` library that
    flask-limiter is built on), in Redis when there is one, else (or when it fails) in
    this process's memory."""

    def __init__(self, setting: str, storage: Storage) -> None:
        """``storage``: the limiter's own (one Redis connection pool for both)."""
        self.items = parse_many(setting)
        self.counters = [FixedWindowRateLimiter(storage)]
        if not isinstance(storage, MemoryStorage):
            self.counters.append(FixedWindowRateLimiter(MemoryStorage()))

    def hit(self, client: str) -> int | None:
        """Count one failure; None while within the limit, else seconds to wait."""
        for counter in self.counters:
            try:
                if all(counter.hit(item, "triage-auth-failures", client) for item in self.items):
                    return None
                reset = max(
                    counter.get_window_stats(item, "triage-auth-failures", client).reset_time
                    for item in self.items
                )
            except Exception:
                continue
            return _seconds_until(reset)
        return None


def _seconds_until(reset_at: float) -> int:
    """Retry-After for a window that resets at ``reset_at`` (epoch seconds): at least 1."""
    return max(1, math.ceil(reset_at - time.time()))


def limits_storage(redis_url: str | None) -> str:
    """The ``limits`` storage URI for our Redis URL (a unix socket is ``redis+unix://``)."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url
