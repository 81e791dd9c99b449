"""Imports point down only: geo ← data ← monitoring ← edges (dashboard, cli, api, publish), see ARCHITECTURE.md.

Queries live in ``data/``: above it no module builds SQL or opens a connection or transaction (see
:func:`sql_construction`).

Every module of the product is parsed (``ast``), including imports inside functions and ``importlib.import_module``
calls with a literal name, and so are the ``package.module:function`` hooks of the shipped config files (the
poller in ``monitoring`` imports them). A core package may import its own floor and the floors below; an edge may
import the core and itself, never another edge; only ``dashboard`` imports ``streamlit``.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {"geo": 0, "data": 1, "monitoring": 2}
EDGES = ("dashboard", "cli", "api", "publish")
UI_ONLY = {"streamlit": "dashboard", "streamlit_folium": "dashboard"}
SQL_FREE = ("monitoring", *EDGES)
SQLALCHEMY_TYPES = {"Connection", "Engine"}  # what an upper floor may import from sqlalchemy: types to annotate with
DATABASE_CALLS = {"execute", "exec_driver_sql", "scalar", "scalars", "begin_nested"}
NO_ARGUMENT_DATABASE_CALLS = {"begin", "connect"}  # engine.begin()/.connect(); ftp.connect(host) takes arguments
HOOK = re.compile(r"^([A-Za-z_][\w.]*):[A-Za-z_]\w*$")  # "package.module:function" in a config file


def _imported_names(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and _called_name(node.func) in {"import_module", "__import__"}:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _rule_broken(source: str, target: str) -> str | None:
    """Why ``source`` (a top-level package) may not import ``target`` (a dotted module name), or None."""
    top = target.split(".")[0]
    if top in UI_ONLY and source != UI_ONLY[top]:
        return f"only {UI_ONLY[top]}/ imports {top}"
    if top == source:
        return None
    if top in EDGES:
        return "edges are imported by nobody" if source in FLOORS else "edges never import each other"
    if top in FLOORS and source in FLOORS and FLOORS[top] > FLOORS[source]:
        return f"{source}/ is below {top}/"
    return None


def layer_violations(root: Path) -> list[str]:
    """Every import under ``root`` that breaks the layer rules, as ``path:line: source -> target (why)``."""
    found = []
    for package in (*FLOORS, *EDGES):
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, target in _imported_names(tree):
                why = _rule_broken(package, target)
                if why:
                    found.append(f"{path.relative_to(root)}:{line}: {package} -> {target} ({why})")
    for path in sorted((root / "data" / "config").glob("*.toml")):
        for target in _hooks(tomllib.loads(path.read_text(encoding="utf-8"))):
            why = _rule_broken("monitoring", target)
            if why:
                found.append(f"{path.relative_to(root)}: hook run by monitoring -> {target} ({why})")
    return found


def _hooks(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _hooks(item)
    elif isinstance(value, list):
        for item in value:
            yield from _hooks(item)
    elif isinstance(value, str) and (match := HOOK.match(value)):
        yield match.group(1)


def _sql_uses(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """SQL construction, statements run, connections or transactions opened in ``tree``: (line, what)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            if node.module == "sqlalchemy.exc":
                continue  # catching the database's errors is fine
            for alias in node.names:
                if node.module != "sqlalchemy" or alias.name not in SQLALCHEMY_TYPES:
                    yield node.lineno, f"from {node.module} import {alias.name}"
        elif isinstance(node, ast.Attribute) and node.attr == "__table__":
            yield node.lineno, ".__table__"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            no_arguments = not node.args and not node.keywords
            if name in DATABASE_CALLS or (name in NO_ARGUMENT_DATABASE_CALLS and no_arguments):
                yield node.lineno, f".{name}()"


def sql_construction(root: Path) -> list[str]:
    """Every place above ``data/`` under ``root`` that builds or runs SQL or opens a connection: ``path:line: what``."""
    found = []
    for package in SQL_FREE:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found.extend(f"{relative}:{line}: {what}" for line, what in _sql_uses(tree))
    return found


def test_imports_point_down_only() -> None:
    assert layer_violations(ROOT) == []


def test_engine_differences_live_in_data_dialect() -> None:
    """``<bind>.dialect.name`` is read in ``data/dialect.py`` only; everything else asks that module."""
    readers = []
    for package in (*FLOORS, *EDGES):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                is_dialect_name = isinstance(node, ast.Attribute) and node.attr == "name"
                if is_dialect_name and _called_name(node.value) == "dialect":  # type: ignore[attr-defined]
                    readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers and all(reader.startswith("data/dialect.py:") for reader in readers), readers


def test_queries_live_in_data_only() -> None:
    """No SQL is built or run above ``data/``: monitoring and the edges call functions of ``data/``."""
    assert sql_construction(ROOT) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from sqlalchemy import Engine, select\n", "from sqlalchemy import select"),
        ("import sqlalchemy as sa\n", "import sqlalchemy"),
        ("from sqlalchemy.orm import Session\n", "from sqlalchemy.orm import Session"),
        ("def f(engine):\n    with engine.begin() as conn:\n        pass\n", ".begin()"),
        ("def f(engine):\n    return engine.connect()\n", ".connect()"),
        ("def f(conn, q):\n    return conn.execute(q)\n", ".execute()"),
        ("from data.schema import Station\nt = Station.__table__\n", ".__table__"),
    ],
)
def test_the_sql_check_finds_each_kind_of_query(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "cli" / "a.py"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    ok = "from sqlalchemy import Engine\nfrom sqlalchemy.exc import OperationalError\nftp.connect(host, 21)\n"
    (tmp_path / "monitoring").mkdir()
    (tmp_path / "monitoring" / "ok.py").write_text(ok, encoding="utf-8")
    (violation,) = sql_construction(tmp_path)
    assert violation.startswith("cli/a.py:") and violation.endswith(expected)


def test_every_package_of_the_product_has_a_floor() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages <= set(FLOORS) | set(EDGES), f"give {sorted(packages - set(FLOORS) - set(EDGES))} a floor"


@pytest.mark.parametrize(
    ("module", "text", "expected"),
    [
        ("geo/a.py", "def f():\n    from data.db import transaction\n", "geo -> data.db (geo/ is below data/)"),
        ("data/a.py", "import monitoring.alerts\n", "data -> monitoring.alerts (data/ is below monitoring/)"),
        ("monitoring/a.py", "import streamlit as st\n", "monitoring -> streamlit (only dashboard/ imports"),
        ("monitoring/a.py", "from cli import main\n", "monitoring -> cli (edges are imported by nobody)"),
        ("cli/a.py", "import importlib\nimportlib.import_module('dashboard.app')\n", "edges never import each other"),
        ("api/a.py", "from dashboard.loaders import engine\n", "api -> dashboard.loaders (edges never import"),
        ("data/config/feeds.toml", 'after_poll = ["dashboard.pipeline:after_poll"]\n', "hook run by monitoring"),
    ],
)
def test_the_check_finds_each_kind_of_wrong_import(tmp_path: Path, module: str, text: str, expected: str) -> None:
    path = tmp_path / module
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "ok.py").write_text("import geo.join\nfrom data import db\nimport pandas\n", encoding="utf-8")
    (violation,) = layer_violations(tmp_path)
    assert expected in violation
