"""Circular 10/2021 station files from a local drop folder or an FTP server."""

from __future__ import annotations

import datetime as dt
import ftplib
import logging
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from monitoring.errors import FeedAuthError, FeedUnavailableError
from monitoring.feeds.tt10 import parse_tt10_files
from monitoring.ingest import Batch

logger = logging.getLogger(__name__)

PROCESSED_DIR: Final = "processed"
QUARANTINE_DIR: Final = "quarantine"
STATION_FILE_INTERVAL_MINUTES: Final = 5


def station_files(path: Path) -> list[Path]:
    """The ``.txt`` files at ``path`` (a file, or a folder searched recursively), sorted by name."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        msg = f"no such file or folder: {path}"
        raise FileNotFoundError(msg)
    return sorted((p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".txt"), key=lambda p: p.name)


def read_station_files(paths: list[Path], *, now: dt.datetime, source: str, kind: str = "wastewater") -> Batch:
    """Parse station files into one batch (malformed files are carried with their error, not raised)."""
    files, readings = parse_tt10_files([(path.name, path.read_bytes()) for path in paths], now=now)
    return Batch(source, kind, readings, files=files, interval_minutes=STATION_FILE_INTERVAL_MINUTES)


class DropFolderFeed:
    """Station files pushed into a local folder; after commit they move to ``processed/`` or ``quarantine/``.

    A file whose move failed is seen again on the next poll and recognised as already ingested by its name
    and content hash, so nothing is stored twice.
    """

    def __init__(self, name: str, folder: Path, *, kind: str = "wastewater") -> None:
        self.name = name
        self.kind = kind
        self.folder = folder
        self._paths: dict[str, Path] = {}

    def _pending(self) -> Iterator[Path]:
        for path in sorted(self.folder.rglob("*.txt")):
            relative = path.relative_to(self.folder).parts
            if relative[0] not in (PROCESSED_DIR, QUARANTINE_DIR):
                yield path

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        """Every file waiting in the folder."""
        if not self.folder.is_dir():
            msg = f"drop folder {self.folder} does not exist"
            raise FeedUnavailableError(msg)
        paths = list(self._pending())
        self._paths = {path.name: path for path in paths}
        batch = read_station_files(paths, now=now, source=self.name, kind=self.kind)
        batch.checkpoint = {"last_file": paths[-1].name if paths else checkpoint.get("last_file")}
        return batch

    def acknowledge(self, batch: Batch) -> None:
        """Move the batch's files to ``processed/<yyyy>/<MM>/<dd>/`` or ``quarantine/``."""
        for source_file in batch.files:
            path = self._paths.pop(source_file.name, None)
            if path is None or not path.exists():
                continue
            if source_file.error:
                target = self.folder / QUARANTINE_DIR
            else:
                stamp = source_file.name.rsplit("_", 1)[-1]
                target = self.folder / PROCESSED_DIR / stamp[:4] / stamp[4:6] / stamp[6:8]
            target.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), target / path.name)


class FtpFeed:
    """Station files on an FTP server (the DONRE receiving server), walked recursively under ``remote_dir``.

    The checkpoint keeps the names already fetched that are still on the server, so each file is downloaded
    once; the ingested-file ledger still guards against a file stored twice.
    """

    def __init__(
        self,
        name: str,
        host: str,
        *,
        port: int = 21,
        user: str = "anonymous",
        password: str = "",
        remote_dir: str = "/",
        timeout: float = 30.0,
        kind: str = "wastewater",
        ftp_factory: Callable[[], ftplib.FTP] = ftplib.FTP,
    ) -> None:
        self.name = name
        self.kind = kind
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.remote_dir = remote_dir
        self.timeout = timeout
        self.ftp_factory = ftp_factory
        self.secrets = [password] if password else []

    def _walk(self, ftp: ftplib.FTP, folder: str) -> Iterator[str]:
        for entry, facts in sorted(ftp.mlsd(folder, facts=["type"])):
            path = f"{folder.rstrip('/')}/{entry}"
            if facts.get("type") == "dir":
                yield from self._walk(ftp, path)
            elif facts.get("type") == "file" and entry.lower().endswith(".txt"):
                yield path

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        """Download and parse every file not fetched before."""
        seen = set(checkpoint.get("seen", []))
        ftp = self.ftp_factory()
        try:
            ftp.connect(self.host, self.port, timeout=self.timeout)
            ftp.login(self.user, self.password)
            remote = list(self._walk(ftp, self.remote_dir))
            downloads = []
            for path in remote:
                if path in seen:
                    continue
                chunks: list[bytes] = []
                ftp.retrbinary(f"RETR {path}", chunks.append)
                downloads.append((path.rsplit("/", 1)[-1], b"".join(chunks)))
            ftp.quit()
        except ftplib.error_perm as err:
            if str(err).startswith("530"):
                msg = f"FTP {self.host}:{self.port} refused login for {self.user!r}: {err}"
                raise FeedAuthError(msg) from err
            msg = f"FTP {self.host}:{self.port}: {err}"
            raise FeedUnavailableError(msg) from err
        except (OSError, EOFError, ftplib.Error) as err:
            msg = f"FTP {self.host}:{self.port} unavailable: {err.__class__.__name__}: {err}"
            raise FeedUnavailableError(msg) from err
        finally:
            ftp.close()
        files, readings = parse_tt10_files(downloads, now=now)
        return Batch(
            self.name,
            self.kind,
            readings,
            files=files,
            interval_minutes=STATION_FILE_INTERVAL_MINUTES,
            checkpoint={"seen": sorted(remote)},
        )

    def acknowledge(self, batch: Batch) -> None:
        """Nothing to do: the server keeps its files; the checkpoint records what was fetched."""
