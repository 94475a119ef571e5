"""``/api/v1/sms``: the SMS outbox (what the desk sent, or would have sent with no Twilio
configured) and ``/api/v1/oncall``: who is paged right now.

Numbers are masked: the list is for seeing that paging works, not a phone book.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Page

from triage.oncall import on_call, shift_at
from triage.phone import mask_phone
from triage.store import sms_outbox
from triage.store.roster import load_roster, names_by_phone
from web.api.base import PREFIX, ApiBlueprint, LazyPage
from web.api.schemas import OnCallSchema, SmsQuerySchema, SmsSchema
from web.desk import desk

blp = ApiBlueprint(
    "sms", __name__, url_prefix=PREFIX, description="Escalation SMS and the on-call roster."
)


@blp.route("/sms")
@blp.requires("agent")
@blp.arguments(SmsQuerySchema, location="query")
@blp.response(200, SmsSchema(many=True))
@blp.paginate(Page, page_size=50, max_page_size=200)
def list_sms(query: dict[str, Any]) -> LazyPage:
    """The SMS outbox, newest first; ``status`` filters."""
    app = desk()
    status = query.get("status")

    def count() -> int:
        with app.sessions() as session:
            return sms_outbox.count(session, status=status or None)

    def fetch(offset: int, limit: int) -> list[Any]:
        with app.sessions() as session:
            rows = sms_outbox.listing(session, status=status, offset=offset, limit=limit)
            names = names_by_phone(session, (r.recipient for r in rows))
            return [
                {
                    "id": r.id,
                    "to": mask_phone(r.recipient),
                    "staff": names.get(r.recipient),
                    "body": r.body,
                    "tickets": r.ticket_ids,
                    "status": r.status,
                    "provider": r.provider,
                    "attempts": r.attempts,
                    "error": r.error,
                    "created_at": r.created_at,
                    "sent_at": r.sent_at,
                    "delivered_at": r.delivered_at,
                }
                for r in rows
            ]

    return LazyPage(count, fetch)


@blp.route("/oncall")
@blp.requires("agent")
@blp.response(200, OnCallSchema(many=True))
def who_is_on_call() -> list[dict[str, Any]]:
    """Who a page of each level would reach now (levels 1 and 2)."""
    app = desk()
    now = app.clock()
    calendar = app.catalog.calendars[app.settings.roster_calendar]
    with app.sessions() as session:
        roster = load_roster(session, calendar, now)
    shift = shift_at(roster, now)
    out = []
    for level in (1, 2):
        person = on_call(roster, level, now)
        out.append(
            {
                "level": level,
                "shift": shift,
                "staff": person.name if person else None,
                "to": mask_phone(person.phone) if person else None,
            }
        )
    return out
