"""Parsing the CSV import (DESIGN.md fixed interface) into rows or per-line errors.

Columns: external_id,contract,received_at,responded_at,severity,channel,subject,body.
A bad row is rejected with its line number and a message naming the column; the rest go
on. Pure: the caller stores the good rows and reports the rejected ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sla.instants import EARLIEST, LATEST, parse_instant
from sla.severity import Severity
from triage.classify import classify

COLUMNS = (
    "external_id",
    "contract",
    "received_at",
    "responded_at",
    "severity",
    "channel",
    "subject",
    "body",
)
CHANNELS = ("email", "chat", "phone", "import")
MAX_FIELD = 1_000_000
MAX_EXTERNAL_ID = 200  # tickets.external_id is VARCHAR(200)


@dataclass(frozen=True)
class ImportRow:
    line: int
    external_id: str
    contract_id: str
    received_at: datetime
    responded_at: datetime | None
    severity: Severity
    severity_reasons: tuple[str, ...]
    channel: str
    subject: str
    body: str


@dataclass(frozen=True)
class RowError:
    line: int
    error: str


class BadFile(ValueError):
    """The file as a whole cannot be read (no header, missing columns)."""


Classifier = Callable[[str, str, str], tuple[Severity, tuple[str, ...]]]


def classify_row(subject: str, body: str, channel: str) -> tuple[Severity, tuple[str, ...]]:
    """The desk's classifier for a row without a severity (the ``Classifier`` the command
    line and the demo pass in); "import" is no channel the classifier knows."""
    result = classify(body, subject, channel if channel in ("email", "chat", "phone") else None)
    return result.severity, result.reasons


def parse_csv(
    data: bytes,
    known_contracts: Mapping[str, object],
    classify: Classifier,
    zone: ZoneInfo,
) -> Iterator[ImportRow | RowError]:
    """Yield a row or an error per record, with the line the record starts on."""
    text = data.decode("utf-8-sig", errors="surrogateescape")
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise BadFile("the file is empty: expected a header row " + ",".join(COLUMNS)) from None
    except csv.Error as exc:
        raise BadFile(f"line 1: the header is not valid CSV: {exc}") from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise BadFile(
            f"line 1: the header lacks column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"
        )
    index = {name: names.index(name) for name in COLUMNS}
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(line, f"not valid CSV: {exc}")
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        yield _row(start, record, index, known_contracts, classify, zone)


def _instant(text: str, zone: ZoneInfo) -> datetime:
    instant = parse_instant(text, zone)
    if not EARLIEST <= instant <= LATEST:
        raise ValueError(f"{text!r} is out of range (years 1 to 9999 in every time zone)")
    return instant


def _row(
    line: int,
    record: list[str],
    index: Mapping[str, int],
    known_contracts: Mapping[str, object],
    classify: Classifier,
    zone: ZoneInfo,
) -> ImportRow | RowError:
    width = max(index.values()) + 1
    if len(record) < width:
        return RowError(line, f"has {len(record)} fields, the header has {width}")
    if any("\udc80" <= ch <= "\udcff" for cell in record for ch in cell):
        return RowError(line, "is not valid UTF-8")
    if any("\x00" in cell for cell in record):
        return RowError(line, "contains a NUL character, which cannot be stored")
    cell = {name: record[i].strip() for name, i in index.items()}
    if not cell["external_id"]:
        return RowError(line, "external_id is empty")
    if len(cell["external_id"]) > MAX_EXTERNAL_ID:
        return RowError(line, f"external_id is longer than {MAX_EXTERNAL_ID} characters")
    if cell["contract"] not in known_contracts:
        return RowError(line, f"contract {cell['contract']!r} is not in the catalog")
    try:
        received = _instant(cell["received_at"], zone)
    except ValueError as exc:
        return RowError(line, f"received_at: {exc}")
    responded = None
    if cell["responded_at"]:
        try:
            responded = _instant(cell["responded_at"], zone)
        except ValueError as exc:
            return RowError(line, f"responded_at: {exc}")
        if responded < received:
            return RowError(line, "responded_at is before received_at")
    channel = cell["channel"].lower() or "import"
    if channel not in CHANNELS:
        return RowError(line, f"channel {cell['channel']!r} is not one of {', '.join(CHANNELS)}")
    # A subject is a title, one line as the other channels' are (it heads pages, SMS pages
    # and e-mail subjects; a leading tab or CR would also slip past spreadsheet guards).
    subject, body = " ".join(record[index["subject"]].split()), record[index["body"]]
    if cell["severity"]:
        try:
            severity = Severity.parse(cell["severity"])
        except ValueError as exc:
            return RowError(line, f"severity: {exc}")
        reasons: tuple[str, ...] = ("severity given in the import file",)
    else:
        severity, reasons = classify(subject, body, channel)
    return ImportRow(
        line=line,
        external_id=cell["external_id"],
        contract_id=cell["contract"],
        received_at=received,
        responded_at=responded,
        severity=severity,
        severity_reasons=reasons,
        channel=channel,
        subject=subject,
        body=body,
    )
