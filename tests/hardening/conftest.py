"""Fixtures shared by the hardening tests: one loaded SQLite database per module and its import context."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data.config import load_settings
from data.db import make_engine, migrate
from data.importers.pipeline import ImportContext
from data.routing import seed_routing


@pytest.fixture(scope="module")
def module_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated SQLite database with the shipped boundary sets and routing, shared by one module's tests.

    Property-based tests run many examples against it, so it is built once per module, not per example.
    """
    from geo.boundaries import load_shipped_sets

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
