"""Photos, videos and audio on reports and case actions: checked by content, stripped of metadata, stored once.

Public API (pages, CLI, importers and chat intake call these): :class:`Upload`, :func:`inspect` →
:class:`MediaInfo`, :func:`store` (or :func:`prepare` + :func:`save`) → :class:`StoredMedia`,
:func:`media_file`, :func:`thumbnail_file`, :func:`remove_orphans`, :class:`MediaError` (``.text(language)``
names the file), :class:`MediaLimits` (``Settings.media_max_*_mb``) and :func:`media_store` (the configured
:class:`MediaStore`: a folder or an S3-compatible bucket). Functions taking a store also take a media folder.
"""

from data.media.kinds import MediaError, MediaInfo, MediaLimits, Upload
from data.media.storage import (
    OrphanCleanup,
    PreparedMedia,
    StoredMedia,
    inspect,
    media_file,
    prepare,
    remove_orphans,
    remove_orphans_hourly,
    save,
    store,
    thumbnail_file,
)
from data.media.stores import DirectoryStore, MediaLocation, MediaStore, media_store

__all__ = [
    "DirectoryStore",
    "MediaLocation",
    "MediaStore",
    "MediaError",
    "MediaInfo",
    "MediaLimits",
    "OrphanCleanup",
    "PreparedMedia",
    "StoredMedia",
    "Upload",
    "inspect",
    "media_file",
    "media_store",
    "prepare",
    "remove_orphans",
    "remove_orphans_hourly",
    "save",
    "store",
    "thumbnail_file",
]
