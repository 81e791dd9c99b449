"""Circular 10/2021 station files from a local drop folder or an FTP server.

A station file is known by its path (relative to the drop folder, or its remote path) and content hash,
never by its base name: stations upload into folders of their own, where names can repeat.
"""

from __future__ import annotations

import datetime as dt
import ftplib
import logging
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from monitoring.errors import FeedAuthError, FeedUnavailableError
from monitoring.feeds.base import Batch, FeedContext, register_feed
from monitoring.feeds.tt10 import parse_tt10_files

logger = logging.getLogger(__name__)

PROCESSED_DIR: Final = "processed"
QUARANTINE_DIR: Final = "quarantine"
STATION_FILE_INTERVAL_MINUTES: Final = 5


def file_identity(path: Path, root: Path) -> str:
    """How the ledger knows a file (with its content hash): its path relative to ``root``, the drop folder or
    the imported folder (``a/HN_…txt`` and ``b/HN_…txt`` are two files)."""
    return path.relative_to(root).as_posix()


def read_station_files(
    paths: Sequence[Path], *, now: dt.datetime, source: str, root: Path, kind: str = "wastewater"
) -> Batch:
    """Parse station files under ``root`` into one batch (malformed files carry their error, nothing raises).

    Each :class:`~monitoring.feeds.base.SourceFile` is named by :func:`file_identity` (path, not base name).
    """
    named = [(file_identity(path, root), path.read_bytes()) for path in paths]
    files, readings = parse_tt10_files(named, now=now)
    return Batch(source, kind, readings, files=files, interval_minutes=STATION_FILE_INTERVAL_MINUTES)


def unused_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/<stem>.<n><suffix>`` with the first free ``n``: nothing is overwritten."""
    candidate = folder / name
    stem, suffix = os.path.splitext(name)
    number = 1
    while candidate.exists():
        candidate = folder / f"{stem}.{number}{suffix}"
        number += 1
    return candidate


@register_feed("tt10-dropbox")
class DropFolderFeed:
    """Station files pushed into a local folder; after commit they move to ``processed/`` or ``quarantine/``.

    A file whose move failed is seen again on the next poll and recognised as already ingested by its path
    and content hash, so nothing is stored twice. A moved file never replaces one already there (a second
    file of the same name gets a numbered name), so a corrected file and the bad one it replaces both stay.
    """

    def __init__(self, name: str, folder: Path, *, kind: str = "wastewater") -> None:
        self.name = name
        self.kind = kind
        self.folder = folder
        self._paths: dict[str, Path] = {}

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any], context: FeedContext) -> DropFolderFeed:
        """``folder`` (relative to var_dir; default ``dropbox``) and ``kind`` (default ``wastewater``)."""
        return cls(name, context.folder(entry), kind=entry.get("kind", "wastewater"))

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
        self._paths = {file_identity(path, self.folder): path for path in paths}
        batch = read_station_files(paths, now=now, source=self.name, kind=self.kind, root=self.folder)
        batch.checkpoint = {
            "last_file": file_identity(paths[-1], self.folder) if paths else checkpoint.get("last_file")
        }
        return batch

    def acknowledge(self, batch: Batch) -> None:
        """Move the batch's files to ``processed/<yyyy>/<MM>/<dd>/`` or ``quarantine/``, never overwriting."""
        for source_file in batch.files:
            path = self._paths.pop(source_file.name, None)
            if path is None or not path.exists():
                continue
            if source_file.error:
                target = self.folder / QUARANTINE_DIR
            else:
                stamp = source_file.basename.rsplit("_", 1)[-1]
                target = self.folder / PROCESSED_DIR / stamp[:4] / stamp[4:6] / stamp[6:8]
            target.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), unused_path(target, path.name))


@register_feed("tt10-ftp")
class FtpFeed:
    """Station files on an FTP server (the DONRE receiving server), walked recursively under ``remote_dir``.

    The checkpoint keeps the remote paths already fetched that are still on the server, so each file is
    downloaded once; the ingested-file ledger (remote path + content hash) still guards against a file
    stored twice.
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

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any], context: FeedContext) -> FtpFeed:
        """``host``; optional ``port`` (21), ``user``, ``password_env`` (the variable holding the password),
        ``remote_dir`` ("/"), ``timeout_seconds`` (30), ``kind`` (wastewater)."""
        return cls(
            name,
            entry["host"],
            port=int(entry.get("port", 21)),
            user=entry.get("user", "anonymous"),
            password=os.environ.get(entry.get("password_env", ""), ""),
            remote_dir=entry.get("remote_dir", "/"),
            timeout=float(entry.get("timeout_seconds", 30)),
            kind=entry.get("kind", "wastewater"),
        )

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
                downloads.append((path, b"".join(chunks)))
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
