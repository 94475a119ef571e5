"""Rate limits and security headers: what every response and every client gets.

Rate limits (flask-limiter, per client address; ``TRIAGE_TRUST_PROXY`` makes that the
address the proxy saw). They are counted in Redis when ``REDIS_URL`` is set, so all web
workers share one count; if Redis fails mid-flight the count falls back to memory per
process rather than refusing requests (a limiter must not become an outage of its own).

* login: every POST to ``/login`` counts, on top of the per-user lock-out (which an
  attacker spraying many user names never trips);
* authentication failures: a bad or missing webhook signature or API token counts, so a
  client guessing secrets is cut off, while correctly signed traffic never pays for it;
* signed webhooks: a generous ceiling on volume, against a sender stuck in a loop.

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

from config.settings import Settings

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
DESK_BLUEPRINTS = ("ui", "auth")


def init_security(app: Flask, settings: Settings) -> Limiter:
    """The limiter and the headers; call before anything else registers a before_request
    hook (the API's token check must not answer before the limiter has counted), then
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
            response.headers["Retry-After"] = str(
                max(1, math.ceil(breached.reset_at - time.time()))
            )
        return response

    return limiter


def apply_limits(limiter: Limiter, app: Flask, settings: Settings) -> None:
    """The limits, on the blueprints they guard (by name, so they must exist by now)."""
    if settings.rate_limit_login != "off":
        limiter.limit(settings.rate_limit_login, methods=["POST"])(app.blueprints["auth"])
    for name, blueprint in app.blueprints.items():
        if name == "inbound":
            if settings.rate_limit_webhooks != "off":
                limiter.limit(settings.rate_limit_webhooks)(blueprint)
            failed = (401, 403)  # Twilio's failures are 403, ours 401
        elif (blueprint.url_prefix or "").startswith("/api/"):
            failed = (401,)  # 403 is a valid token with too low a role
        else:
            continue
        if settings.rate_limit_auth_failures != "off":
            limiter.limit(
                settings.rate_limit_auth_failures,
                scope="auth-failures",
                deduct_when=lambda response, failed=failed: response.status_code in failed,
            )(blueprint)


def limits_storage(redis_url: str | None) -> str:
    """The ``limits`` storage URI for our Redis URL (a unix socket is ``redis+unix://``)."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url
