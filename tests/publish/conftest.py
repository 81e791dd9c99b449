"""Fixtures of the public snapshot and site tests: the seeded air dataset of ``air_seed`` on both back ends."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

# pytest runs in importlib mode (no sys.path changes): register the seed module so tests can import it by name
_SEED_PATH = Path(__file__).resolve().parent / "air_seed.py"
_spec = importlib.util.spec_from_file_location("air_seed", _SEED_PATH)
air_seed = importlib.util.module_from_spec(_spec)
sys.modules["air_seed"] = air_seed
_spec.loader.exec_module(air_seed)


@pytest.fixture
def air_engine(loaded_engine: Engine) -> Engine:
    """The migrated database with boundaries and the seeded air dataset."""
    air_seed.seed_air(loaded_engine)
    return loaded_engine
