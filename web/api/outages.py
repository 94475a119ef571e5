"""``/api/v1/outages``: the outage register (managers), the same entries the availability
page records and ``triage sla uptime`` reads: start, end, affected users, cause, and for
planned maintenance when it was announced, accepted or objected to (004 §3.6/§3.7,
§3.12/§3.13; 003 §18), which decide whether it counts as downtime.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from triage.availability_register import RecordedOutage
from triage.store import outages as register
from web.api.base import PREFIX, ApiBlueprint, principal
from web.api.schemas import OsloDateTime
from web.desk import desk
from workers.channels.schemas import NOT_BLANK, Identifier, Instant, Text

MAX_TEXT = 2000
MAX_USERS = 10_000_000
STAMPS = ("announced_at", "accepted_at", "objected_at")

blp = ApiBlueprint(
    "outages", __name__, url_prefix=PREFIX, description="The outage register (availability)."
)


class OutageQuerySchema(Schema):
    start = Instant(data_key="from", metadata={"description": "Entries ending after this."})
    end = Instant(data_key="to", metadata={"description": "Entries starting before this."})
    contract = Identifier()


class NewOutageSchema(Schema):
    contract = Identifier(required=True)
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    affected_users = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_USERS)
    )
    cause = Text(load_default="", validate=validate.Length(max=MAX_TEXT))
    excluded = fields.Boolean(load_default=False)
    exclusion_reason = Text(
        load_default=None, allow_none=True, validate=[validate.Length(max=MAX_TEXT), NOT_BLANK]
    )
    announced_at = Instant(load_default=None, allow_none=True)
    accepted_at = Instant(load_default=None, allow_none=True)
    objected_at = Instant(load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        contract = desk().catalog.contracts.get(data.get("contract", ""))
        if contract is None and "contract" in data:
            errors["contract"] = [f"Unknown contract {data['contract']!r}."]
        if contract is not None and not any(t.availability for t in contract.terms):
            errors["contract"] = [f"{contract.id} has no availability guarantee."]
        start, end = data.get("starts_at"), data.get("ends_at")
        if start is not None and end is not None and end <= start:
            errors["ends_at"] = ["Must be after starts_at."]
        if data.get("excluded") and not data.get("exclusion_reason"):
            errors["exclusion_reason"] = ["Required when the outage is excluded."]
        if errors:
            raise ValidationError(errors)


class OutageSchema(Schema):
    id = fields.Integer()
    contract = fields.String(attribute="contract_id")
    starts_at = OsloDateTime()
    ends_at = OsloDateTime()
    affected_users = fields.Integer()
    cause = fields.String()
    excluded = fields.Boolean()
    exclusion_reason = fields.String(allow_none=True)
    announced_at = OsloDateTime(allow_none=True)
    accepted_at = OsloDateTime(allow_none=True)
    objected_at = OsloDateTime(allow_none=True)
    recorded_by = fields.String()
    created_at = OsloDateTime(allow_none=True)


@blp.route("/outages")
@blp.requires("manager")
@blp.arguments(OutageQuerySchema, location="query")
@blp.response(200, OutageSchema(many=True))
def list_outages(query: dict[str, Any]) -> list[RecordedOutage]:
    """Entries overlapping [from, to) (default: the last 365 days and the next 30)."""
    app = desk()
    now = app.clock()
    start = query.get("start") or now - timedelta(days=365)
    end = query.get("end") or now + timedelta(days=30)
    contract = query.get("contract")
    with app.sessions() as session:
        return register.outages_between(session, start, end, [contract] if contract else None)


@blp.route("/outages", methods=["POST"])
@blp.requires("manager", 422)
@blp.arguments(NewOutageSchema)
@blp.response(201, OutageSchema)
def record_outage(args: dict[str, Any]) -> RecordedOutage:
    """Record an outage. A bad or missing field answers 422 naming it; nothing is stored."""
    app = desk()
    with app.sessions() as session:
        entry = register.add_outage(
            session,
            contract_id=args["contract"],
            starts_at=args["starts_at"],
            ends_at=args["ends_at"],
            affected_users=args["affected_users"],
            cause=args["cause"],
            excluded=args["excluded"],
            exclusion_reason=args["exclusion_reason"],
            recorded_by=principal().name,
            now=app.clock(),
            **{name: args[name] for name in STAMPS},
        )
        session.commit()
    return entry
