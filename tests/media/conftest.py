"""Fixtures of the media tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """An empty media folder of its own (the SQLite test database lives beside it, not in it)."""
    return tmp_path / "media"
