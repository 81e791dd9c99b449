"""Stored media: content-addressed, deduplicated, published only when the caller's transaction commits.

Keys in the store (:mod:`data.media.stores`: a folder, or an S3-compatible bucket): ``ab/cd/<sha256>.<ext>``
(the served, metadata-free file; ``sha256`` is of those bytes) and ``ab/cd/<sha256>.thumb.jpg`` (photos).
:func:`prepare` does the work outside any transaction and writes both to the store's local ``.incoming``
folder; :func:`save` adds the ``media_objects`` row through the caller's connection (nothing if the object is
already known) and publishes the files into the store as that connection commits (before the database commit:
a failed upload fails the commit, and what it had put is deleted) — or deletes them when it rolls back, so a
failed upload leaves no file or object behind. What a crash leaves (and objects no attachment uses)
:func:`remove_orphans` deletes after an hour; the poller runs it hourly (:func:`remove_orphans_hourly`).

Known limits: deleting what a failed publish had put can, in the instant between, remove an object that a
concurrent upload of the same bytes found already stored (its page then shows the file as missing); and a
bucket's uploads happen while the transaction is open, so a large import holds its locks for the upload time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, Engine, delete, event, exists, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from data.dialect import is_postgresql
from data.media.containers import looks_like_mp3_audio, mp4_location, strip_mp3, strip_mp4
from data.media.images import clean_photo, gps_of, open_photo, orientation_of
from data.media.kinds import EXTENSIONS, MediaError, MediaInfo, MediaLimits, Upload, detect
from data.media.stores import MediaLocation, MediaStore, as_store, media_store, stale_incoming
from data.schema import CaseAttachment, MediaObject

logger = logging.getLogger(__name__)
ICONS: Final = Path(__file__).resolve().parent / "icons"
ORPHAN_AGE: Final = dt.timedelta(hours=1)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 500


@dataclass(frozen=True)
class StoredMedia:
    """A stored media object: what the upload was (``info``), the SHA-256 and MIME type of the served file,
    its size, and whether it has a thumbnail (photos) — else pages show :func:`thumbnail_file`'s icon."""

    info: MediaInfo
    sha256: str
    mime: str
    size_bytes: int
    has_thumbnail: bool


@dataclass
class PreparedMedia:
    """An upload cleaned and written to the incoming folder, waiting for :func:`save` (or :meth:`discard`)."""

    stored: StoredMedia
    store: MediaStore
    name: str = ""
    files: dict[str, Path] = field(default_factory=dict)  # final key -> temporary file

    def publish(self) -> None:
        """Put the temporary files into the store (a key stored already is left as it is).

        Raises
        ------
        MediaError
            ``store_failed``: the store refused or could not be reached; what this call had put is deleted.
        """
        created: list[str] = []
        try:
            for key, temporary in self.files.items():
                if temporary.exists() and self.store.publish(key, temporary, _mime_of(key, self.stored.mime)):
                    created.append(key)
        except OSError as err:
            logger.warning("%s", err)
            try:
                self.store.delete(created)
            except OSError as cleanup:
                logger.warning("%s (left for remove_orphans)", cleanup)
            self.discard()
            raise MediaError("store_failed", self.name) from None
        self.files.clear()

    def discard(self) -> None:
        """Delete the temporary files (the upload is not kept)."""
        for temporary in self.files.values():
            temporary.unlink(missing_ok=True)
        self.files.clear()


def inspect(upload: Upload, limits: MediaLimits | None = None) -> MediaInfo:
    """What ``upload`` is, by content: kind, MIME type, size, upright pixel size and GPS position.

    Reads headers only (fast); :func:`prepare` decodes the whole file and refuses one corrupt further in.

    Raises
    ------
    MediaError
        Empty, not a supported photo/video/audio type, larger than its kind's limit, or unreadable.
    """
    kind, mime = detect(upload, limits or MediaLimits())
    width = height = None
    gps = None
    if kind == "photo":
        image = open_photo(upload.name, upload.content)
        width, height = image.size
        if orientation_of(image) in (5, 6, 7, 8):  # turned a quarter: upright size is swapped
            width, height = height, width
        gps = gps_of(image)
    elif mime != "audio/mpeg" and mime != "audio/amr":
        gps = mp4_location(upload.content)
    return MediaInfo(kind, mime, len(upload.content), width, height, gps)


