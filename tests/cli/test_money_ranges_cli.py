"""Issue 15, finding 6 on the command line: counts out of range exit 2 naming the
argument; a fee change stored before the ranges were checked never breaks
``triage report``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from triage.store import db
from triage.store.models import FeeChange

ROOT = Path(__file__).resolve().parents[2]


def triage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "DATABASE_"))}
    env["TRIAGE_DATA_DIR"] = str(tmp_path)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--users", "1" + "0" * 30, "--breaches", "1"], "--users"),
        (["--users", "40", "--breaches", "99999999999"], "--breaches"),
    ],
)
def test_penalty_counts_out_of_range_exit_2_naming_the_argument(
    tmp_path: Path, args: list[str], named: str
) -> None:
    result = triage(
        tmp_path, "sla", "penalty", "--contract", "nettsoft-mbn", "--quarter", "2026Q1", *args
    )
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_report_survives_a_fee_change_stored_out_of_range(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'triage.sqlite3'}"
    db.upgrade(url)
    with db.session_factory(url)() as session:
        session.add(
            FeeChange(
                contract_id="nettsoft-mbn",
                valid_from=date(2026, 1, 1),
                active_users=40,
                base_monthly="1e999999",
                per_user_monthly=None,
                changed_by="mallory",
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    csv_rows = (
        "external_id,contract,received_at,responded_at,severity,channel,subject,body\n"
        "A1,nettsoft-mbn,2026-02-03T10:00,2026-02-03T13:00,critical,email,Nede,Alt er nede\n"
    )
    (tmp_path / "t.csv").write_text(csv_rows, encoding="utf-8")
    assert triage(tmp_path, "import", str(tmp_path / "t.csv")).returncode == 0
    for fmt in ("json", "csv"):
        result = triage(
            tmp_path, "report", "--from", "2026-01-01", "--to", "2026-03-31", "--format", fmt
        )
        assert result.returncode == 0, result.stderr
    report = json.loads(
        triage(tmp_path, "report", "--from", "2026-01-01", "--to", "2026-03-31").stdout
    )
    (mbn,) = [c for c in report["contracts"] if c["contract"] == "nettsoft-mbn"]
    assert mbn["breached"] == 1
    assert mbn["penalties"][0]["amount_nok"] == "2038.50"  # the catalog's fee: bad row left out
