"""What the API's blueprints share: ``ApiBlueprint`` (flask-smorest's, our way),
``requires`` (a view's lowest role), ``principal`` (the caller), ``LazyPage`` and the
URL prefix. The blueprints import these from here; ``web.api`` imports the blueprints.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import g, request
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.pagination import PaginationMetadataSchema
from webargs.flaskparser import FlaskParser, abort

from triage.store.tokens import ROLES, Principal

PREFIX = "/api/v1"

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
