"""``/api/v1/quarantine``: payloads that could not become tickets (admin only).

The list shows what an admin needs to judge an item (channel, type, size, the parser's
error), never the payload itself: it is the sender's data. ``reprocess`` parses it again
after a parser fix; the answer says whether it became a ticket or is quarantined again.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Page

from triage.store import ticket_actions as actions
from web.api.base import PREFIX, ApiBlueprint, LazyPage
from web.api.schemas import QuarantineItemSchema, ReprocessSchema
from web.desk import desk

blp = ApiBlueprint(
    "quarantine",
    __name__,
    url_prefix=f"{PREFIX}/quarantine",
    description="Inbound payloads that could not be parsed (admin).",
)


@blp.route("")
@blp.requires("admin")
@blp.response(200, QuarantineItemSchema(many=True))
@blp.paginate(Page, page_size=50, max_page_size=200)
def list_quarantine() -> LazyPage:
    """Quarantined payloads, newest first (without their bodies)."""
    app = desk()

    def count() -> int:
        with app.sessions() as session:
            return actions.count_quarantine(session)

    def fetch(offset: int, limit: int) -> list[Any]:
        with app.sessions() as session:
            return [i.__dict__ for i in actions.quarantined(session, offset=offset, limit=limit)]

    return LazyPage(count, fetch)


@blp.route("/<int:item_id>/reprocess", methods=["POST"])
@blp.requires("admin", 404, 409)
@blp.response(200, ReprocessSchema)
def reprocess(item_id: int) -> Any:
    """Parse the stored payload again and ingest it (the ticket keeps the original receipt
    time). 404 for an unknown item, 409 when it was already processed."""
    app = desk()
    result = actions.reprocess_item(app.sessions, app.catalog, item_id, app.parsers, app.clock())
    return result.__dict__
