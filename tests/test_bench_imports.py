"""Every benchmark script still imports: a bench broken by a refactor is found by the suite, not at bench time."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(path.stem for path in BENCH.glob("*.py") if path.stem != "__init__")


def test_the_bench_folder_has_scripts() -> None:
    assert "bench_import" in SCRIPTS and "run_all" in SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_bench_script_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert module.__doc__, f"bench/{name}.py says what it measures"
