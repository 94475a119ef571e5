"""gunicorn's access log without the values of query strings (``config/gunicorn.py``).

A search (``GET /?q=kari.testesen@example.com``), a filter or a link followed from such a
page (the Referer) names people, and an access log outlives the erasure of what it names
(issue 15). Every place gunicorn's access log format can show a query (the request line
``%(r)s``, ``%(q)s``, the referer ``%(f)s`` and ``%({referer}i)s``) shows the parameter
names with each value as ``*``: ``GET /?q=*&status=* HTTP/1.1``. The path stays as it is;
the desk's paths hold ids, never names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from gunicorn.glogging import Logger

MASK = "*"


def mask_query(query: str) -> str:
    """``q=kari@example.com&page=2`` -> ``q=*&page=*`` (names kept, values masked)."""
    if not query:
        return ""
    names = [name for name, _value in parse_qsl(query, keep_blank_values=True)]
    if not names:  # not name=value pairs at all: nothing of it is shown
        return MASK
    return "&".join(f"{name[:40]}={MASK}" for name in names)


def mask_url(url: str) -> str:
    """A URL or request target with its query masked (and no fragment)."""
    if "?" not in url and "#" not in url:
        return url
    parts = urlsplit(url)
    query = mask_query(parts.query)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class MaskedQueryLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with query values masked in every access-log field."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        raw = environ.get("RAW_URI") or environ.get("PATH_INFO") or ""
        atoms["r"] = (
            f"{environ.get('REQUEST_METHOD', '-')} {mask_url(raw)} "
            f"{environ.get('SERVER_PROTOCOL', '-')}"
        )
        atoms["q"] = mask_query(environ.get("QUERY_STRING") or "")
        if atoms.get("f") not in (None, "-"):
            atoms["f"] = mask_url(str(atoms["f"]))
        for key in [k for k in atoms if k.lower() == "{referer}i"]:
            atoms[key] = mask_url(str(atoms[key]))
        return atoms
