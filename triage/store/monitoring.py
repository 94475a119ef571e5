"""Monitoring signals into the outage register and critical tickets, in one transaction.

What one firing alert does, and why each step:

- the outage register gets an entry at the alert's ``startsAt`` (source and fingerprint
  kept, ``ends_at`` open), so the month's availability is measured, not typed;
- the contract gets a critical ticket, received now (the server's receipt time, as every
  channel), so the contract's "immediately" clock and its ladder start without anyone
  typing. The ticket's key is the alert's fingerprint in ``channel_messages`` (channel
  ``monitoring``): a repeat notification of the same alert is a duplicate, a re-fire of the
  fingerprint threads into the ticket as an event;
- announced maintenance (a register entry with the planned-maintenance cause covering now)
  silences the ticket's pages: it is opened without a ladder and says so in an event.
  Tickets already open keep their ladder (PagerDuty's rule).

A ``resolved`` closes the open outage at ``endsAt`` (or records the whole outage when the
firing never arrived) and adds an event to the ticket; it does not resolve the ticket: a
person still owes the response.

Races: the unique (channel, key) of ``channel_messages`` settles two deliveries at once;
the loser's transaction is rolled back and run again, and then sees a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from sla.availability import PLANNED_MAINTENANCE
from triage.monitoring import (
    FIRING,
    MonitoredService,
    ProbeState,
    Signal,
    Transition,
    service_for,
)
from triage.store.escalations import plan_new_ladder
from triage.store.intake import settle, storage_key
from triage.store.models import (
    ChannelMessage,
    Outage,
    ProbeStatus,
    ProbeTransition,
    table_of,
)
from triage.store.sla_columns import sla_state_or_why
from triage.store.tickets import EVENTS, NewEvent, insert_ticket, sla_values

#: ``channel_messages.channel`` of monitoring's keys, and the tickets' channel.
CHANNEL = "monitoring"
SEVERITY = "critical"
MAX_ATTEMPTS = 3
_KEYS = table_of(ChannelMessage)


@dataclass(frozen=True)
class SignalOutcome:
    """What one signal did (the webhook's answer and the benchmark read it)."""

    fingerprint: str
    status: str
    contract_id: str | None  # None: no catalog service matches the labels
    outage_id: int | None
    ticket_id: int | None
    created: bool = False  # a ticket was opened
    duplicate: bool = False  # this notification was already taken
    silenced: bool = False  # announced maintenance: the new ticket pages nobody

    def as_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "status": self.status,
            "contract": self.contract_id,
            "outage": self.outage_id,
            "ticket": self.ticket_id,
            "created": self.created,
            "duplicate": self.duplicate,
            "silenced": self.silenced,
        }


