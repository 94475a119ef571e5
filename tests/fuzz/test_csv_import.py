"""The CSV import (``triage import``) with generated files on SQLite and PostgreSQL: the
file is refused as a whole (BadFile) or every record is imported, updated or rejected
with its line and a reason a person can act on; one bad row never stops the others."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.fuzz import strategies as S
from tests.fuzz.support import fuzz
from triage.csv_import import COLUMNS, BadFile, ImportRow, classify_row, parse_csv
from triage.store.importer import import_csv
from triage.store.models import Ticket

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 3, 10, 8, 15, tzinfo=UTC)
HEADER = ",".join(COLUMNS) + "\n"


@fuzz(40)
@given(data=S.csv_bodies)
@example(  # out of range for UTC: the whole import crashed with OverflowError
    data=(
        HEADER + "a,nettsoft-mbn,0001-01-01T00:00+14:00,,,,s,b\nb,pindena,2026-03-10T09:00,,,,s,b\n"
    ).encode()
)
@example(data=(HEADER + "a,nettsoft-mbn,2026-03-10T09:00,,,,s\x00,b\n").encode())  # NUL
@example(data=(HEADER + "x" * 201 + ",pindena,2026-03-10T09:00,,,,s,b\n").encode())
def test_import_keeps_good_rows_and_names_bad_lines(
    sessions: sessionmaker[Session], catalog: Catalog, data: bytes
) -> None:
    try:
        parsed = list(parse_csv(data, catalog.contracts, classify_row, OSLO))
    except BadFile:
        with pytest.raises(BadFile):
            import_csv(sessions, catalog, data, classify_row, NOW)
        return
    result = import_csv(sessions, catalog, data, classify_row, NOW)
    assert result.imported + result.updated + len(result.rejected) == len(parsed)
    lines = {item.line for item in parsed}
    for rejected in result.rejected:
        assert rejected["line"] in lines
        error = str(rejected["error"])
        # a reason, not just the name of an exception
        assert error.strip() and not re.fullmatch(r"could not be stored: \w+", error), error
    stored = {r["line"] for r in result.rejected}
    last = {  # a later row with the same external_id updates the ticket
        i.external_id: i for i in parsed if isinstance(i, ImportRow) and i.line not in stored
    }
    with sessions() as session:
        for row in last.values():
            ticket = session.scalars(
                select(Ticket).where(Ticket.external_id == row.external_id)
            ).one()
            assert ticket.contract_id == row.contract_id
