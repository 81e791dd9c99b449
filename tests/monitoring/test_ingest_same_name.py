"""#13.4: a corrected station file arriving under the name of a bad one is never lost.

Files are known by path and content hash, never by base name: ``envmon readings import`` of a folder holding
``a/NAME`` (bad) and ``b/NAME`` (good) stores the good readings and marks exactly the right file; the drop
folder moves each file to its own place and its quarantine never overwrites a file already there.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cli import main
from data.db import make_engine, migrate
from data.schema import IngestedFile, QuarantineRow, Reading
from monitoring.feeds.stationfiles import DropFolderFeed
from monitoring.ingest import store_batch
from monitoring.readings_import import import_readings

NAME = "HN_CTYA_NT01_20250315103000.txt"
NOW = dt.datetime(2025, 3, 16, tzinfo=dt.UTC)
GOOD = "COD\t45.2\tmg/L\t20250315103000\t00\r\nTSS\t18.6\tmg/L\t20250315103000\t00\r\n"
BAD = "COD\tabc\tmg/L\t20250315103000\t00\r\nTSS\t18.6\tmg/L\t20250315103000\t00\r\n"


def _folder_with_same_names(root: Path, contents: dict[str, str]) -> Path:
    for folder, text in contents.items():
        (root / folder).mkdir(parents=True)
        (root / folder / NAME).write_bytes(text.encode())
    return root


def _ledger(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(IngestedFile.filename, IngestedFile.status)).all())


def _readings(engine: Engine) -> dict[str, float]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Reading.parameter, Reading.value)).all())


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")], ids=["bad-first", "good-first"])
def test_import_of_a_parent_folder_stores_the_good_file_of_the_same_name(engine: Engine, tmp_path, order) -> None:
    bad, good = order
    parent = _folder_with_same_names(tmp_path / "parent", {bad: BAD, good: GOOD})
    summary = import_readings(engine, parent, now=NOW).as_dict()
    assert summary == {"files": 2, "rows": 4, "accepted": 2, "duplicates": 0, "quarantined": 2}
    assert _readings(engine) == {"cod": 45.2, "tss": 18.6}
    assert _ledger(engine) == {f"{bad}/{NAME}": "quarantined", f"{good}/{NAME}": "ingested"}
    with engine.connect() as conn:
        [reason] = conn.scalars(select(QuarantineRow.reason)).all()
    assert reason.startswith(f"{bad}/{NAME}") and "'abc' is not a number" in reason
    again = import_readings(engine, parent, now=NOW).as_dict()
    assert again == {"files": 2, "rows": 4, "accepted": 0, "duplicates": 4, "quarantined": 0}


def test_cli_readings_import_of_the_parent_folder(tmp_path, monkeypatch, capsys) -> None:
    database = f"sqlite:///{tmp_path / 'envmon.db'}"
    engine = make_engine(database)
    migrate(engine)
    parent = _folder_with_same_names(tmp_path / "parent", {"a": BAD, "b": GOOD})
    monkeypatch.setenv("DATABASE_URL", database)
    assert main(["readings", "import", str(parent), "--now", NOW.isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["accepted"] == 2
    assert _ledger(engine) == {f"a/{NAME}": "quarantined", f"b/{NAME}": "ingested"}


def test_drop_folder_keeps_both_files_and_moves_each_to_its_place(engine: Engine, tmp_path) -> None:
    drop = _folder_with_same_names(tmp_path / "drop", {"a": BAD, "b": GOOD})
    feed = DropFolderFeed("dropbox", drop)
    batch = feed.fetch({}, NOW)
    with engine.begin() as conn:
        assert store_batch(conn, batch).accepted == 2
    feed.acknowledge(batch)
    assert (drop / "quarantine" / NAME).read_bytes().decode() == BAD
    assert (drop / "processed" / "2025" / "03" / "15" / NAME).read_bytes().decode() == GOOD
    assert _readings(engine) == {"cod": 45.2, "tss": 18.6}
    assert _ledger(engine) == {f"a/{NAME}": "quarantined", f"b/{NAME}": "ingested"}


def test_quarantine_and_processed_never_overwrite(sqlite_engine: Engine, tmp_path) -> None:
    drop = tmp_path / "drop"
    feed = DropFolderFeed("dropbox", drop)
    bad_again = BAD.replace("18.6", "18.7")
    good_again = GOOD.replace("18.6", "18.7").replace("45.2", "45.3")
    for folders in ({"a": BAD, "b": bad_again}, {"c": GOOD}, {"d": good_again}):
        _folder_with_same_names(drop, folders)
        batch = feed.fetch({}, NOW)
        with sqlite_engine.begin() as conn:
            store_batch(conn, batch)
        feed.acknowledge(batch)
    quarantined = sorted(path.read_bytes().decode() for path in (drop / "quarantine").iterdir())
    assert quarantined == sorted([BAD, bad_again])
    day = drop / "processed" / "2025" / "03" / "15"
    assert sorted(path.name for path in day.iterdir()) == [NAME.replace(".txt", ".1.txt"), NAME]
    assert (day / NAME).read_bytes().decode() == GOOD
    with sqlite_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Reading)) == 2  # the resend repeats the same keys
