"""``triage classify``, ``classify eval``, ``classify train`` and ``classify learn`` end to end,
in a subprocess as a user runs them (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from triage.classify.model import Model

Run = Callable[..., subprocess.CompletedProcess]
FIXED_KEYS = {"severity", "reasons", "contract", "confidence", "needs_confirmation"}


@pytest.fixture
def triage(tmp_path: Path) -> Run:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        full = dict(os.environ)
        full.pop("TRIAGE_CATALOG", None)
        full["TRIAGE_DATA_DIR"] = str(tmp_path / "data")
        full.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "web.cli", *args],
            check=False,
            capture_output=True,
            text=True,
            env=full,
            cwd=tmp_path,
            timeout=300,
        )

    return run


def _json(result: subprocess.CompletedProcess) -> dict:  # type: ignore[type-arg]
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("Ingen på kontoret får logget på nettverket, alle PC-ene står uten nett", "critical"),
        (
            "alle filene på fellesdisken har fått endelsen .lockbit og det ligger en README",
            "critical",
        ),
        ("Kan dere bestille en ny skjerm til meg? Ikke noe hast.", "non-critical"),
    ],
)
def test_classify_answers_the_fixed_fields_with_confidence(
    triage: Run, text: str, severity: str
) -> None:
    out = _json(triage("classify", "--text", text, "--channel", "chat"))
    assert set(out) >= FIXED_KEYS
    assert out["severity"] == severity
    assert 0.0 <= out["confidence"] <= 1.0
    assert isinstance(out["needs_confirmation"], bool)
    assert out["reasons"][0].startswith(("critical with confidence", "non-critical with"))
    assert any("Nettsoft §2" in r for r in out["reasons"][1:])


def test_classify_without_text_or_subcommand_names_the_argument(triage: Run) -> None:
    result = triage("classify")
    assert result.returncode == 2
    assert result.stderr.startswith("triage: --text")


def _labelled(path: Path) -> Path:
    rows = [
        {"text": "Hele kontoret er uten nett, ingen får logget på", "label": "critical"},
        {"text": "the phone system is down for the whole company", "label": "critical"},
        {"text": "kan jeg få en ny mus?", "label": "non-critical"},
        {"text": "my laptop is a bit slow today", "label": "critical"},  # mislabelled on purpose
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_eval_prints_precision_recall_and_the_confusion_table(triage: Run, tmp_path: Path) -> None:
    out = _json(triage("classify", "eval", str(_labelled(tmp_path / "set.jsonl"))))
    assert out["tickets"] == 4
    table = out["confusion"]
    assert table["critical"]["critical"] + table["critical"]["non-critical"] == 3
    assert table["non-critical"]["non-critical"] == 1
    assert out["recall"] == pytest.approx(table["critical"]["critical"] / 3, abs=1e-3)
    assert table["critical"]["non-critical"] >= 1  # the mislabelled slow laptop is missed
    assert out["missed_critical"]


def test_eval_reads_csv_and_refuses_a_bad_label(triage: Run, tmp_path: Path) -> None:
    good = tmp_path / "set.csv"
    good.write_text(
        "subject,body,label\nNett nede,ingen får logget på,critical\n", encoding="utf-8"
    )
    assert _json(triage("classify", "eval", str(good)))["tickets"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,body,label\nx,y,urgent\n", encoding="utf-8")
    result = triage("classify", "eval", str(bad))
    assert result.returncode == 2
    assert "line 2" in result.stderr and "label" in result.stderr


def test_train_writes_a_model_that_loads(triage: Run, tmp_path: Path) -> None:
    data = tmp_path / "train"
    (data / "corpus").mkdir(parents=True)
    _labelled(data / "corpus" / "w1.jsonl")
    target = tmp_path / "model.json"
    out = _json(triage("classify", "train", "--data", str(data), "--write", str(target)))
    assert out["trained_on"] == {"w1": 4}
    model = Model.from_json(target.read_text(encoding="utf-8"))
    assert model.weights and model.about["trained_on"] == 4


def test_learn_folds_in_the_desk_corrections_only_when_asked(triage: Run, tmp_path: Path) -> None:
    """With no corrections in a fresh database: before and after are printed, nothing is
    written without --write."""
    data = tmp_path / "train"
    (data / "corpus").mkdir(parents=True)
    _labelled(data / "corpus" / "w1.jsonl")
    held = _labelled(tmp_path / "held.jsonl")
    out = _json(triage("classify", "learn", "--eval", str(held), "--data", str(data)))
    assert out["corrections"] == 0
    assert {"before", "after"} <= set(out) and out["applied"] is False
    assert not list(tmp_path.glob("*.model.json"))
    target = tmp_path / "new.model.json"
    written = _json(
        triage(
            "classify", "learn", "--eval", str(held), "--data", str(data), "--write", str(target)
        )
    )
    assert written["written"] == str(target) and target.exists()
