"""Fixtures of the API tests: the seeded air dataset of tests/publish/air_seed.py behind a TestClient."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api.app import create_app
from data.config import load_settings

_SEED_PATH = Path(__file__).resolve().parents[1] / "publish" / "air_seed.py"
if "air_seed" not in sys.modules:  # importlib mode: register the shared seed module once, by name
    _spec = importlib.util.spec_from_file_location("air_seed", _SEED_PATH)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["air_seed"] = _module
    _spec.loader.exec_module(_module)
air_seed = sys.modules["air_seed"]


@pytest.fixture
def movable_clock():
    """The class of a clock set by hand (call it with the starting time)."""
    return MovableClock


@pytest.fixture
def air_engine(loaded_engine: Engine) -> Engine:
    """The migrated database with boundaries and the seeded air dataset."""
    air_seed.seed_air(loaded_engine)
    return loaded_engine


@pytest.fixture
def settings():
    """Settings with the seed's time zone and boundary set."""
    return load_settings(timezone=air_seed.TIMEZONE, boundary_set=air_seed.BOUNDARY_SET)


@pytest.fixture
def client(air_engine: Engine, settings) -> TestClient:
    """A client of the API over the seeded database, its clock fixed at the seed's NOW."""
    return TestClient(create_app(air_engine, settings, clock=lambda: air_seed.NOW))


class MovableClock:
    """A clock a test sets by hand (``clock.now = …``): the webhook grouping window, the intake queue's lease."""

    def __init__(self, now) -> None:
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def count_rows():
    """``count_rows(engine, table)``: how many rows ``table`` holds."""

    def count(engine: Engine, table) -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    return count
