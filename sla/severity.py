"""Severity of a ticket: the one distinction every contract's response target hangs on."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """Critical faults stop internal infrastructure for the whole company (CONTRACTS.md §1).

    The string values are the ones the fixed CLI and CSV interfaces use.
    """

    CRITICAL = "critical"
    NON_CRITICAL = "non-critical"

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Accept the interface spelling, tolerating case, spaces and underscores."""
        key = text.strip().lower().replace("_", "-").replace(" ", "-")
        if key in ("noncritical",):
            key = "non-critical"
        try:
            return cls(key)
        except ValueError:
            raise ValueError(
                f"unknown severity {text!r} (expected 'critical' or 'non-critical')"
            ) from None
