"""Load and validate the contract catalog (TOML) into ``sla`` values.

The shipped catalog is package data (``config/catalog.toml``); ``TRIAGE_CATALOG`` names a
file that replaces it. Loading is strict: an unknown key, an overlapping window, a gap in
the credit tiers that no reading covers, a negative duration or an unknown time zone stops
the load with a message naming the contract (or calendar, ladder, tier table) and the
field, because a catalog that silently drops a term would silently drop money.

Two passes: marshmallow checks the shape (types, required and unknown keys), then the
``sla`` constructors check the meaning; both kinds of error come out in the same
"where: what" form.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from sla.availability import AvailabilityTerms, CreditTier, DowntimeThreshold, validate_credit_tiers
from sla.calendar import WEEKDAYS, Calendar
from sla.claims import CapBasis, ClaimFrom, LiabilityCap, PromptClaim
from sla.contract import Contract, Note, Recognition, ResponseRule, Terms
from sla.escalation import Ladder, LadderPoint
from sla.penalty import FeeFormula, PenaltyRule, Stacking
from sla.ranges import check_amount
from sla.readings import Alternative, Favours
from sla.severity import Severity
from sla.targets import BusinessDuration, EndOfNextWorkingDay, Immediately, NoTarget, ResponseTarget
from triage.monitoring import MonitoredService, ProbeSpec

CATALOG_ENV = "TRIAGE_CATALOG"
T = TypeVar("T")


class CatalogError(ValueError):
    """The catalog cannot be used; the message says where and what."""


# ------------------------------------------------------------------ value parsers

_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """ISO 8601 durations of days, hours, minutes and seconds (``PT60M``, ``P5D``).

    Years and months are refused: their length depends on the date, which a response
    budget must not. A leading minus is refused with its own message.
    """
    value = text.strip().upper()
    if value.startswith("-"):
        raise ValueError(f"duration {text!r} is negative")
    match = _DURATION.match(value)
    if not match or value in ("P", "PT") or value.endswith("T"):
        raise ValueError(f"duration {text!r} is not an ISO 8601 duration such as PT60M or P5D")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    try:
        return timedelta(**parts)
    except OverflowError:
        raise ValueError(f"duration {text!r} is too large") from None


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{what} {text!r} is not a finite number")
    return value


def _percent_point(text: str) -> Fraction:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", text)
    if not match:
        raise ValueError(f"ladder point {text!r} is not a percentage such as '50%'")
    return Fraction(Decimal(match.group(1))) / 100


# ------------------------------------------------------------------ shape (marshmallow)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _NoteSchema(_Strict):
    about = fields.String(
        required=True,
        validate=validate.OneOf(
            [
                "response",
                "penalty",
                "availability",
                "classification",
                "routing",
                "hand-off",
                "claim",
                "general",
            ]
        ),
    )
    text = fields.String(required=True, validate=validate.Length(min=1))
    text_nb = fields.String(validate=validate.Length(min=1))  # Norwegian, for the web desk


class _CalendarSchema(_Strict):
    description = fields.String(load_default="")
    timezone = fields.String(required=True)
    holidays = fields.String(load_default="")
    closed_dates = fields.List(fields.Date(), load_default=list)
    open_dates = fields.List(fields.Date(), load_default=list)
    hours = fields.Dict(
        keys=fields.String(validate=validate.OneOf(WEEKDAYS)),
        values=fields.List(fields.String()),
        required=True,
    )


class _LadderPointSchema(_Strict):
    name = fields.String(required=True)
    level = fields.Integer(required=True, strict=True)
    at = fields.String()
    after_due = fields.String()


class _RepeatSchema(_Strict):
    times = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10))
    every = fields.String(required=True)


class _LadderSchema(_Strict):
    points = fields.List(
        fields.Nested(_LadderPointSchema), required=True, validate=validate.Length(min=1)
    )
    repeat = fields.Nested(_RepeatSchema)


class _TierSchema(_Strict):
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    reduction_pct = fields.Integer(required=True, strict=True)
    reading = fields.String()
    reading_nb = fields.String(validate=validate.Length(min=1))  # Norwegian, for the web desk


class _TierTableSchema(_Strict):
    source = fields.String(required=True)
    tiers = fields.List(fields.Nested(_TierSchema), required=True, validate=validate.Length(min=1))


class _ResponseSchema(_Strict):
    target = fields.String(required=True)
    grace = fields.String()
    ladder = fields.String()
    source = fields.String(required=True)


class _FeeSchema(_Strict):
    base_monthly = fields.String(required=True)
    per_user_monthly = fields.String(required=True)
    billing_months = fields.Integer(required=True, strict=True)
    active_users = fields.Integer(required=True, strict=True)
    currency = fields.String(load_default="NOK")


class _PromptClaimSchema(_Strict):
    within = fields.String(required=True)
    after = fields.String(required=True, validate=validate.OneOf([c.value for c in ClaimFrom]))
    calendar = fields.String()
    source = fields.String(required=True)


class _PenaltySchema(_Strict):
    deduction_pct = fields.String(required=True)
    stacking = fields.String(required=True, validate=validate.OneOf([s.value for s in Stacking]))
    periods_later = fields.Integer(required=True, strict=True)
    claim_limit_months = fields.Integer(required=True, strict=True)
    source = fields.String(required=True)
    prompt_claim = fields.Nested(_PromptClaimSchema)


class _AlternativeSchema(_Strict):
    reading = fields.String(required=True, validate=validate.Length(min=1))
    alternative = fields.String(required=True, validate=validate.Length(min=1))
    favours = fields.String(required=True, validate=validate.OneOf([f.value for f in Favours]))
    severities = fields.List(
        fields.String(validate=validate.OneOf([s.value for s in Severity])),
        load_default=lambda: [s.value for s in Severity],
    )
    calendar = fields.String()
    target = fields.String()
    source = fields.String(required=True)


class _LiabilityCapSchema(_Strict):
    basis = fields.String(required=True, validate=validate.OneOf([b.value for b in CapBasis]))
    months = fields.Integer(strict=True, load_default=12)
    amount = fields.String()
    text = fields.String(load_default="")
    source = fields.String(required=True)


class _AvailabilitySchema(_Strict):
    guarantee_pct = fields.String(required=True)
    core_time = fields.String(required=True)
    periodic_maintenance = fields.String()
    planned_maintenance = fields.String()
    planned_notice = fields.String(load_default="P5D")
    min_users = fields.Integer(required=True, strict=True)
    fraction_when_fewer = fields.String(required=True)
    excluded_causes = fields.List(fields.String(), load_default=list)
    credit_tiers = fields.String()
    source = fields.String(required=True)
    planned_acceptance = fields.String(
        load_default="unless-objected", validate=validate.OneOf(["unless-objected", "required"])
    )
    objection_before = fields.String()
    planned_outside_core_only = fields.Boolean(load_default=False)
    prompt_claim = fields.Nested(_PromptClaimSchema)
    service_start = fields.Date()
    exclusive_remedy = fields.String()


class _TermsSchema(_Strict):
    valid_from = fields.Date(required=True)
    calendar = fields.String(required=True)
    ladder = fields.String()
    response = fields.Dict(
        keys=fields.String(validate=validate.OneOf([s.value for s in Severity])),
        values=fields.Nested(_ResponseSchema),
        required=True,
    )
    forward_by = fields.Nested(_ResponseSchema)
    fee = fields.Nested(_FeeSchema)
    penalty = fields.Nested(_PenaltySchema)
    availability = fields.Nested(_AvailabilitySchema)
    notes = fields.List(fields.Nested(_NoteSchema), load_default=list)
    alternatives = fields.List(fields.Nested(_AlternativeSchema), load_default=list)


class _RecogniseSchema(_Strict):
    addresses = fields.List(fields.String(), load_default=list)
    sender_domains = fields.List(fields.String(), load_default=list)
    keywords = fields.List(fields.String(), load_default=list)


class _ProbeSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["http", "tcp"]))
    target = fields.String(required=True)
    interval = fields.String(load_default="PT1M")
    timeout = fields.String(load_default="PT10S")
    failures = fields.Integer(load_default=3, strict=True)
    expect_status = fields.Integer(load_default=200, strict=True)
    keyword = fields.String()


class _MonitoringSchema(_Strict):
    labels = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    affected_users_label = fields.String(load_default="affected_users")
    default_affected_users = fields.Integer(required=True, strict=True)
    probe = fields.Nested(_ProbeSchema)


class _ContractSchema(_Strict):
    vendor = fields.String(required=True)
    service = fields.String(required=True)
    short_name = fields.String(validate=validate.Length(min=1, max=12))
    source = fields.String(required=True)
    support_email = fields.String()
    support_phone = fields.String()
    fault_report_contents = fields.List(fields.String(), load_default=list)
    recognise = fields.Nested(_RecogniseSchema, load_default=dict)
    notes = fields.List(fields.Nested(_NoteSchema), load_default=list)
    liability_cap = fields.Nested(_LiabilityCapSchema)
    terms = fields.List(fields.Nested(_TermsSchema), required=True, validate=validate.Length(min=1))
    monitoring = fields.Nested(_MonitoringSchema)


class _ClassificationSchema(_Strict):
    confirm_below = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(min=0.5, max=1.0)
    )
    description = fields.String(load_default="")


class _CatalogSchema(_Strict):
    classification = fields.Nested(_ClassificationSchema, load_default=dict)
    catalog_version = fields.Integer(required=True, strict=True, validate=validate.Equal(1))
    calendars = fields.Dict(
        keys=fields.String(), values=fields.Nested(_CalendarSchema), required=True
    )
    ladders = fields.Dict(
        keys=fields.String(), values=fields.Nested(_LadderSchema), load_default=dict
    )
    credit_tiers = fields.Dict(
        keys=fields.String(), values=fields.Nested(_TierTableSchema), load_default=dict
    )
    contracts = fields.Dict(
        keys=fields.String(), values=fields.Nested(_ContractSchema), required=True
    )


_SECTION_WORD = {
    "contracts": "contract",
    "calendars": "calendar",
    "ladders": "ladder",
    "credit_tiers": "credit tier table",
}


def _flatten(messages: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(messages, Mapping):
        result = []
        for key, value in messages.items():
            # marshmallow reports dict problems as {"key": [...], "value": {...}}
            if key in ("value", "key") and path and isinstance(value, Mapping | list):
                result += _flatten(value, path if key == "value" else (*path, "(key)"))
            else:
                result += _flatten(value, (*path, str(key)))
        return result
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(path, " ".join(messages))]
    if isinstance(messages, list):
        return [item for m in messages for item in _flatten(m, path)]
    return [(path, str(messages))]


def _where(path: tuple[str, ...]) -> str:
    if len(path) >= 2 and path[0] in _SECTION_WORD:
        head = f"{_SECTION_WORD[path[0]]} {path[1]!r}"
        rest = ".".join(path[2:])
        return f"{head}: {rest}" if rest else head
    return ".".join(path) or "catalog"


# ------------------------------------------------------------------ meaning (sla values)


#: Confidence below which a classification needs an agent's confirmation (catalog default).
CONFIRM_BELOW = 0.8


@dataclass(frozen=True)
class ClassificationTerms:
    """How the desk acts on the classifier's confidence (catalog ``[classification]``):
    below ``confirm_below`` a ticket needs confirmation and runs the critical clock."""

    confirm_below: float = CONFIRM_BELOW


@dataclass(frozen=True)
class Catalog:
    """Every contract by id, with the calendars and ladders they were built from."""

    contracts: Mapping[str, Contract]
    calendars: Mapping[str, Calendar]
    ladders: Mapping[str, Ladder]
    origin: str
    classification: ClassificationTerms = ClassificationTerms()
    #: Contracts whose hosted service monitoring watches (``triage.monitoring``), by id.
    monitoring: Mapping[str, MonitoredService] = field(default_factory=dict)

    def get(self, contract_id: str) -> Contract:
        try:
            return self.contracts[contract_id]
        except KeyError:
            known = ", ".join(sorted(self.contracts))
            raise KeyError(f"unknown contract {contract_id!r}; known contracts: {known}") from None


class _Builder:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.calendars: dict[str, Calendar] = {}
        self.ladders: dict[str, Ladder] = {}
        self.tiers: dict[str, tuple[CreditTier, ...]] = {}

    def build(self, origin: str) -> Catalog:
        for name, raw in self.data["calendars"].items():
            self.calendars[name] = _in(f"calendar {name!r}", partial(self._calendar, name, raw))
        for name, raw in self.data["ladders"].items():
            self.ladders[name] = _in(f"ladder {name!r}", partial(self._ladder, name, raw))
        for name, raw in self.data["credit_tiers"].items():
            self.tiers[name] = _in(f"credit tier table {name!r}", partial(self._tiers, raw))
        contracts = {
            cid: _in(f"contract {cid!r}", partial(self._contract, cid, raw))
            for cid, raw in self.data["contracts"].items()
        }
        monitoring = {
            cid: _in(f"contract {cid!r}", partial(self._monitoring, cid, raw["monitoring"]))
            for cid, raw in self.data["contracts"].items()
            if "monitoring" in raw
        }
        raw_terms = self.data["classification"]
        below = raw_terms.get("confirm_below") if raw_terms else None
        return Catalog(
            contracts=contracts,
            calendars=self.calendars,
            ladders=self.ladders,
            origin=origin,
            classification=ClassificationTerms(
                confirm_below=CONFIRM_BELOW if below is None else float(below)
            ),
            monitoring=monitoring,
        )

    def _monitoring(self, cid: str, raw: Mapping[str, Any]) -> MonitoredService:
        where = "monitoring"
        probe = None
        if "probe" in raw:
            spec = raw["probe"]
            at = f"{where}.probe"
            probe = _field(
                at,
                lambda: ProbeSpec(
                    kind=spec["kind"],
                    target=spec["target"],
                    interval=parse_duration(spec["interval"]),
                    timeout=parse_duration(spec["timeout"]),
                    failures=spec["failures"],
                    expect_status=spec["expect_status"],
                    keyword=spec.get("keyword"),
                ),
            )
        if raw["default_affected_users"] < 0:
            raise ValueError(f"{where}.default_affected_users: must not be negative")
        if not raw["labels"] and probe is None:
            raise ValueError(f"{where}: name the alert labels, a probe, or both")
        return MonitoredService(
            contract_id=cid,
            labels=dict(raw["labels"]),
            default_users=raw["default_affected_users"],
            users_label=raw["affected_users_label"],
            probe=probe,
        )

    def _calendar(self, name: str, raw: Mapping[str, Any]) -> Calendar:
        return Calendar.from_hours(
            name,
            raw["timezone"],
            raw["hours"],
            holiday_country=raw["holidays"] or None,
            closed_dates=raw["closed_dates"],
            open_dates=raw["open_dates"],
        )

    def _ladder(self, name: str, raw: Mapping[str, Any]) -> Ladder:
        points = []
        for i, point in enumerate(raw["points"]):
            where = f"points[{i}]"
            if ("at" in point) == ("after_due" in point):
                raise ValueError(f"{where}: give exactly one of 'at' or 'after_due'")
            fraction = (
                _field(where + ".at", partial(_percent_point, point["at"]))
                if "at" in point
                else None
            )
            delay = (
                _field(where + ".after_due", partial(parse_duration, point["after_due"]))
                if "after_due" in point
                else None
            )
            points.append(
                _field(
                    where,
                    partial(LadderPoint, point["name"], point["level"], fraction, delay),
                )
            )
        repeat = raw.get("repeat") or {"times": 0}
        every = (
            _field("repeat.every", partial(parse_duration, repeat["every"]))
            if "every" in repeat
            else None
        )
        return _field("repeat", partial(Ladder, name, tuple(points), repeat["times"], every))

    def _tiers(self, raw: Mapping[str, Any]) -> tuple[CreditTier, ...]:
        tiers = []
        for i, tier in enumerate(raw["tiers"]):
            where = f"tiers[{i}]"
            low = _field(where + ".from", partial(_decimal, tier["from_"], "tier bound"))
            high = _field(where + ".to", partial(_decimal, tier["to"], "tier bound"))
            tiers.append(
                CreditTier(
                    low, high, tier["reduction_pct"], tier.get("reading"), tier.get("reading_nb")
                )
            )
        return _field("tiers", lambda: validate_credit_tiers(tiers))

    def _named(self, table: Mapping[str, Any], name: str, what: str, where: str) -> Any:
        if name not in table:
            known = ", ".join(sorted(table)) or "none defined"
            raise ValueError(f"{where}: unknown {what} {name!r} (known: {known})")
        return table[name]

    def _target(self, raw: Mapping[str, Any], where: str) -> ResponseTarget:
        kind = raw["target"].strip()
        if kind != "immediately" and "grace" in raw:
            raise ValueError(f"{where}.grace: only an 'immediately' target has a grace period")
        if kind == "none":
            return NoTarget()
        if kind == "end-of-next-working-day":
            return EndOfNextWorkingDay()
        if kind == "immediately":
            if "grace" not in raw:
                raise ValueError(
                    f"{where}.grace: an 'immediately' target needs a grace period such as PT15M"
                )
            grace = _field(where + ".grace", lambda: parse_duration(raw["grace"]))
            return _field(where + ".grace", lambda: Immediately(grace))
        if kind.upper().lstrip("-").startswith("P"):
            amount = _field(where + ".target", lambda: parse_duration(kind))
            return _field(where + ".target", lambda: BusinessDuration(amount))
        raise ValueError(
            f"{where}.target: {kind!r} is not a response target "
            "(a duration such as PT60M, 'end-of-next-working-day', 'immediately' or 'none')"
        )

    def _terms(self, i: int, raw: Mapping[str, Any]) -> Terms:
        at = f"terms[{i}]"
        calendar = self._named(self.calendars, raw["calendar"], "calendar", f"{at}.calendar")
        ladder = (
            self._named(self.ladders, raw["ladder"], "ladder", f"{at}.ladder")
            if "ladder" in raw
            else None
        )
        missing = [s.value for s in Severity if s.value not in raw["response"]]
        if missing:
            raise ValueError(f"{at}.response: no rule for {', '.join(missing)}")
        response = {}
        for key, rule in raw["response"].items():
            severity = Severity(key)
            where = f"{at}.response.{key}"
            rule_ladder = (
                self._named(self.ladders, rule["ladder"], "ladder", where + ".ladder")
                if "ladder" in rule
                else None
            )
            response[severity] = ResponseRule(
                self._target(rule, where), rule["source"], rule_ladder
            )
        forward_by = (
            ResponseRule(
                self._target(raw["forward_by"], f"{at}.forward_by"), raw["forward_by"]["source"]
            )
            if "forward_by" in raw
            else None
        )
        fee = self._fee(raw["fee"], f"{at}.fee") if "fee" in raw else None
        penalty = self._penalty(raw["penalty"], f"{at}.penalty") if "penalty" in raw else None
        if penalty is not None and fee is None:
            raise ValueError(
                f"{at}.penalty: a penalty needs a fee to deduct from ({at}.fee is missing)"
            )
        availability = (
            self._availability(raw["availability"], f"{at}.availability")
            if "availability" in raw
            else None
        )
        alternatives = tuple(
            self._alternative(alt, f"{at}.alternatives[{n}]")
            for n, alt in enumerate(raw["alternatives"])
        )
        return Terms(
            alternatives=alternatives,
            valid_from=raw["valid_from"],
            calendar=calendar,
            response=response,
            ladder=ladder,
            forward_by=forward_by,
            fee=fee,
            penalty=penalty,
            availability=availability,
            notes=tuple(Note(n["about"], n["text"], n.get("text_nb")) for n in raw["notes"]),
        )

    def _alternative(self, raw: Mapping[str, Any], where: str) -> Alternative:
        calendar = (
            self._named(self.calendars, raw["calendar"], "calendar", f"{where}.calendar")
            if "calendar" in raw
            else None
        )
        target = self._target(raw, where) if "target" in raw else None
        return _field(
            where,
            lambda: Alternative(
                reading=raw["reading"],
                text=raw["alternative"],
                favours=Favours(raw["favours"]),
                severities=frozenset(Severity(s) for s in raw["severities"]),
                source=raw["source"],
                calendar=calendar,
                target=target,
            ),
        )

    def _prompt_claim(self, raw: Mapping[str, Any], where: str) -> PromptClaim:
        days, working = _field(where + ".within", lambda: PromptClaim.parse_within(raw["within"]))
        calendar = (
            self._named(self.calendars, raw["calendar"], "calendar", f"{where}.calendar")
            if "calendar" in raw
            else None
        )
        return _field(
            where,
            lambda: PromptClaim(days, working, ClaimFrom(raw["after"]), raw["source"], calendar),
        )

    def _liability_cap(self, raw: Mapping[str, Any], where: str) -> LiabilityCap:
        basis = CapBasis(raw["basis"])
        amount = (
            _field(
                where + ".amount", lambda: check_amount("amount", _decimal(raw["amount"], "amount"))
            )
            if "amount" in raw
            else None
        )
        if raw["months"] < 1:
            raise ValueError(f"{where}.months: must be at least 1")
        return LiabilityCap(basis, raw["source"], raw["months"], amount, raw["text"])

    def _fee(self, raw: Mapping[str, Any], where: str) -> FeeFormula:
        base = _field(where + ".base_monthly", lambda: _decimal(raw["base_monthly"], "amount"))
        per_user = _field(
            where + ".per_user_monthly", lambda: _decimal(raw["per_user_monthly"], "amount")
        )
        if raw["billing_months"] not in (1, 3, 6, 12):
            raise ValueError(
                f"{where}.billing_months: must be 1, 3, 6 or 12, got {raw['billing_months']}"
            )
        return _field(
            where,
            lambda: FeeFormula(
                base, per_user, raw["billing_months"], raw["active_users"], raw["currency"]
            ),
        )

    def _penalty(self, raw: Mapping[str, Any], where: str) -> PenaltyRule:
        pct = _field(where + ".deduction_pct", lambda: _decimal(raw["deduction_pct"], "percentage"))
        prompt = (
            self._prompt_claim(raw["prompt_claim"], where + ".prompt_claim")
            if "prompt_claim" in raw
            else None
        )
        return _field(
            where,
            lambda: PenaltyRule(
                pct,
                Stacking(raw["stacking"]),
                raw["periods_later"],
                raw["claim_limit_months"],
                raw["source"],
                prompt,
            ),
        )

    def _availability(self, raw: Mapping[str, Any], where: str) -> AvailabilityTerms:
        def calendar(key: str) -> Calendar | None:
            if key not in raw:
                return None
            found: Calendar = self._named(self.calendars, raw[key], "calendar", f"{where}.{key}")
            return found

        core = calendar("core_time")
        assert core is not None
        fraction = _field(
            where + ".fraction_when_fewer", lambda: Fraction(raw["fraction_when_fewer"])
        )
        tiers = (
            self._named(
                self.tiers, raw["credit_tiers"], "credit tier table", f"{where}.credit_tiers"
            )
            if "credit_tiers" in raw
            else ()
        )
        return AvailabilityTerms(
            guarantee_pct=_field(
                where + ".guarantee_pct", lambda: _decimal(raw["guarantee_pct"], "percentage")
            ),
            core_time=core,
            periodic_maintenance=calendar("periodic_maintenance"),
            planned_maintenance=calendar("planned_maintenance"),
            planned_notice=_field(
                where + ".planned_notice", lambda: parse_duration(raw["planned_notice"])
            ),
            threshold=_field(where, partial(DowntimeThreshold, raw["min_users"], fraction)),
            excluded_causes=frozenset(raw["excluded_causes"]),
            credit_tiers=tiers,
            source=raw["source"],
            planned_acceptance=raw["planned_acceptance"],
            objection_before=_field(
                where + ".objection_before", lambda: parse_duration(raw["objection_before"])
            )
            if "objection_before" in raw
            else None,
            planned_outside_core_only=raw["planned_outside_core_only"],
            prompt_claim=self._prompt_claim(raw["prompt_claim"], where + ".prompt_claim")
            if "prompt_claim" in raw
            else None,
            service_start=raw.get("service_start"),
            exclusive_remedy=raw.get("exclusive_remedy"),
        )

    def _contract(self, cid: str, raw: Mapping[str, Any]) -> Contract:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", cid):
            raise ValueError("id must be lower-case letters, digits and hyphens")
        terms = tuple(self._terms(i, t) for i, t in enumerate(raw["terms"]))
        dates = [t.valid_from for t in terms]
        if dates != sorted(set(dates)):
            raise ValueError("terms: valid_from dates must be distinct and in ascending order")
        recognise = raw["recognise"]
        return Contract(
            id=cid,
            vendor=raw["vendor"],
            service=raw["service"],
            short_name=raw.get("short_name") or cid,
            source=raw["source"],
            terms=terms,
            recognition=Recognition(
                addresses=tuple(a.lower() for a in recognise.get("addresses", [])),
                sender_domains=tuple(d.lower() for d in recognise.get("sender_domains", [])),
                keywords=tuple(k.lower() for k in recognise.get("keywords", [])),
            ),
            support_email=raw.get("support_email"),
            support_phone=raw.get("support_phone"),
            fault_report_contents=tuple(raw["fault_report_contents"]),
            notes=tuple(Note(n["about"], n["text"], n.get("text_nb")) for n in raw["notes"]),
            liability_cap=self._liability_cap(raw["liability_cap"], "liability_cap")
            if "liability_cap" in raw
            else None,
        )


def _in(where: str, build: Callable[[], T]) -> T:
    """Run a build step, prefixing any error with the catalog object it concerns."""
    try:
        return build()
    except CatalogError:
        raise
    except (ValueError, KeyError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise CatalogError(f"{where}: {message}") from None


def _field(where: str, build: Callable[[], T]) -> T:
    """Run a value parser, prefixing any error with the field path."""
    try:
        return build()
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        if isinstance(message, str) and message.startswith(where):
            raise
        raise ValueError(f"{where}: {message}") from None


def parse_catalog(text: str, origin: str = "<catalog>") -> Catalog:
    """Parse catalog TOML text; raises ``CatalogError`` naming what is wrong and where."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{origin}: not valid TOML: {exc}") from None
    try:
        data = _CatalogSchema().load(raw)
    except ValidationError as exc:
        problems = _flatten(exc.messages)
        lines = [f"{_where(path)}: {message}" for path, message in problems]
        raise CatalogError(f"{origin}: " + "; ".join(lines)) from None
    return _Builder(data).build(origin)


_PARSED: dict[tuple[str, str], Catalog] = {}


def _parse_once(text: str, origin: str) -> Catalog:
    """``parse_catalog``, once per process for each distinct text: commands and requests
    load the catalog often, and a ``Catalog`` is immutable."""
    key = (text, origin)
    if key not in _PARSED:
        if len(_PARSED) > 8:
            _PARSED.clear()
        _PARSED[key] = parse_catalog(text, origin)
    return _PARSED[key]


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The catalog at ``path``, else at ``$TRIAGE_CATALOG``, else the shipped one."""
    chosen = path or os.environ.get(CATALOG_ENV) or None
    if chosen is None:
        text = resources.files("config").joinpath("catalog.toml").read_text(encoding="utf-8")
        return _parse_once(text, "shipped catalog")
    file = Path(chosen)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{file}: cannot read the catalog: {exc.strerror}") from None
    return _parse_once(text, str(file))
