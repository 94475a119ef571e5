"""Labelled tickets from files: the training corpus, the old CSV sets, a customer's history.

Two shapes are read, because the desk's sets came in both: CSV with a header row (columns
``subject``, ``body`` or ``text``, ``channel``, ``label``; ``id``, ``after_hours`` and
``lang`` if present) and JSON Lines (``subject``, ``text``, ``channel``, ``label``, ...).
``label`` is ``critical`` or ``non-critical``. Parsing takes text, not paths: the callers
read the files.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sla.severity import Severity


class BadCorpus(ValueError):
    """A labelled file cannot be used; the message names the line and the field."""


@dataclass(frozen=True)
class Example:
    """One labelled ticket; ``group`` names the set it came from (a writer, a file)."""

    id: str
    subject: str
    text: str
    channel: str | None
    label: Severity
    group: str = ""
    after_hours: bool = False
    lang: str = ""

    @property
    def critical(self) -> bool:
        return self.label is Severity.CRITICAL


def _label(value: object, where: str) -> Severity:
    try:
        return Severity.parse(str(value).strip())
    except ValueError:
        raise BadCorpus(f"{where}: label {value!r} is not critical or non-critical") from None


def _channel(value: object) -> str | None:
    text = str(value or "").strip().lower()
    return text if text in ("email", "chat", "phone") else None


def parse_jsonl(text: str, group: str) -> Iterator[Example]:
    """Examples of a JSON Lines file; a blank line is skipped, a bad one refused."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadCorpus(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(item, dict) or "label" not in item:
            raise BadCorpus(f"{where}: an object with a 'label' is expected")
        yield Example(
            id=str(item.get("id", number)),
            subject=str(item.get("subject") or ""),
            text=str(item.get("text") or item.get("body") or ""),
            channel=_channel(item.get("channel")),
            label=_label(item["label"], where),
            group=group,
            after_hours=bool(item.get("after_hours")),
            lang=str(item.get("lang") or ""),
        )


def parse_csv(text: str, group: str) -> Iterator[Example]:
    """Examples of a CSV file with a header row (see the module docstring)."""
    reader = csv.DictReader(io.StringIO(text))
    fields = set(reader.fieldnames or ())
    if "label" not in fields or not fields & {"body", "text"}:
        raise BadCorpus("header: columns 'label' and 'body' (or 'text') are required")
    for number, row in enumerate(reader, start=2):
        yield Example(
            id=row.get("id") or str(number),
            subject=row.get("subject") or "",
            text=row.get("body") or row.get("text") or "",
            channel=_channel(row.get("channel")),
            label=_label(row.get("label"), f"line {number}"),
            group=group,
            after_hours=(row.get("after_hours") or "").strip() in ("1", "true", "yes"),
            lang=row.get("lang") or "",
        )


def parse(text: str, name: str, group: str | None = None) -> list[Example]:
    """Examples of the file called ``name`` (``.jsonl``/``.json`` or CSV) with ``text``."""
    chosen = group if group is not None else name.rsplit("/", 1)[-1]
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return list(parse_jsonl(text, chosen))
    return list(parse_csv(text, chosen))
