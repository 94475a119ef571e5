"""The REST API under ``/api/v1`` (flask-smorest), its OpenAPI document at
``/api/v1/openapi.json``, and its bearer-token authentication.

Authentication runs before anything else on an API route (before the arguments are
parsed): no token or a bad one is 401, a role below the route's is 403. Each view states
its role with ``@requires(...)``; a view without one is admin-only, so a forgotten
declaration fails closed. The OpenAPI document is public.

Errors keep the desk's shape, ``{"error": {"code", "message", "fields"}}``: flask-smorest's
own handler is not installed, and the app's HTTPException handler turns webargs'
validation messages into ``fields`` (web.app).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, request
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.pagination import PaginationMetadataSchema
from webargs.flaskparser import FlaskParser, abort

from triage.store.ticket_actions import (
    ActionError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
)
from web.api.schemas import ErrorSchema
from web.api.tokens import ROLES, Principal, authenticate
from web.app import ApiError, desk, error_response, limit_body

PREFIX = "/api/v1"
DOC_ENDPOINT = "api-docs.openapi_json"
MAX_BODY_BYTES = 1024 * 1024
BEARER = "bearerAuth"

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def requires(role: str) -> Callable[[F], F]:
    """The lowest role that may call the view (agent < manager < admin)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def mark(view: F) -> F:
        view.required_role = role  # type: ignore[attr-defined]
        return view

    return mark


def principal() -> Principal:
    """The caller of the current API request (set by the authentication hook)."""
    return g.api_principal  # type: ignore[no-any-return]


# ------------------------------------------------------------------ flask-smorest, our way


class JsonParser(FlaskParser):
    """webargs' parser, minus a 500 on JSON nested deeper than Python's recursion limit."""

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            abort(400, messages={"json": ["JSON nested too deeply."]})


class ApiBlueprint(SmorestBlueprint):  # type: ignore[misc]
    """flask-smorest's Blueprint with typed decorators, our JSON parser, and pagination
    also as ``X-Total-Count`` and an RFC 8288 ``Link`` header."""

    ARGUMENTS_PARSER = JsonParser()
    PAGINATION_ARGUMENTS_PARSER = JsonParser()

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        return super().route(rule, **options)  # type: ignore[no-any-return]

    def arguments(self, schema: Any, **kwargs: Any) -> Callable[[F], F]:
        return super().arguments(schema, **kwargs)  # type: ignore[no-any-return]

    def response(self, status_code: int, schema: Any = None, **kwargs: Any) -> Callable[[F], F]:
        return super().response(status_code, schema, **kwargs)  # type: ignore[no-any-return]

    def paginate(self, pager: Any = None, **kwargs: Any) -> Callable[[F], F]:
        return super().paginate(pager, **kwargs)  # type: ignore[no-any-return]

    def requires(self, role: str, *errors: int) -> Callable[[F], F]:
        """``requires(role)``, with 401 (403 above the lowest role) and the view's own
        error statuses in the OpenAPI document. Goes right under ``route``."""
        statuses = [401, *([403] if role != ROLES[0] else []), *errors]

        def decorate(view: F) -> F:
            for status in statuses:
                name = HTTPStatus(status).name
                view = self.alt_response(status, response=name)(view)
            return requires(role)(view)

        return decorate

    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        """The paging headers as sent. X-Pagination is JSON, which OpenAPI 3 describes with
        ``content`` (a header ``schema`` means the "simple" style: ``total,8,page,1``)."""
        resp_doc.setdefault("headers", {}).update(
            {
                self.PAGINATION_HEADER_NAME: {
                    "description": "Pagination metadata, as JSON.",
                    "content": {"application/json": {"schema": PaginationMetadataSchema}},
                },
                "X-Total-Count": {
                    "description": "The number of items on all pages.",
                    "schema": {"type": "integer", "minimum": 0},
                },
                "Link": {
                    "description": "RFC 8288 links to the first, prev, next and last pages.",
                    "schema": {"type": "string"},
                },
            }
        )

    def _set_pagination_metadata(self, page_params: Any, result: Any, headers: Any) -> Any:
        result, headers = super()._set_pagination_metadata(page_params, result, headers)
        meta = json.loads(headers[self.PAGINATION_HEADER_NAME])
        headers["X-Total-Count"] = str(meta["total"])
        links = []
        for rel, key in (
            ("first", "first_page"),
            ("prev", "previous_page"),
            ("next", "next_page"),
            ("last", "last_page"),
        ):
            if key in meta:
                args = {**request.args.to_dict(), "page": meta[key]}
                args["page_size"] = page_params.page_size
                links.append(f'<{request.base_url}?{urlencode(args)}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return result, headers


class TriageApi(Api):  # type: ignore[misc]
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """None: the app's handlers answer in the desk's error shape (web.app)."""


class LazyPage:
    """What flask-smorest's ``Page`` pages through: a count and a slice, each one query."""

    def __init__(self, count: Callable[[], int], fetch: Callable[[int, int], list[Any]]) -> None:
        self._count = count
        self._fetch = fetch
        self._total: int | None = None

    def __len__(self) -> int:
        if self._total is None:
            self._total = self._count()
        return self._total

    def __getitem__(self, window: slice) -> list[Any]:
        start, stop = window.start or 0, window.stop
        if start >= len(self) or stop <= start:
            return []  # also keeps a huge page number out of the database's OFFSET
        return self._fetch(start, stop - start)


# ------------------------------------------------------------------ wiring


def init_api(app: Flask) -> Api:
    from web.api.outages import blp as outages  # noqa: PLC0415 - they import from here
    from web.api.quarantine import blp as quarantine  # noqa: PLC0415
    from web.api.sms import blp as sms  # noqa: PLC0415
    from web.api.tickets import blp as tickets  # noqa: PLC0415

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


__all__ = ["PREFIX", "ApiBlueprint", "LazyPage", "init_api", "principal", "requires"]
