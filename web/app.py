"""The Flask app factory: the one module nothing imports but the entry points
(gunicorn's ``web.app:create_app()``, ``triage up``, tests).

``create_app`` follows the Flask tutorial's factory pattern: nothing is read at import
time, so tests build apps on their own database, catalog and clock. What the views need
lives on ``app.extensions["triage"]`` (a ``web.desk.Desk``), reached through ``desk()``;
the blueprints import that and the error shape from ``web.desk``, never from here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from config.catalog import Catalog, load_catalog
from config.settings import Settings
from triage.store import db
from web.api import init_api
from web.auth import csrf, init_auth, secret_key
from web.body_deadline import BodyDeadline
from web.desk import DESK_BLUEPRINTS, FORM_MAX_CONTENT_LENGTH, MAX_CONTENT_LENGTH, Desk, limit_body
from web.errors import register_errors
from web.health import health
from web.i18n import init_i18n
from web.inbound import bp as inbound
from web.inbound_monitoring import bp as inbound_monitoring
from web.security import apply_limits, init_security
from web.ui import register_ui
from workers.channels.payloads import checks, parsers
from workers.enqueue import wire_scheduling


class TriageFlask(Flask):
    """Flask, minus its default unhandled-exception log line: that one carries the
    traceback with the exception's message, which may quote the sender's data. The 500
    handler logs the type and the frames instead."""

    def log_exception(self, exc_info: Any) -> None:
        del exc_info


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None,
    *,
    catalog: Catalog | None = None,
    clock: Callable[[], datetime] | None = None,
    migrate: bool = False,
    defer_intake: bool = False,
) -> Flask:
    """Build the web app.

    ``migrate`` runs the Alembic upgrade first (the embedded ``triage up``); production
    migrates on release and tests pass a migrated database, so it is off by default.
    ``clock`` returns an aware datetime: the server's receipt time of every inbound
    message, injectable so tests can compute deadlines by hand. ``defer_intake``: the
    HMAC webhooks only store and answer, even without Redis; whoever built the app runs
    the batch intake (``triage.store.intake_batch.ingest_pending``) itself.
    """
    settings = settings or Settings.from_env()
    if migrate:
        db.upgrade(settings.database_url)
    app = TriageFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.config["SECRET_KEY"] = secret_key(settings.secret_key, settings.data_dir)
    if settings.body_read_timeout:  # a stalled body is cut off (finding of issue 15)
        app.wsgi_app = BodyDeadline(  # type: ignore[method-assign]
            app.wsgi_app, settings.body_read_timeout, settings.body_deadline or 86400
        )
    if settings.trust_proxy:  # only behind our own proxy: the headers are client-settable
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.extensions["triage"] = Desk(
        settings=settings,
        catalog=catalog if catalog is not None else load_catalog(settings.catalog_path),
        sessions=db.session_factory(settings.database_url),
        clock=clock or _utc_now,
        parsers=parsers(settings),
        checks=checks(settings),
        defer_intake=defer_intake,
    )
    wire_scheduling(app.extensions["triage"].sessions, settings.redis_url)
    limiter = init_security(app, settings)  # first hook: it counts before anyone answers

    @app.before_request
    def _small_forms() -> None:  # before CSRF reads the form
        if request.blueprint in DESK_BLUEPRINTS:
            limit_body(FORM_MAX_CONTENT_LENGTH)

    register_errors(app)
    app.register_blueprint(health)
    app.register_blueprint(inbound)
    app.register_blueprint(inbound_monitoring)
    init_auth(app, settings.secure_cookies)
    init_i18n(app)
    csrf.exempt(inbound)  # signed by the sender, never a browser form
    csrf.exempt(inbound_monitoring)
    init_api(app)
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith("/api/"):
            csrf.exempt(blueprint)  # bearer tokens, not cookies
    register_ui(app)
    apply_limits(limiter, app, settings)

    return app
