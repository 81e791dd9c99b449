"""Kill -9 in the middle of an import, for real: no partial batch survives, and a re-run completes the work."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.db import make_engine, migrate
from data.routing import seed_routing

ROOT = Path(__file__).resolve().parents[2]
COMPLAINT_ROWS = 25_000
READING_FILES, READINGS_PER_FILE = 5, 24_000
pytestmark = pytest.mark.slow


def _prepared_database(folder: Path) -> str:
    from data.boundary_store import load_shipped_sets

    url = f"sqlite:///{folder / 'envmon.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    seed_routing(engine)
    engine.dispose()
    return url


def _envmon(url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-m", "cli", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(process: subprocess.Popen[bytes], started_writing: Callable[[], bool], limit_s: float = 120) -> None:
    """SIGKILL ``process`` as soon as ``started_writing()``; fail if it finished first."""
    deadline = time.monotonic() + limit_s
    while not started_writing():
        assert process.poll() is None, "the import finished before it could be killed: make the input bigger"
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def _query(db_file: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_file, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def _finish(process: subprocess.Popen[bytes]) -> dict[str, int]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()
    return json.loads(out)


def test_killed_complaint_import_leaves_no_partial_batch_and_a_rerun_completes(tmp_path: Path) -> None:
    url = _prepared_database(tmp_path)
    db_file = tmp_path / "envmon.db"
    wal = tmp_path / "envmon.db-wal"
    start = dt.datetime(2025, 1, 1, 7)
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "Mã phản ánh": [f"K-{i:07d}" for i in range(COMPLAINT_ROWS)],
            "Thời gian": [f"{start + dt.timedelta(minutes=7 * i):%d/%m/%Y %H:%M}" for i in range(COMPLAINT_ROWS)],
            "Nội dung": [f"Rác thải số {i}" for i in range(COMPLAINT_ROWS)],
            "Vĩ độ": np.round(21.0 + rng.random(COMPLAINT_ROWS) * 0.06, 6),
            "Kinh độ": np.round(105.78 + rng.random(COMPLAINT_ROWS) * 0.08, 6),
            "Loại phản ánh": "Rác thải",
        }
    )
    source = tmp_path / "big.csv"
    frame.to_csv(source, sep=";", index=False)
    baseline = wal.stat().st_size if wal.exists() else 0

    killed = _envmon(url, "complaints", "import", str(source))
    # The batch's pages start spilling into the write-ahead log long before its single commit.
    _kill_when(killed, lambda: wal.exists() and wal.stat().st_size > baseline + 1_000_000)

    assert _query(db_file, "SELECT count(*) FROM complaint_reports") == [(0,)]
    assert _query(db_file, "SELECT count(*) FROM complaint_cases") == [(0,)]
    assert _query(db_file, "SELECT count(*) FROM quarantine") == [(0,)]
    assert _query(db_file, "SELECT count(*) FROM import_batches WHERE status != 'failed'") == [(0,)]

    summary = _finish(_envmon(url, "complaints", "import", str(source)))
    assert (summary["rows"], summary["accepted"], summary["duplicates"], summary["quarantined"]) == (
        COMPLAINT_ROWS,
        COMPLAINT_ROWS,
        0,
        0,
    )
    assert _query(db_file, "SELECT count(DISTINCT external_id) FROM complaint_reports") == [(COMPLAINT_ROWS,)]
    assert _query(db_file, "SELECT status, count(*) FROM import_batches") == [("done", 1)]


def test_killed_readings_import_keeps_whole_files_only_and_a_rerun_completes(tmp_path: Path) -> None:
    url = _prepared_database(tmp_path)
    db_file = tmp_path / "envmon.db"
    folder = tmp_path / "readings"
    folder.mkdir()
    hours = pd.date_range("2024-01-01T01:00:00Z", periods=READINGS_PER_FILE // 4, freq="h")
    for index in range(READING_FILES):
        parts = [
            pd.DataFrame({"station_id": f"KILL{index}", "parameter": parameter, "value": np.arange(len(hours)) % 97,
                          "unit": "µg/m³", "observed_at": hours.strftime("%Y-%m-%dT%H:%M:%SZ"), "status": "00"})
            for parameter in ("pm25", "pm10", "no2", "so2")
        ]  # fmt: skip
        pd.concat(parts).to_csv(folder / f"part{index}.csv", index=False)

    killed = _envmon(url, "readings", "import", str(folder), "--now", "2025-04-01T00:00:00+00:00")
    _kill_when(killed, lambda: _query(db_file, "SELECT count(*) FROM import_batches")[0][0] >= 1)

    per_station = dict(_query(db_file, "SELECT station_id, count(*) FROM readings GROUP BY station_id"))
    assert 1 <= len(per_station) < READING_FILES, "kill the import between its first and its last file"
    assert set(per_station.values()) == {READINGS_PER_FILE}  # every stored file is complete, none half-stored
    batches = _query(db_file, "SELECT status FROM import_batches")
    assert batches == [("done",)] * len(per_station)

    summary = _finish(_envmon(url, "readings", "import", str(folder), "--now", "2025-04-01T00:00:00+00:00"))
    total = READING_FILES * READINGS_PER_FILE
    assert summary == {
        "files": READING_FILES,
        "rows": total,
        "accepted": total - len(per_station) * READINGS_PER_FILE,
        "duplicates": len(per_station) * READINGS_PER_FILE,
        "quarantined": 0,
    }
    assert _query(db_file, "SELECT count(*) FROM readings") == [(total,)]
    assert _query(db_file, "SELECT count(DISTINCT station_id) FROM readings") == [(READING_FILES,)]
