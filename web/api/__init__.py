"""The REST API under ``/api/v1`` (flask-smorest), its OpenAPI document at
``/api/v1/openapi.json``, and its bearer-token authentication.

Authentication runs before anything else on an API route (before the arguments are
parsed): no token or a bad one is 401, a role below the route's is 403. Each view states
its role with ``@requires(...)``; a view without one is admin-only, so a forgotten
declaration fails closed. The OpenAPI document is public.

Errors keep the desk's shape, ``{"error": {"code", "message", "fields"}}``: flask-smorest's
own handler is not installed, and the app's HTTPException handler turns webargs'
validation messages into ``fields`` (web.errors).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, request
from flask_smorest import Api

from triage.store.ticket_actions import (
    ActionError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
)
from triage.store.tokens import authenticate
from web.api.base import PREFIX
from web.api.outages import blp as outages
from web.api.quarantine import blp as quarantine
from web.api.schemas import ErrorSchema
from web.api.sms import blp as sms
from web.api.tickets import blp as tickets
from web.desk import ApiError, desk, error_response, limit_body

DOC_ENDPOINT = "api-docs.openapi_json"
MAX_BODY_BYTES = 1024 * 1024
BEARER = "bearerAuth"

log = logging.getLogger(__name__)


class TriageApi(Api):  # type: ignore[misc]
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """None: the app's handlers answer in the desk's error shape (web.errors)."""


# ------------------------------------------------------------------ wiring


def init_api(app: Flask) -> Api:
    app.config.update(
        API_TITLE="triage",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Support-ticket triage and vendor SLA desk. Every route but "
                "this document takes `Authorization: Bearer trg_<id>_<secret>` (made with "
                "`triage tokens create`). Errors: "
                '`{"error": {"code", "message", "fields"}}`.'
            },
            "security": [{BEARER: []}],
            "components": {
                "securitySchemes": {
                    BEARER: {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "trg_<id>_<secret>; roles agent < manager < admin",
                    }
                }
            },
        },
    )
    api = TriageApi(app)
    api.register_blueprint(tickets)
    api.register_blueprint(quarantine)
    api.register_blueprint(sms)
    api.register_blueprint(outages)
    app.before_request(_authenticate)

    @app.errorhandler(ActionError)
    def _refused(exc: ActionError) -> Response:
        if isinstance(exc, NotFound):
            return error_response(404, "not_found", exc.message)
        if isinstance(exc, Conflict):
            return error_response(409, "conflict", exc.message)
        if isinstance(exc, Forbidden):
            return error_response(403, "forbidden", exc.message)
        if isinstance(exc, Unavailable):
            return error_response(503, "unavailable", exc.message)
        if isinstance(exc, Invalid):
            field = exc.field or "(body)"
            return error_response(422, "validation_failed", exc.message, {field: [exc.message]})
        return error_response(400, "bad_request", exc.message)

    return api


def _authenticate() -> None:
    if request.url_rule is None or not request.path.startswith(PREFIX + "/"):
        return  # not an API route (an unknown path answers 404 on its own)
    if request.endpoint == DOC_ENDPOINT:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    role = getattr(view, "required_role", "admin")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        log.info("api: %s %s refused, no bearer token", request.method, request.path)
        raise ApiError(
            401,
            "missing_token",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="triage"'},
        )
    app = desk()
    with app.sessions() as session:
        caller = authenticate(session, token, app.clock())
    if caller is None:
        log.info("api: %s %s refused, bad or revoked token", request.method, request.path)
        raise ApiError(
            401,
            "invalid_token",
            "the token is unknown, malformed or revoked",
            headers={"WWW-Authenticate": 'Bearer realm="triage", error="invalid_token"'},
        )
    if not caller.may(role):
        log.info("api: token %d (%s) refused %s", caller.token_id, caller.role, request.endpoint)
        raise ApiError(403, "forbidden", f"this needs the {role} role; the token is {caller.role}")
    g.api_principal = caller
    limit_body(MAX_BODY_BYTES)  # read only for a caller the token admits


__all__ = ["init_api"]
