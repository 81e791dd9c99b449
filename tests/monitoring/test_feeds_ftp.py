"""Circular 10/2021 files from a real local FTP server (pyftpdlib on 127.0.0.1) and from a drop folder."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from data.schema import Reading
from monitoring.errors import FeedAuthError, FeedUnavailableError
from monitoring.feeds.stationfiles import DropFolderFeed, FtpFeed
from monitoring.ingest import store_batch

with warnings.catch_warnings():  # pyftpdlib still imports asyncore (deprecated in Python 3.11)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

NOW = dt.datetime(2025, 3, 16, tzinfo=dt.UTC)
GOOD = "HN_CTYDETMAYABC_NT01_20250315103000.txt"
MALFORMED = "HN_CTYDETMAYABC_NT01_20250315104000.txt"


@pytest.fixture
def ftp_root(tmp_path: Path, fixtures_dir: Path) -> Path:
    root = tmp_path / "ftp"
    day = root / "NT01" / "2025" / "03" / "15"
    day.mkdir(parents=True)
    for name in (GOOD, MALFORMED):
        shutil.copy(fixtures_dir / "tt10" / name, day / name)
    return root


@pytest.fixture
def ftp_server(ftp_root: Path) -> Iterator[tuple[str, int]]:
    authorizer = DummyAuthorizer()
    authorizer.add_user("station", "s3cret", str(ftp_root), perm="elr")
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer, "banner": "test"})
    server = FTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.05}, daemon=True)
    thread.start()
    yield server.address[0], server.address[1]
    server.close_all()
    thread.join(timeout=5)


def _feed(address: tuple[str, int], password: str = "s3cret") -> FtpFeed:
    host, port = address
    return FtpFeed("donre-ftp", host, port=port, user="station", password=password, remote_dir="/", timeout=5)


def test_ftp_walks_folders_and_downloads_each_file_once(ftp_server: tuple[str, int], sqlite_engine: Engine) -> None:
    feed = _feed(ftp_server)
    batch = feed.fetch({}, NOW)
    assert sorted(f.name for f in batch.files) == [f"/NT01/2025/03/15/{GOOD}", f"/NT01/2025/03/15/{MALFORMED}"]
    assert len(batch.readings) == 7
    assert batch.checkpoint == {
        "seen": [f"/NT01/2025/03/15/{GOOD}", f"/NT01/2025/03/15/{MALFORMED}"],
    }
    with sqlite_engine.begin() as conn:
        summary = store_batch(conn, batch)
    assert (summary.files, summary.accepted, summary.quarantined) == (2, 7, 2)
    again = feed.fetch(batch.checkpoint, NOW)
    assert again.files == [] and again.readings.empty


def test_ftp_wrong_password_is_an_auth_error(ftp_server: tuple[str, int]) -> None:
    with pytest.raises(FeedAuthError, match="refused login"):
        _feed(ftp_server, password="wrong").fetch({}, NOW)


def test_ftp_server_down_is_unavailable() -> None:
    with pytest.raises(FeedUnavailableError, match="unavailable"):
        FtpFeed("down", "127.0.0.1", port=1, timeout=2).fetch({}, NOW)


def test_drop_folder_moves_files_after_commit(tmp_path: Path, fixtures_dir: Path, sqlite_engine: Engine) -> None:
    drop = tmp_path / "dropbox"
    drop.mkdir()
    for name in (GOOD, MALFORMED):
        shutil.copy(fixtures_dir / "tt10" / name, drop / name)
    feed = DropFolderFeed("dropbox", drop)
    batch = feed.fetch({}, NOW)
    with sqlite_engine.begin() as conn:
        store_batch(conn, batch)
    feed.acknowledge(batch)
    assert (drop / "processed" / "2025" / "03" / "15" / GOOD).is_file()
    assert (drop / "quarantine" / MALFORMED).is_file()
    assert list(drop.glob("*.txt")) == []
    assert feed.fetch(batch.checkpoint, NOW).files == []


def test_drop_folder_file_seen_again_after_a_failed_move_is_not_stored_twice(
    tmp_path: Path, fixtures_dir: Path, sqlite_engine: Engine
) -> None:
    drop = tmp_path / "dropbox"
    drop.mkdir()
    shutil.copy(fixtures_dir / "tt10" / GOOD, drop / GOOD)
    feed = DropFolderFeed("dropbox", drop)
    for _ in range(2):  # acknowledge never runs, as if the process died right after the commit
        with sqlite_engine.begin() as conn:
            store_batch(conn, feed.fetch({}, NOW))
    with sqlite_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Reading)) == 7


def test_missing_drop_folder_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(FeedUnavailableError, match="does not exist"):
        DropFolderFeed("dropbox", tmp_path / "nowhere").fetch({}, NOW)
