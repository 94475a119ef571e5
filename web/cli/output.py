"""JSON and CSV output in the fixed interface's formats (DESIGN.md)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
"""Times are printed in Europe/Oslo with their offset, whatever zone they came in."""


def iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(OSLO).isoformat()


def number(value: Any) -> int | float:
    """A JSON number: integral values as int, others rounded to 4 decimals."""
    as_float = float(value)
    return int(as_float) if as_float == int(as_float) else round(as_float, 4)


def nok(amount: Decimal) -> str:
    return f"{amount:.2f}"


def emit_json(obj: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def emit_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return " | ".join(str(v) for v in value)
    return "" if value is None else value