def record_signals(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    item_id: int | None,
    signals: Sequence[Signal],
    now: datetime,
    contract_id: str | None = None,
) -> list[SignalOutcome]:
    """Apply ``signals`` (parsed from inbox item ``item_id``) in one transaction.

    ``contract_id`` names the contract outright (the desk's own probes); otherwise the
    catalog's monitoring labels decide. Idempotent: the same notification again changes
    nothing and answers ``duplicate``.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with sessions() as session:
            try:
                outcomes = [
                    _record(session, catalog, signal, now, contract_id) for signal in signals
                ]
                tickets = [o.ticket_id for o in outcomes if o.ticket_id is not None]
                settle(session, item_id, tickets[0] if tickets else None)
                session.commit()
            except IntegrityError:
                session.rollback()
                if attempt == MAX_ATTEMPTS:
                    raise
                continue
            return outcomes
    raise AssertionError("unreachable")


def _service(catalog: Catalog, signal: Signal, contract_id: str | None) -> MonitoredService | None:
    if contract_id is not None:
        return catalog.monitoring.get(contract_id) or MonitoredService(contract_id, {}, 0)
    return service_for(catalog.monitoring.values(), signal.labels)


def _record(
    session: Session, catalog: Catalog, signal: Signal, now: datetime, contract_id: str | None
) -> SignalOutcome:
    service = _service(catalog, signal, contract_id)
    if service is None or service.contract_id not in catalog.contracts:
        return SignalOutcome(signal.fingerprint, signal.status, None, None, None)
    cid = service.contract_id
    delivery = storage_key(signal.delivery_key())
    thread = storage_key("alert:" + signal.fingerprint)
    known = _known(session, [delivery, thread])
    if delivery in known:
        outage = _outage_of(session, signal.fingerprint)
        return SignalOutcome(
            signal.fingerprint, signal.status, cid, outage, known[delivery], duplicate=True
        )
    users = service.users_from(signal.labels)
    if signal.status == FIRING:
        outage_id = _open_outage(session, cid, signal, users, now)
    else:
        outage_id = _close_outage(session, cid, signal, users, now)
    ticket_id = known.get(thread)
    created = silenced = False
    if ticket_id is not None:
        _thread_event(session, ticket_id, signal, outage_id, now)
    elif signal.status == FIRING:
        maintenance = maintenance_at(session, cid, now)
        silenced = maintenance is not None
        ticket_id = _open_ticket(session, catalog, cid, signal, outage_id, maintenance, now)
        created = True
    if ticket_id is not None:
        keys = [delivery] + ([thread] if thread not in known else [])
        session.connection().execute(
            insert(_KEYS),
            [
                {"channel": CHANNEL, "key": key, "ticket_id": ticket_id, "created_at": now}
                for key in keys
            ],
        )
    return SignalOutcome(
        signal.fingerprint, signal.status, cid, outage_id, ticket_id, created, False, silenced
    )


def _known(session: Session, keys: Iterable[str]) -> dict[str, int]:
    rows = session.execute(
        select(ChannelMessage.key, ChannelMessage.ticket_id).where(
            ChannelMessage.channel == CHANNEL, ChannelMessage.key.in_(list(keys))
        )
    )
    return {str(key): int(ticket) for key, ticket in rows}


# ------------------------------------------------------------------ the register


def _outage_of(session: Session, fingerprint: str) -> int | None:
    return session.scalar(
        select(Outage.id).where(Outage.fingerprint == fingerprint).order_by(Outage.id.desc())
    )


def _open_outage(
    session: Session, contract_id: str, signal: Signal, users: int, now: datetime
) -> int:
    """The register entry of this alert: the one already open or recorded, else a new one."""
    existing = session.scalar(
        select(Outage.id).where(
            Outage.fingerprint == signal.fingerprint, Outage.starts_at == signal.starts_at
        )
    )
    if existing is not None:
        return int(existing)
    row = Outage(
        contract_id=contract_id,
        source=signal.source,
        fingerprint=signal.fingerprint,
        starts_at=signal.starts_at,
        ends_at=None,
        affected_users=users,
        cause="",
        excluded=False,
        exclusion_reason=None,
        recorded_by=signal.source,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def _close_outage(
    session: Session, contract_id: str, signal: Signal, users: int, now: datetime
) -> int:
    """End the open outage of this alert at its ``endsAt``; a resolved alert whose firing
    the desk never saw is recorded whole."""
    assert signal.ends_at is not None
    row = session.scalars(
        select(Outage)
        .where(Outage.fingerprint == signal.fingerprint, Outage.ends_at.is_(None))
        .order_by(Outage.id.desc())
        .with_for_update()
    ).first()
    if row is not None:
        row.ends_at = max(signal.ends_at, row.starts_at)
        row.updated_at = now
        return row.id
    existing = session.scalar(
        select(Outage.id).where(
            Outage.fingerprint == signal.fingerprint, Outage.starts_at == signal.starts_at
        )
    )
    if existing is not None:
        return int(existing)
    outage_id = _open_outage(session, contract_id, signal, users, now)
    session.execute(
        update(Outage).where(Outage.id == outage_id).values(ends_at=signal.ends_at, updated_at=now)
    )
    return outage_id


def maintenance_at(session: Session, contract_id: str, at: datetime) -> int | None:
    """The announced-maintenance entry of the register covering ``at``, if any: planned
    maintenance by its cause, or any entry with an announcement recorded."""
    return session.scalar(
        select(Outage.id)
        .where(
            Outage.contract_id == contract_id,
            (Outage.cause == PLANNED_MAINTENANCE) | Outage.announced_at.is_not(None),
            Outage.starts_at <= at,
            (Outage.ends_at.is_(None)) | (Outage.ends_at > at),
        )
        .limit(1)
    )


# ------------------------------------------------------------------ the ticket


def _alert_data(signal: Signal, outage_id: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": signal.source,
        "fingerprint": signal.fingerprint,
        "status": signal.status,
        "starts_at": signal.starts_at.isoformat(),
        "ends_at": signal.ends_at.isoformat() if signal.ends_at else None,
        "labels": dict(signal.labels),
        "annotations": dict(signal.annotations),
        "generator_url": signal.generator_url,
        "outage": outage_id,
    }
    return {k: v for k, v in data.items() if v not in (None, {}, "")}


def _open_ticket(
    session: Session,
    catalog: Catalog,
    contract_id: str,
    signal: Signal,
    outage_id: int,
    maintenance: int | None,
    now: datetime,
) -> int:
    data = _alert_data(signal, outage_id)
    events = [
        NewEvent("received", now, signal.source, {"channel": CHANNEL, **data}),
        NewEvent(
            "classified",
            now,
            data={
                "severity": SEVERITY,
                "reasons": [f"monitoring: {signal.source} reports the service down"],
            },
        ),
        NewEvent(
            "routed",
            now,
            data={"contract": contract_id, "reasons": ["the alert's labels name the service"]},
        ),
    ]
    state, why_not = sla_state_or_why(catalog, contract_id, SEVERITY, now, None, ())
    if why_not is not None:
        events.append(NewEvent("sla_unavailable", now, data={"reason": why_not}))
    if maintenance is not None:
        events.append(
            NewEvent(
                "paging_silenced",
                now,
                data={"reason": "announced maintenance", "maintenance_outage": maintenance},
            )
        )
    body = "\n".join(
        [signal.summary, *(f"{k}: {v}" for k, v in sorted(signal.annotations.items()))]
        + ([f"Kilde: {signal.generator_url}"] if signal.generator_url else [])
    )
    ticket_id = insert_ticket(
        session,
        {
            "channel": CHANNEL,
            "subject": f"Driftsavbrudd: {signal.summary}"[:200],
            "body": body,
            "requester_name": signal.source,
            "contract_id": contract_id,
            "severity": SEVERITY,
            "severity_reasons": [f"monitoring: {signal.source}"],
            "status": "open",
            "received_at": now,
            "created_at": now,
            "updated_at": now,
            **sla_values(state),
        },
        events,
    )
    if state is not None and state.due_at is not None and maintenance is None:
        plan_new_ladder(session, catalog, ticket_id, contract_id, SEVERITY, now, now)
    return ticket_id


def _thread_event(
    session: Session, ticket_id: int, signal: Signal, outage_id: int | None, now: datetime
) -> None:
    kind = "alert_firing" if signal.status == FIRING else "alert_resolved"
    session.connection().execute(
        insert(EVENTS),
        [
            {
                "ticket_id": ticket_id,
                "kind": kind,
                "at": now,
                "actor": signal.source,
                "data": _alert_data(signal, outage_id),
            }
        ],
    )


# ------------------------------------------------------------------ probes


def probe_due(session: Session, contract_ids: Iterable[str], now: datetime) -> list[str]:
    """Probed contracts whose next run is due (never run counts as due), by contract id."""
    wanted = sorted(set(contract_ids))
    if not wanted:
        return []
    rows = session.execute(
        select(ProbeStatus.contract_id, ProbeStatus.next_due_at).where(
            ProbeStatus.contract_id.in_(wanted)
        )
    )
    scheduled = {str(cid): due for cid, due in rows}
    return [cid for cid in wanted if cid not in scheduled or scheduled[cid] <= now]


def load_probe(session: Session, contract_id: str) -> tuple[ProbeState, str | None]:
    """The probe's remembered state and the fingerprint of its open outage."""
    row = session.get(ProbeStatus, contract_id)
    if row is None:
        return ProbeState(), None
    return ProbeState(row.down, row.failures, row.first_failed_at), row.fingerprint


