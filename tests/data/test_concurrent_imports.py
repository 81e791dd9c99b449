"""Complaint imports running at the same time on PostgreSQL end as if they had run one after the other.

Two threads import at once; both finish reading and checking their file before either starts storing (a barrier
after normalising), which is when two transactions would otherwise miss each other's rows.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from data.boundary_store import load_shipped_sets
from data.config import load_settings
from data.importers import pipeline
from data.importers.pipeline import ImportContext, ImportSummary, import_complaints
from data.routing import seed_routing
from data.schema import ComplaintCase, ComplaintReport

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ROWS = 30_000
HEADER = "Mã phản ánh;Thời gian;Nội dung;Vĩ độ;Kinh độ;Kênh;Loại phản ánh\n"


@pytest.fixture
def pg(postgres_engine: Engine) -> Engine:
    load_shipped_sets(postgres_engine)
    seed_routing(postgres_engine)
    return postgres_engine


def _at_once(engine: Engine, paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> list[ImportSummary]:
    """Import ``paths`` on one thread each; every thread waits after normalising until all have normalised."""
    barrier = threading.Barrier(len(paths), timeout=120)
    normalise: Callable[..., Any] = pipeline.normalise

    def normalise_then_wait(*args: Any, **kwargs: Any) -> Any:
        result = normalise(*args, **kwargs)
        barrier.wait()
        return result

    context = ImportContext.from_settings(engine, load_settings())
    with monkeypatch.context() as patch, ThreadPoolExecutor(len(paths)) as pool:
        patch.setattr(pipeline, "normalise", normalise_then_wait)
        futures = [pool.submit(import_complaints, engine, path, context, now=NOW) for path in paths]
        errors = [future.exception() for future in futures]
        assert errors == [None] * len(paths), errors
        return [future.result() for future in futures]


def _count(engine: Engine, table: type) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table)) or 0


def test_the_same_30000_row_file_twice_at_once_reports_duplicates(
    pg: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "reports.csv"
    rng = np.random.default_rng(7)
    lats, lons = rng.uniform(20.95, 21.08, ROWS), rng.uniform(105.75, 105.90, ROWS)
    minutes = rng.integers(0, 60 * 24 * 60, ROWS)
    start = dt.datetime(2025, 1, 1, 7, 0)
    lines = [
        f"R-{i};{start + dt.timedelta(minutes=int(m)):%d/%m/%Y %H:%M};Rác thải;{lat:.6f};{lon:.6f};Zalo OA;Rác thải"
        for i, (m, lat, lon) in enumerate(zip(minutes, lats, lons, strict=True))
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    first, second = sorted(_at_once(pg, [path, path], monkeypatch), key=lambda summary: summary.accepted)
    assert first.accepted == 0 and first.duplicates == second.accepted + second.duplicates
    assert second.accepted > ROWS * 0.8
    assert _count(pg, ComplaintReport) == second.accepted
    sequential_cases = _count(pg, ComplaintCase)
    again = import_complaints(pg, path, ImportContext.from_settings(pg, load_settings()), now=NOW)
    assert again.accepted == 0 and _count(pg, ComplaintCase) == sequential_cases


def test_nearby_reports_in_two_files_imported_at_once_form_one_case(
    pg: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "zalo.csv", tmp_path / "hotline.csv"
    # 1.5 m north and 30 minutes apart, both "Đốt rác" (burning_smoke), in Hoàn Kiếm
    a.write_text(HEADER + "Z-1;15/03/2025 06:00;Khói đốt rác;21.028800;105.852300;Zalo OA;Đốt rác\n", "utf-8")
    b.write_text(HEADER + "H-1;15/03/2025 06:30;Đốt rác khói nhiều;21.028813;105.852300;Hotline;Đốt rác\n", "utf-8")
    summaries = _at_once(pg, [a, b], monkeypatch)
    assert [summary.accepted for summary in summaries] == [1, 1]
    with pg.connect() as conn:
        cases = conn.execute(select(ComplaintCase.id, ComplaintCase.report_count)).all()
    assert len(cases) == 1 and cases[0].report_count == 2
