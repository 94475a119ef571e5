"""The claim every outbox shares (SMS, vendor forwards): one attempt at sending a row is
owned by whoever moves it from "queued" to "sending" with a conditional UPDATE, committed
before anything leaves, so a second job, a retry or the sweeper never sends it again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from triage.store.models import SmsOutbox, VendorForward

Row = TypeVar("Row", SmsOutbox, VendorForward)


def claim(
    session: Session, model: type[Row], row_id: int, now: datetime, early: timedelta
) -> Row | None:
    """Own one attempt at sending this row (its attempt counted), or None if it is not
    due (``next_attempt_at`` later than ``now + early``) or another sender has it.
    Commits, so the "sending" mark survives a crash while sending."""
    claimed = session.execute(
        update(model)
        .where(
            model.id == row_id,
            model.status == "queued",
            model.next_attempt_at <= now + early,
        )
        .values(status="sending", attempts=model.attempts + 1, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if cast(CursorResult[Any], claimed).rowcount != 1:
        return None
    return session.get(model, row_id, populate_existing=True)