def save_probe(
    session: Session,
    contract_id: str,
    state: ProbeState,
    fingerprint: str | None,
    checked_at: datetime,
    next_due_at: datetime,
    error: str | None,
    transition: Transition | None,
) -> None:
    """Store the state after one run, and the transition when there was one (the caller
    commits). Samples themselves are not kept."""
    row = session.get(ProbeStatus, contract_id, with_for_update=True)
    if row is None:
        row = ProbeStatus(contract_id=contract_id, next_due_at=next_due_at)
        session.add(row)
    row.down, row.failures, row.first_failed_at = state.down, state.failures, state.first_failed_at
    row.fingerprint = fingerprint
    row.last_checked_at = checked_at
    row.next_due_at = next_due_at
    row.last_error = error[:1000] if error else None
    if transition is not None:
        session.add(
            ProbeTransition(
                contract_id=contract_id,
                status=transition.status,
                at=transition.at,
                detail=(error or "")[:1000],
                recorded_at=checked_at,
            )
        )


def probe_transitions(session: Session, contract_id: str) -> list[ProbeTransition]:
    return list(
        session.scalars(
            select(ProbeTransition)
            .where(ProbeTransition.contract_id == contract_id)
            .order_by(ProbeTransition.at, ProbeTransition.id)
        )
    )