def prepare(media: MediaLocation, upload: Upload, limits: MediaLimits | None = None) -> PreparedMedia:
    """Check and clean ``upload`` (metadata stripped, upright, thumbnail) into the incoming folder of ``media``
    (a store, or a media folder).

    Raises
    ------
    MediaError
        As :func:`inspect`, or the file turns out corrupt when decoded.
    """
    info = inspect(upload, limits)
    thumbnail = None
    if info.kind == "photo":
        photo = clean_photo(upload.name, upload.content, info.mime)
        served, mime, thumbnail = photo.content, photo.mime, photo.thumbnail
        info = MediaInfo(info.kind, info.mime, info.size_bytes, photo.width, photo.height, photo.gps)
    elif info.mime == "audio/mpeg":
        served, mime = strip_mp3(upload.content), info.mime
        if not looks_like_mp3_audio(served):
            raise MediaError("corrupt", upload.name)
    elif info.mime == "audio/amr":
        served, mime = upload.content, info.mime
    else:
        served, mime = strip_mp4(upload.content), info.mime
    sha256 = hashlib.sha256(served).hexdigest()
    stored = StoredMedia(info, sha256, mime, len(served), thumbnail is not None)
    store = as_store(media)
    prepared = PreparedMedia(stored, store, upload.name)
    try:
        prepared.files[_key(sha256, EXTENSIONS[mime])] = _incoming(store, served)
        if thumbnail is not None:
            prepared.files[_key(sha256, "thumb.jpg")] = _incoming(store, thumbnail)
    except OSError:
        prepared.discard()
        raise
    return prepared


def save(conn: Connection, prepared: PreparedMedia, *, now: dt.datetime | None = None) -> StoredMedia:
    """Record ``prepared`` in ``media_objects`` (once per content) within the caller's transaction on ``conn``;
    its files go into the store as ``conn`` commits (a failure there raises :class:`MediaError` and the
    transaction does not commit) and are deleted if it rolls back."""
    stored = prepared.stored
    values = {
        "sha256": stored.sha256,
        "mime": stored.mime,
        "kind": stored.info.kind,
        "size_bytes": stored.size_bytes,
        "width": stored.info.width,
        "height": stored.info.height,
        "has_thumbnail": stored.has_thumbnail,
        "created_at": now or dt.datetime.now(dt.UTC),
    }
    insert = postgresql_insert if is_postgresql(conn) else sqlite_insert
    conn.execute(insert(MediaObject).values(**values).on_conflict_do_nothing(index_elements=["sha256"]))
    _on_end_of_transaction(conn, prepared)
    return stored


def store(
    conn: Connection,
    media: MediaLocation,
    upload: Upload,
    *,
    limits: MediaLimits | None = None,
    now: dt.datetime | None = None,
) -> StoredMedia:
    """:func:`prepare` then :func:`save`: the one call for a page or the CLI storing one file in its transaction.

    Raises
    ------
    MediaError
        The file is refused (nothing is written).
    """
    return save(conn, prepare(media, upload, limits), now=now)


def _on_end_of_transaction(conn: Connection, prepared: PreparedMedia) -> None:
    """Publish ``prepared`` when ``conn`` commits, discard it when it rolls back (whichever comes first)."""

    def on_commit(_conn: Connection) -> None:
        prepared.publish()

    def on_rollback(_conn: Connection) -> None:
        prepared.discard()

    event.listen(conn, "commit", on_commit, once=True)
    event.listen(conn, "rollback", on_rollback, once=True)


def media_file(media: MediaLocation, sha256: str, mime: str | None = None) -> Path:
    """The served file of ``sha256`` on this machine (found in the store when ``mime`` is not given); with
    ``mime``, a path that does not exist when the store has no such object.

    Raises
    ------
    ValueError
        ``sha256`` is not 64 lower-case hex digits (never a path).
    FileNotFoundError
        ``mime`` not given, and no file is stored for it.
    """
    _check_sha(sha256)
    store = as_store(media)
    if mime is not None:
        return store.local_path(_key(sha256, EXTENSIONS[mime]))
    for key in store.find(_key(sha256, "")):
        if not key.endswith(".thumb.jpg"):
            return store.local_path(key)
    raise FileNotFoundError(f"no media file stored for {sha256}")


