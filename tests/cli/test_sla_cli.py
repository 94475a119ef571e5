"""``triage sla ...`` end to end: the real command in a subprocess, its JSON and exit codes.

Every example of shared/CONTRACTS.md is checked against the fixed interface of
shared/DESIGN.md: required keys present (extra keys allowed), times in Europe/Oslo with
their offset, money as strings with two decimals, bad input → exit 2 and one line on
stderr naming the argument. Expected values are worked out by hand.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

DEADLINE_KEYS = {"contract", "severity", "received", "clock_starts", "deadline", "target", "notes"}
UPTIME_KEYS = {
    "contract",
    "month",
    "core_hours",
    "downtime_hours",
    "uptime_pct",
    "reduction_pct",
    "notes",
}
PENALTY_KEYS = {
    "contract",
    "quarter",
    "deduction_pct",
    "base_nok",
    "amount_nok",
    "applies_to",
    "notes",
}

Run = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def triage(tmp_path: Path) -> Run:
    """Run ``python -m web.cli ARGS`` from a neutral directory with the shipped catalog."""

    def run(*args: str, catalog: Path | None = None) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("TRIAGE_CATALOG", None)
        if catalog is not None:
            env["TRIAGE_CATALOG"] = str(catalog)
        return subprocess.run(
            [sys.executable, "-m", "web.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    return run


def ok_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


# ------------------------------------------------------------------ deadline


def test_mbn_saturday_example(triage: Run) -> None:
    out = ok_json(
        triage("sla", "deadline", "--contract", "nettsoft-mbn", "--received", "2026-03-14T10:00")
    )
    assert out.keys() >= DEADLINE_KEYS
    assert out["contract"] == "nettsoft-mbn"
    assert out["severity"] == "non-critical"  # the default
    assert out["received"] == "2026-03-14T10:00:00+01:00"
    assert out["clock_starts"] == "2026-03-16T08:00:00+01:00"
    assert out["deadline"] == "2026-03-16T09:00:00+01:00"
    assert out["target"]
    assert isinstance(out["notes"], list)
    assert any("next window opens" in note for note in out["notes"])


def test_mbn_saturday_before_the_spring_clock_change(triage: Run) -> None:
    out = ok_json(
        triage(
            "sla",
            "deadline",
            "--contract",
            "nettsoft-mbn",
            "--received",
            "2026-03-28T10:00",
            "--severity",
            "critical",
        )
    )
    assert out["severity"] == "critical"
    assert out["received"] == "2026-03-28T10:00:00+01:00"
    assert out["clock_starts"] == "2026-03-30T08:00:00+02:00"
    assert out["deadline"] == "2026-03-30T09:00:00+02:00"


@pytest.mark.parametrize(
    ("received", "received_out", "clock_starts", "deadline"),
    [
        pytest.param(
            "2026-03-10T10:00",
            "2026-03-10T10:00:00+01:00",
            "2026-03-10T10:00:00+01:00",
            "2026-03-11T16:00:00+01:00",
            id="tuesday-to-wednesday-1600",
        ),
        pytest.param(
            "2026-03-14T10:00",
            "2026-03-14T10:00:00+01:00",
            "2026-03-16T08:00:00+01:00",
            "2026-03-16T16:00:00+01:00",
            id="saturday-to-monday-1600",
        ),
        pytest.param(
            "2026-03-09T23:30:00Z",
            "2026-03-10T00:30:00+01:00",
            "2026-03-10T08:00:00+01:00",
            "2026-03-11T16:00:00+01:00",
            id="utc-monday-night-is-tuesday-in-oslo",
        ),
    ],
)
def test_pindena_examples(
    triage: Run, received: str, received_out: str, clock_starts: str, deadline: str
) -> None:
    out = ok_json(triage("sla", "deadline", "--contract", "pindena", "--received", received))
    assert out.keys() >= DEADLINE_KEYS
    assert (out["received"], out["clock_starts"], out["deadline"]) == (
        received_out,
        clock_starts,
        deadline,
    )
    assert out["target"] == "end-of-next-working-day"


def test_immediately_on_a_sunday_night_via_utc_input(triage: Run) -> None:
    out = ok_json(
        triage(
            "sla",
            "deadline",
            "--contract",
            "nettsoft-vps-access",
            "--received",
            "2026-03-15T02:00:00+00:00",
            "--severity",
            "critical",
        )
    )
    assert out["received"] == "2026-03-15T03:00:00+01:00"
    assert out["clock_starts"] == "2026-03-15T03:00:00+01:00"
    assert out["deadline"] == "2026-03-15T03:15:00+01:00"


@pytest.mark.parametrize("contract", ["sensio-velferd", "mobile-worker", "nettsoft-network"])
def test_no_target_prints_null_deadline(triage: Run, contract: str) -> None:
    out = ok_json(
        triage("sla", "deadline", "--contract", contract, "--received", "2026-03-10T10:00")
    )
    assert out.keys() >= DEADLINE_KEYS
    assert out["deadline"] is None
    assert out["target"] is None


def test_deadline_keeps_microseconds(triage: Run) -> None:
    out = ok_json(
        triage(
            "sla",
            "deadline",
            "--contract",
            "nettsoft-ms365-bedrift",
            "--received",
            "2026-03-13T15:30:00.250000+01:00",
        )
    )
    assert out["deadline"] == "2026-03-16T09:30:00.250000+01:00"


def test_received_file_reports_the_bad_line_and_prints_the_others(
    triage: Run, tmp_path: Path
) -> None:
    lines = tmp_path / "received.txt"
    lines.write_text(
        "2026-03-14T10:00\n"  # line 1
        "# a comment\n"  # line 2
        "\n"  # line 3
        "yesterday afternoon\n"  # line 4: bad
        "2026-03-10T15:30:00+01:00\n",  # line 5
        encoding="utf-8",
    )
    result = triage("sla", "deadline", "--contract", "nettsoft-mbn", "--received-file", str(lines))
    assert result.returncode == 1
    rows = [json.loads(line) for line in result.stdout.strip().splitlines()]
    good = [row for row in rows if "deadline" in row]
    assert [(r["received"], r["deadline"]) for r in good] == [
        ("2026-03-14T10:00:00+01:00", "2026-03-16T09:00:00+01:00"),
        ("2026-03-10T15:30:00+01:00", "2026-03-11T08:30:00+01:00"),
    ]
    assert all(row.keys() >= DEADLINE_KEYS for row in good)
    errors = [row for row in rows if "deadline" not in row]
    assert all(row.get("line") == 4 for row in errors)
    stderr = result.stderr.strip().splitlines()
    assert len(stderr) == 1
    assert "line 4" in stderr[0]


def test_received_file_all_good_exits_zero(triage: Run, tmp_path: Path) -> None:
    lines = tmp_path / "received.txt"
    lines.write_text("2026-04-01T10:00\n2026-12-23T10:00\n", encoding="utf-8")
    result = triage("sla", "deadline", "--contract", "pindena", "--received-file", str(lines))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [r["deadline"] for r in rows] == [
        "2026-04-07T16:00:00+02:00",
        "2026-12-24T16:00:00+01:00",
    ]


def test_deadline_as_csv(triage: Run) -> None:
    result = triage(
        "sla",
        "deadline",
        "--contract",
        "nettsoft-mbn",
        "--received",
        "2026-03-14T10:00",
        "--format",
        "csv",
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    assert set(rows[0]) >= DEADLINE_KEYS
    assert rows[0]["contract"] == "nettsoft-mbn"
    assert rows[0]["clock_starts"] == "2026-03-16T08:00:00+01:00"
    assert rows[0]["deadline"] == "2026-03-16T09:00:00+01:00"


def test_received_file_as_csv_has_one_row_per_good_line(triage: Run, tmp_path: Path) -> None:
    lines = tmp_path / "received.txt"
    lines.write_text("2026-03-14T10:00\nnonsense\n2026-03-10T15:30\n", encoding="utf-8")
    result = triage(
        "sla",
        "deadline",
        "--contract",
        "nettsoft-mbn",
        "--received-file",
        str(lines),
        "--format",
        "csv",
    )
    assert result.returncode == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["deadline"] for r in rows] == [
        "2026-03-16T09:00:00+01:00",
        "2026-03-11T08:30:00+01:00",
    ]
    assert "line 2" in result.stderr


# ------------------------------------------------------------------ uptime


def test_uptime_march_2026_example(triage: Run) -> None:
    out = ok_json(
        triage(
            "sla",
            "uptime",
            "--contract",
            "nettsoft-vps-access",
            "--month",
            "2026-03",
            "--users",
            "40",
            "--outage",
            "2026-03-10T09:00/2026-03-10T13:00@12",
        )
    )
    assert out.keys() >= UPTIME_KEYS
    assert out["contract"] == "nettsoft-vps-access"
    assert out["month"] == "2026-03"
    assert out["core_hours"] == 344  # 22 × 14 + 4 × 9
    assert out["downtime_hours"] == 4
    assert out["uptime_pct"] == 98.84  # 340 / 344 = 98.837…
    assert out["reduction_pct"] == 10


def test_uptime_outage_below_the_user_threshold_is_not_downtime(triage: Run) -> None:
    out = ok_json(
        triage(
            "sla",
            "uptime",
            "--contract",
            "nettsoft-vps-access",
            "--month",
            "2026-03",
            "--users",
            "40",
            "--outage",
            "2026-03-10T09:00/2026-03-10T13:00@3",
        )
    )
    assert out["core_hours"] == 344
    assert out["downtime_hours"] == 0
    assert out["uptime_pct"] == 100
    assert out["reduction_pct"] == 0


def test_uptime_95_to_96_band_gets_40_percent_and_says_why(triage: Run) -> None:
    # Tuesday 06:00 to Wednesday 08:00: core time 07-21 Tuesday (14 h) + 07-08 Wednesday
    # (1 h) = 15 h; (344 - 15) / 344 = 95.639… % → the band the table leaves unstated.
    out = ok_json(
        triage(
            "sla",
            "uptime",
            "--contract",
            "nettsoft-vps-access",
            "--month",
            "2026-03",
            "--users",
            "40",
            "--outage",
            "2026-03-10T06:00/2026-03-11T08:00@12",
        )
    )
    assert out["downtime_hours"] == 15
    assert out["uptime_pct"] == 95.64
    assert out["reduction_pct"] == 40
    assert any("95 % <= uptime < 96 %" in note for note in out["notes"]), out["notes"]


def test_uptime_96_to_97_band_has_no_reading_note(triage: Run) -> None:
    # 12 h of core downtime: 332 / 344 = 96.51… % → 30 %, a band the contract states
    out = ok_json(
        triage(
            "sla",
            "uptime",
            "--contract",
            "nettsoft-vps-access",
            "--month",
            "2026-03",
            "--users",
            "40",
            "--outage",
            "2026-03-10T08:00/2026-03-10T20:00@12",
        )
    )
    assert out["downtime_hours"] == 12
    assert out["uptime_pct"] == 96.51
    assert out["reduction_pct"] == 30
    assert not any("95 % <= uptime < 96 %" in note for note in out["notes"])


# ------------------------------------------------------------------ penalty


def test_penalty_mbn_example(triage: Run) -> None:
    out = ok_json(
        triage(
            "sla",
            "penalty",
            "--contract",
            "nettsoft-mbn",
            "--quarter",
            "2026Q1",
            "--users",
            "40",
            "--breaches",
            "1",
        )
    )
    assert out.keys() >= PENALTY_KEYS
    assert out["contract"] == "nettsoft-mbn"
    assert out["quarter"] == "2026Q1"
    assert out["deduction_pct"] == 50
    assert out["base_nok"] == "4077.00"
    assert out["amount_nok"] == "2038.50"
    assert out["applies_to"] == "2026Q2"


def test_penalty_several_breaches_and_claim_by(triage: Run) -> None:
    out = ok_json(
        triage(
            "sla",
            "penalty",
            "--contract",
            "nettsoft-unifon-bn",
            "--quarter",
            "2026Q4",
            "--users",
            "40",
            "--breaches",
            "5",
            "--first-breach",
            "2026-11-30",
        )
    )
    assert out["amount_nok"] == "2038.50"
    assert out["applies_to"] == "2027Q1"
    assert out["claim_by"] == "2027-11-30"


def test_penalty_without_breaches_is_zero(triage: Run) -> None:
    out = ok_json(
        triage(
            "sla",
            "penalty",
            "--contract",
            "nettsoft-mbn",
            "--quarter",
            "2026Q1",
            "--users",
            "40",
            "--breaches",
            "0",
        )
    )
    assert out["amount_nok"] == "0.00"
    assert out["deduction_pct"] == 0


# ------------------------------------------------------------------ bad input

BAD_ARGUMENTS = [
    pytest.param(
        ["sla", "deadline", "--contract", "nettsoft-nope", "--received", "2026-03-10T10:00"],
        "--contract",
        id="unknown-contract",
    ),
    pytest.param(
        ["sla", "deadline", "--contract", "nettsoft-mbn", "--received", "garbage"],
        "--received",
        id="garbage-timestamp",
    ),
    pytest.param(
        ["sla", "deadline", "--contract", "nettsoft-mbn", "--received", "2026-03-29T02:30"],
        "--received",
        id="local-time-in-the-dst-gap",
    ),
    pytest.param(
        ["sla", "deadline", "--contract", "nettsoft-mbn", "--received", "2026-02-30T10:00"],
        "--received",
        id="date-that-does-not-exist",
    ),
    pytest.param(
        [
            "sla",
            "deadline",
            "--contract",
            "nettsoft-mbn",
            "--received",
            "2026-03-10T10:00",
            "--severity",
            "urgent",
        ],
        "--severity",
        id="unknown-severity",
    ),
    pytest.param(
        ["sla", "deadline", "--contract", "nettsoft-mbn"],
        "--received",
        id="no-received-at-all",
    ),
    pytest.param(
        [
            "sla",
            "uptime",
            "--contract",
            "nettsoft-vps-access",
            "--month",
            "2026-13",
            "--users",
            "40",
        ],
        "--month",
        id="month-13",
    ),
    pytest.param(
        ["sla", "uptime", "--contract", "nettsoft-mbn", "--month", "2026-03", "--users", "40"],
        "--contract",
        id="uptime-on-a-contract-without-availability",
    ),
    pytest.param(
        [
            "sla",
            "uptime",
            "--contract",
            "nettsoft-vps-access",
            "--month",
            "2026-03",
            "--users",
            "40",
            "--outage",
            "2026-03-10T09:00-13:00",
        ],
        "--outage",
        id="malformed-outage",
    ),
    pytest.param(
        [
            "sla",
            "penalty",
            "--contract",
            "nettsoft-mbn",
            "--quarter",
            "2026Q5",
            "--users",
            "40",
            "--breaches",
            "1",
        ],
        "--quarter",
        id="quarter-5",
    ),
    pytest.param(
        [
            "sla",
            "penalty",
            "--contract",
            "pindena",
            "--quarter",
            "2026Q1",
            "--users",
            "40",
            "--breaches",
            "1",
        ],
        "--contract",
        id="penalty-on-a-contract-without-penalty",
    ),
    pytest.param(
        [
            "sla",
            "penalty",
            "--contract",
            "nettsoft-mbn",
            "--quarter",
            "2026Q1",
            "--users",
            "40",
            "--breaches",
            "1",
            "--first-breach",
            "2026-05-01",
        ],
        "--first-breach",
        id="first-breach-outside-the-quarter",
    ),
]


@pytest.mark.parametrize(("args", "argument"), BAD_ARGUMENTS)
def test_bad_argument_exits_2_with_one_line_naming_it(
    triage: Run, args: list[str], argument: str
) -> None:
    result = triage(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert argument in lines[0]
    assert result.stdout == ""


# ------------------------------------------------------------------ TRIAGE_CATALOG

SHIPPED = resources.files("config").joinpath("catalog.toml").read_text(encoding="utf-8")
MBN_NON_CRITICAL = 'response.non-critical = { target = "PT60M", source = "004 §2.6'


def test_triage_catalog_changes_what_the_command_computes(triage: Run, tmp_path: Path) -> None:
    assert SHIPPED.count(MBN_NON_CRITICAL) == 1
    path = tmp_path / "catalog.toml"
    path.write_text(SHIPPED.replace(MBN_NON_CRITICAL, MBN_NON_CRITICAL.replace("PT60M", "PT90M")))
    out = ok_json(
        triage(
            "sla",
            "deadline",
            "--contract",
            "nettsoft-mbn",
            "--received",
            "2026-03-14T10:00",
            catalog=path,
        )
    )
    assert out["deadline"] == "2026-03-16T09:30:00+01:00"


def test_rejected_triage_catalog_is_one_line_and_non_zero(triage: Run, tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(SHIPPED.replace(MBN_NON_CRITICAL, MBN_NON_CRITICAL.replace("PT60M", "PT0M")))
    result = triage(
        "sla",
        "deadline",
        "--contract",
        "nettsoft-mbn",
        "--received",
        "2026-03-14T10:00",
        catalog=path,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "catalog" in lines[0]
    assert "nettsoft-mbn" in lines[0]


MBN_PRICE_FROM_Q3 = """
[[contracts.nettsoft-mbn.terms]]
valid_from = "2026-07-01"
calendar = "office-hours"
ladder = "standard"
response.critical = { target = "PT60M", source = "amended agreement" }
response.non-critical = { target = "PT60M", source = "amended agreement" }
fee = { base_monthly = "299.00", per_user_monthly = "29.00", billing_months = 3, active_users = 40 }
penalty = { deduction_pct = "50", stacking = "once-per-period", periods_later = 1, claim_limit_months = 12, source = "amended" }
"""


def test_bug_penalty_base_is_the_fee_of_the_quarter_it_applies_to(
    triage: Run, tmp_path: Path
) -> None:
    """KNOWN BUG (reported): a miss in 2026Q2 is deducted from the 2026Q3 invoice, "three
    months of the agreement fee ... at the user count then" (CONTRACTS.md §1), and
    ``period_penalty`` documents its base as "the fee of the period the deduction applies
    to". The command takes fee *and* rule from the terms in force on the first day of the
    breach quarter, so after a price change it prints "fee 2026Q3: (199.00 + …)" with the
    old price. Expected: (299 + 40 × 29) × 3 = 4377.00 → 2188.50.
    Proposed fix (web/cli/sla_commands.py ``penalty``; triage/report.py does the same):
    keep the penalty rule from the breach quarter's terms, take the fee from
    ``contract.terms_at_date(applies_to.first_day).fee`` (i.e. compute ``applies_to``
    first, or let ``period_penalty`` take the fee of the target period)."""
    path = tmp_path / "catalog.toml"
    path.write_text(SHIPPED + MBN_PRICE_FROM_Q3, encoding="utf-8")
    out = ok_json(
        triage(
            "sla", "penalty", "--contract", "nettsoft-mbn", "--quarter", "2026Q2",
            "--users", "40", "--breaches", "1",
            catalog=path,
        )
    )  # fmt: skip
    assert out["applies_to"] == "2026Q3"
    assert out["base_nok"] == "4377.00"
    assert out["amount_nok"] == "2188.50"


# ------------------------------------------------------------------ claims (issue 16)


def test_penalty_claim_promptly_by_is_the_fixed_example(triage: Run) -> None:
    """DESIGN.md's Report JSON: first breach 2026-02-03 → claim_by 2027-02-03 (the outer
    limit, overarching §8.1) and claim_promptly_by 2026-02-17: Nettsoft's general terms,
    "senest innen 10 virkedager", counted 4-6, 9-13, 16, 17 February."""
    out = ok_json(
        triage(
            "sla", "penalty", "--contract", "nettsoft-mbn", "--quarter", "2026Q1",
            "--users", "40", "--breaches", "2", "--first-breach", "2026-02-03",
        )
    )  # fmt: skip
    assert (out["claim_by"], out["claim_promptly_by"]) == ("2027-02-03", "2026-02-17")


def test_uptime_outage_with_announcement_acceptance_and_objection(triage: Run) -> None:
    """004 §3.6: maintenance windows lie only outside core time; announced 12 days ahead
    and not objected to, Saturday 10-14 still counts (Saturday core time 09-18):
    340/344 = 98.84 % → 10 %, to be claimed by 17 April (10 working days after March)."""
    out = ok_json(
        triage(
            "sla", "uptime", "--contract", "nettsoft-vps-access", "--month", "2026-03",
            "--users", "40", "--outage",
            "2026-03-14T10:00/2026-03-14T14:00@12:planned-maintenance,"
            "announced=2026-03-02T09:00,accepted=2026-03-03T09:00",
        )
    )  # fmt: skip
    assert (out["downtime_hours"], out["uptime_pct"], out["reduction_pct"]) == (4, 98.84, 10)
    assert out["claim_promptly_by"] == "2026-04-17"
    assert any("exclusive remedy" in note for note in out["notes"])


@pytest.mark.parametrize(
    ("outage", "named"),
    [
        ("2026-03-10T09:00/2026-03-10T13:00@12:environment", "unknown cause 'environment'"),
        ("2026-03-10T09:00/2026-03-10T13:00@12:planned-maintenance,announced=x", "announced"),
        ("2026-03-10T09:00/2026-03-10T13:00@12:planned-maintenance,signed=2026-03-01", "signed"),
    ],
)
def test_uptime_refuses_unknown_causes_and_keys(triage: Run, outage: str, named: str) -> None:
    result = triage(
        "sla", "uptime", "--contract", "nettsoft-vps-access", "--month", "2026-03",
        "--users", "40", "--outage", outage,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--outage" in lines[0] and named in lines[0]
    if "environment" in outage:
        assert "known causes: customer-delay, customer-equipment" in lines[0]
