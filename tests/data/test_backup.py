"""SQLite backup and restore: round trip, consistency under concurrent writes, clear refusals."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from data.backup import BackupError, backup, restore
from data.db import MIGRATIONS_DIR, make_engine, migrate, transaction
from data.schema import ImportBatch

HEAD_REVISION = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def _db(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    migrate(engine)
    return url, engine


def _add_batches(engine, start: int, count: int) -> None:
    with transaction(engine) as session:
        session.add_all(
            ImportBatch(id=f"b{i}", kind="test", started_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
            for i in range(start, start + count)
        )


def _count(engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(ImportBatch))


def test_round_trip(tmp_path):
    url, engine = _db(tmp_path)
    _add_batches(engine, 0, 5)
    report = backup(url, tmp_path / "copy.db")
    assert report["revision"] == HEAD_REVISION
    _add_batches(engine, 5, 3)
    assert _count(engine) == 8
    engine.dispose()
    restore(url, tmp_path / "copy.db")
    assert _count(make_engine(url)) == 5


def test_backup_is_consistent_while_another_writer_commits(tmp_path):
    url, engine = _db(tmp_path)
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            _add_batches(engine, 1000 + i * 10, 10)  # each commit adds exactly 10 rows
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for n in range(3):
            backup(url, tmp_path / f"snap{n}.db")
    finally:
        stop.set()
        thread.join()
    for n in range(3):
        conn = sqlite3.connect(tmp_path / f"snap{n}.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM import_batches").fetchone()[0] % 10 == 0  # no half commit
        conn.close()


def test_refusals(tmp_path):
    url, _ = _db(tmp_path)
    with pytest.raises(BackupError, match="pg_dump"):
        backup("postgresql+psycopg://u@h/db", tmp_path / "x.db")
    (tmp_path / "exists.db").write_bytes(b"")
    with pytest.raises(BackupError, match="exists"):
        backup(url, tmp_path / "exists.db")
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not an envmon SQLite database"):
        restore(url, tmp_path / "junk.db")
    with pytest.raises(BackupError, match="not found"):
        restore(url, tmp_path / "missing.db")


def test_cli(tmp_path, monkeypatch, capsys):
    from cli import main

    url, engine = _db(tmp_path)
    _add_batches(engine, 0, 2)
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["backup", str(tmp_path / "b.db")]) == 0
    assert json.loads(capsys.readouterr().out)["revision"] == HEAD_REVISION
    assert main(["restore", str(tmp_path / "b.db")]) == 0
    assert main(["backup", str(tmp_path / "b.db")]) == 2
    assert "exists" in capsys.readouterr().err
