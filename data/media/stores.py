"""Where stored media live: a folder (:class:`DirectoryStore`) or an S3-compatible bucket
(:class:`data.media.s3_store.S3Store`), chosen by ``Settings.media_store`` (:func:`media_store`).

A store holds immutable objects under content-addressed keys (``ab/cd/<sha256>.<ext>``, thumbnails
``ab/cd/<sha256>.thumb.jpg``). Every store also has a local folder, ``local_dir``: uploads are cleaned into its
``.incoming`` subfolder before their transaction, and readers get files on this machine (:meth:`local_path`;
a bucket store keeps downloaded copies there — objects never change, so a copy never goes stale).
"""

from __future__ import annotations

import datetime as dt
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

INCOMING: Final = ".incoming"


class MediaStore(ABC):
    """Content-addressed media objects; see the module docstring."""

    local_dir: Path

    @property
    @abstractmethod
    def identity(self) -> str:
        """Where the objects are, for logs and per-store bookkeeping (never a secret)."""

    @abstractmethod
    def publish(self, key: str, temporary: Path, mime: str) -> bool:
        """Store the file ``temporary`` under ``key`` (consumed); False if ``key`` was stored already."""

    @abstractmethod
    def local_path(self, key: str) -> Path:
        """The object ``key`` as a file on this machine; a path that does not exist when it is not stored."""

    @abstractmethod
    def find(self, prefix: str) -> list[str]:
        """The stored keys starting with ``prefix``, sorted."""

    @abstractmethod
    def older_than(self, cutoff: dt.datetime) -> Iterator[str]:
        """Every stored key last written before ``cutoff``."""

    @abstractmethod
    def delete(self, keys: Iterable[str]) -> int:
        """Delete ``keys`` (missing ones are skipped); how many were asked for."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""
        return key in self.find(key)

    @property
    def incoming(self) -> Path:
        """The local folder of cleaned uploads waiting for their transaction."""
        return self.local_dir / INCOMING


class DirectoryStore(MediaStore):
    """Objects as files under ``root`` (several servers share it only through a network file system)."""

    def __init__(self, root: Path) -> None:
        self.local_dir = Path(root)

    @property
    def identity(self) -> str:
        return str(self.local_dir.resolve())

    def publish(self, key: str, temporary: Path, mime: str) -> bool:  # noqa: ARG002 - a file has no type
        target = self.local_dir / key
        existed = target.exists()
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, target)  # atomic; identical content when it existed
        return not existed

    def local_path(self, key: str) -> Path:
        return self.local_dir / key

    def exists(self, key: str) -> bool:
        return (self.local_dir / key).is_file()

    def find(self, prefix: str) -> list[str]:
        folder, _, start = prefix.rpartition("/")
        base = self.local_dir / folder
        if not base.is_dir():
            return []
        return sorted(f"{folder}/{path.name}" for path in base.iterdir() if path.name.startswith(start))

    def older_than(self, cutoff: dt.datetime) -> Iterator[str]:
        for path in self.local_dir.glob("??/??/*"):
            if path.is_file() and _changed_before(path, cutoff):
                yield path.relative_to(self.local_dir).as_posix()

    def delete(self, keys: Iterable[str]) -> int:
        count = 0
        for key in keys:
            (self.local_dir / key).unlink(missing_ok=True)
            count += 1
        return count


MediaLocation = MediaStore | Path | str
"""What the media functions accept: a store, or a folder (a :class:`DirectoryStore`)."""


def as_store(location: MediaLocation) -> MediaStore:
    """``location`` as a store (a folder becomes a :class:`DirectoryStore`)."""
    return location if isinstance(location, MediaStore) else DirectoryStore(Path(location))


def media_store(settings: object) -> MediaStore:
    """The store configured in :class:`data.config.Settings`: ``media_store = "dir"`` (``media_dir``) or
    ``"s3"`` (``media_s3_*``; ``media_dir`` then holds only incoming uploads and local copies)."""
    if getattr(settings, "media_store", "dir") == "s3":
        from data.media.s3_store import S3Store

        return S3Store.from_settings(settings)
    return DirectoryStore(Path(settings.media_dir))  # type: ignore[attr-defined]


def stale_incoming(store: MediaStore, cutoff: dt.datetime) -> list[Path]:
    """Files in the incoming folder older than ``cutoff`` (left by a crash)."""
    return [path for path in store.incoming.glob("*") if path.is_file() and _changed_before(path, cutoff)]


def _changed_before(path: Path, cutoff: dt.datetime) -> bool:
    status = path.stat()
    return max(status.st_mtime, status.st_ctime) < cutoff.timestamp()
