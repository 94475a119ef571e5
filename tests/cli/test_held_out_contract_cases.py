"""Contract cases computed by hand by an independent writer (issue 16's audit, held out).

The writer saw only CONTRACTS.md, DESIGN.md's fixed interfaces and the seeds
(``tests/data/contract_cases/BRIEF.md``), never the code, and worked out each expected
answer from the clauses: deadlines across weekends, holidays (Easter, Ascension, Whit
Monday, 17 May, Christmas) and both DST changes; MBN/BN penalties with ``claim_by`` and
``claim_promptly_by``; monthly uptime with thresholds, third-party causes, the 95-96 %
band and planned maintenance with and without its notice conditions. They were run
against the desk once, after issue 16 was built, and all agreed; they stay as a
regression table. Percentages and hours compare at two decimals, as the writer gave them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from web.cli import main

CASES = Path(__file__).parents[1] / "data" / "contract_cases" / "cases_c1.jsonl"
ROUNDED = frozenset({"uptime_pct", "downtime_hours", "core_hours", "reduction_pct"})


def _cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case["id"])
def test_the_desk_agrees_with_the_hand_computed_answer(
    case: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TRIAGE_CATALOG", raising=False)
    capsys.readouterr()
    assert main(case["args"]) == 0, capsys.readouterr().err
    got = json.loads(capsys.readouterr().out.splitlines()[0])
    for field, want in case["expect"].items():
        if field in ROUNDED and want is not None:
            assert round(float(got[field]), 2) == round(float(want), 2), (field, case["clause"])
        else:
            assert got[field] == want, (field, case["working"])