def thumbnail_file(media: MediaLocation, sha256: str) -> Path:
    """The thumbnail of a photo, else the icon of its kind (vendored SVG: ``video.svg``, ``audio.svg``).

    Raises
    ------
    ValueError, FileNotFoundError
        As :func:`media_file`.
    """
    _check_sha(sha256)
    store = as_store(media)
    thumbnail = store.local_path(_key(sha256, "thumb.jpg"))
    if thumbnail.exists():
        return thumbnail
    keys = [key for key in store.find(_key(sha256, "")) if not key.endswith(".thumb.jpg")]
    if not keys:
        raise FileNotFoundError(f"no media file stored for {sha256}")
    extension = keys[0].rpartition(".")[2]
    mime = next(name for name, ext in EXTENSIONS.items() if ext == extension)
    return ICONS / ("audio.svg" if mime.startswith("audio/") else "video.svg")


@dataclass(frozen=True)
class OrphanCleanup:
    """What :func:`remove_orphans` deleted."""

    rows: int
    files: int


def remove_orphans(
    engine: Engine, media: MediaLocation, *, older_than: dt.timedelta = ORPHAN_AGE, now: dt.datetime | None = None
) -> OrphanCleanup:
    """Delete media no one uses, older than ``older_than`` (an hour: uploads still in a transaction are kept).

    Deleted: ``media_objects`` rows no ``case_attachments`` row references, every stored object whose SHA-256
    has no ``media_objects`` row (left by a crash between the store and the database), and stale files in the
    incoming folder.
    """
    cutoff = (now or dt.datetime.now(dt.UTC)) - older_than
    store = as_store(media)
    unused = ~exists().where(CaseAttachment.sha256 == MediaObject.sha256)
    with engine.begin() as conn:
        rows = conn.execute(delete(MediaObject).where(MediaObject.created_at < cutoff, unused)).rowcount or 0
    by_sha: dict[str, list[str]] = {}
    for key in store.older_than(cutoff):
        by_sha.setdefault(key.rpartition("/")[2].split(".")[0], []).append(key)
    shas = list(by_sha)
    with engine.connect() as conn:
        for start in range(0, len(shas), _CHUNK):
            chunk = shas[start : start + _CHUNK]
            for (known,) in conn.execute(select(MediaObject.sha256).where(MediaObject.sha256.in_(chunk))):
                by_sha.pop(known, None)
    files = store.delete([key for keys in by_sha.values() for key in keys])
    for path in stale_incoming(store, cutoff):
        path.unlink(missing_ok=True)
        files += 1
    return OrphanCleanup(rows, files)


_last_cleanup: dict[str, dt.datetime] = {}  # media store -> when this process last cleaned it


def remove_orphans_hourly(engine: Engine, now: dt.datetime) -> OrphanCleanup | None:
    """:func:`remove_orphans` in the configured store at most once an hour per process (None when skipped).

    A post-poll hook (``after_poll`` in ``data/config/feeds.toml``): the poller holding the hooks' lease runs it.
    """
    from data.config import load_settings

    store = media_store(load_settings())
    last = _last_cleanup.get(store.identity)
    if last is not None and now - last < ORPHAN_AGE:
        return None
    _last_cleanup[store.identity] = now
    return remove_orphans(engine, store, now=now)


def _key(sha256: str, extension: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def _check_sha(sha256: str) -> None:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")


def _mime_of(key: str, mime: str) -> str:
    return "image/jpeg" if key.endswith(".thumb.jpg") else mime


def _incoming(store: MediaStore, content: bytes) -> Path:
    """``content`` written to a new file in the incoming folder (flushed to disk)."""
    folder = store.incoming
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix=f"{int(time.time())}-")
    with os.fdopen(handle, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    return Path(name)
