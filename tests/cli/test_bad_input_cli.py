"""Values no option check caught still end in one line on stderr and exit 2, never a
traceback (found by a review of the fixed interfaces: years the calendar cannot reach,
periods no contract terms cover, a stamps file that is not UTF-8, absurd report dates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from web.cli import main

CASES = [
    ["sla", "uptime", "--contract", "nettsoft-vps-access", "--month", "1999-12", "--users", "5"],
    ["sla", "penalty", "--contract", "nettsoft-mbn", "--quarter", "9999Q4", "--users", "5",
     "--breaches", "1"],
    ["sla", "deadline", "--contract", "nettsoft-mbn", "--received", "0001-01-01T10:00+14:00"],
    ["report", "--from", "0001-01-01", "--to", "2026-01-01"],
    ["report", "--from", "2026-01-01", "--to", "9999-12-31"],
]  # fmt: skip


@pytest.mark.parametrize("args", CASES, ids=lambda args: " ".join(args[:2] + args[-2:]))
def test_one_line_and_exit_2(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    capsys.readouterr()
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("triage: ")
    assert "Traceback" not in err


def test_a_stamps_file_that_is_not_utf8(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    stamps = tmp_path / "stamps.txt"
    stamps.write_bytes(b"\xff\xfe2026-03-10T09:00\n")
    capsys.readouterr()
    code = main(["sla", "deadline", "--contract", "pindena", "--received-file", str(stamps)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
