"""Fixtures shared by the hardening tests: one loaded SQLite database per module and its import context.

It also registers ``_server.py``, the UI tests' shared helpers, as the module ``ui_server``: pytest's importlib
mode puts no test folder on ``sys.path``, so the UI test modules could not import it by name otherwise.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data.config import load_settings
from data.db import make_engine, migrate
from data.importers.pipeline import ImportContext
from data.routing import seed_routing

if "ui_server" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("ui_server", Path(__file__).with_name("_server.py"))
    sys.modules["ui_server"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["ui_server"])


@pytest.fixture(scope="module")
def module_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated SQLite database with the shipped boundary sets and routing, shared by one module's tests.

    Property-based tests run many examples against it, so it is built once per module, not per example.
    """
    from data.boundary_store import load_shipped_sets

    folder: Path = tmp_path_factory.mktemp("hardening-db")
    engine = make_engine(f"sqlite:///{folder / 'envmon.db'}")
    migrate(engine)
    load_shipped_sets(engine)
    seed_routing(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def module_context(module_engine: Engine) -> ImportContext:
    """The complaint import context (wards, resolver, taxonomy, SLA) of ``module_engine``."""
    return ImportContext.from_settings(module_engine, load_settings())
