"""What an uploaded media file is, decided by its content: the type sniffing, size limits and the error.

The extension and the client's content type are never trusted: JPEG, PNG, HEIC/HEIF, WebP photos, MP4/QuickTime
videos and M4A/MP3/AMR audio are recognised by their magic bytes or container signature (an MP4 file is a video
when one of its tracks has a video handler, else M4A audio). Anything else is refused with a
:class:`MediaError` naming the file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from data.i18n import translate

MB: Final = 1024 * 1024
MAX_PIXELS: Final = 100_000_000
"""Largest photo accepted (width × height); decompression bombs are refused before decoding."""


@dataclass(frozen=True)
class Upload:
    """A file handed over by a page, the CLI, an importer or a chat channel: its (untrusted) name and bytes."""

    name: str
    content: bytes


@dataclass(frozen=True)
class MediaInfo:
    """What an upload is: ``kind`` (photo | video | audio), the detected ``mime`` type, its size, pixel size of
    a photo (upright, after orientation) and the GPS position (lat, lon) found in its metadata, if any."""

    kind: str
    mime: str
    size_bytes: int
    width: int | None
    height: int | None
    gps: tuple[float, float] | None


@dataclass(frozen=True)
class MediaLimits:
    """Largest accepted upload per kind, in bytes (``Settings.media_max_*_mb``)."""

    photo: int = 25 * MB
    video: int = 100 * MB
    audio: int = 20 * MB

    @classmethod
    def from_settings(cls, settings: object) -> MediaLimits:
        """The limits configured in :class:`data.config.Settings`."""
        return cls(
            photo=int(settings.media_max_photo_mb * MB),  # type: ignore[attr-defined]
            video=int(settings.media_max_video_mb * MB),  # type: ignore[attr-defined]
            audio=int(settings.media_max_audio_mb * MB),  # type: ignore[attr-defined]
        )

    def for_kind(self, kind: str) -> int:
        """The limit of ``kind`` (photo | video | audio)."""
        return int(getattr(self, kind))


class MediaError(ValueError):
    """A media file refused (wrong type, too big, corrupt, cannot be fetched); ``.text(language)`` names the file.

    ``code`` is the catalogue key ``media.<code>`` in :mod:`data.i18n.strings_media`; ``str(error)`` is English.
    """

    def __init__(self, code: str, name: str, **params: object) -> None:
        self.code = code
        self.name = display_name(name)
        self.params = params
        super().__init__(self.text("en"))

    def text(self, language: str) -> str:
        """The one-line message in ``language`` (``vi`` or ``en``), naming the file."""
        return translate(f"media.{self.code}", language, name=self.name, **self.params)

    def quarantine_params(self, reference: str) -> tuple[str, dict[str, object]]:
        """The quarantine reason code (``media_<code>``, same sentences) and its parameters, for an import row."""
        return f"media_{self.code}", {"value": reference, "name": self.name, **self.params}


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def display_name(name: str) -> str:
    """A file name fit for a message: the base name (also of a URL or a Windows path), control characters
    removed, at most 120 characters."""
    text = unicodedata.normalize("NFC", _CONTROL.sub("", name or "")).strip()
    base = re.split(r"[\\/]", text.split("?")[0].rstrip("/"))[-1] or text
    return (base[:117] + "…") if len(base) > 120 else (base or "?")


# ISO base media file format brands (the ``ftyp`` box) by what they hold
_QUICKTIME_BRANDS: Final = frozenset({b"qt  "})
_AUDIO_BRANDS: Final = frozenset({b"M4A ", b"M4B ", b"M4P "})
_HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_MP4_BRANDS: Final = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP",
     b"dash", b"mmp4", b"MSNV", b"f4v "}
)  # fmt: skip

EXTENSIONS: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
    "audio/amr": "amr",
}
"""File extension of each stored MIME type."""
KINDS: Final = {
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/webp": "photo",
    "image/heic": "photo",
    "video/mp4": "video",
    "video/quicktime": "video",
    "audio/mp4": "audio",
    "audio/mpeg": "audio",
    "audio/amr": "audio",
}


def sniff(content: bytes) -> str | None:
    """The MIME type of ``content`` from its first bytes (and, for MP4, its track handlers); None if unknown."""
    head = content[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"#!AMR\n", b"#!AMR-WB\n")):
        return "audio/amr"
    if head[4:8] == b"ftyp":
        return _iso_media_type(content)
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return "audio/mpeg"
    return None


def _iso_media_type(content: bytes) -> str | None:
    from data.media.containers import has_handler

    size = int.from_bytes(content[:4], "big")
    brands = {content[8:12]} | {content[i : i + 4] for i in range(16, min(size, 64), 4)}
    major = content[8:12]
    if major in _HEIF_BRANDS or (brands & _HEIF_BRANDS and not brands & (_MP4_BRANDS | _QUICKTIME_BRANDS)):
        return "image/heic"
    if not brands & (_MP4_BRANDS | _QUICKTIME_BRANDS | _AUDIO_BRANDS):
        return None
    if has_handler(content, b"vide"):
        return "video/quicktime" if major in _QUICKTIME_BRANDS else "video/mp4"
    if major in _AUDIO_BRANDS or has_handler(content, b"soun"):
        return "audio/mp4"
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG-1/2/2.5 Layer III frame header (sync, a valid version, bitrate and sample rate)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer == 0b01 and bitrate not in (0, 0b1111) and rate != 0b11


def detect(upload: Upload, limits: MediaLimits) -> tuple[str, str]:
    """``(kind, mime)`` of ``upload`` by content, within its kind's size limit; :class:`MediaError` otherwise."""
    if not upload.content:
        raise MediaError("empty", upload.name)
    mime = sniff(upload.content)
    if mime is None:
        raise MediaError("wrong_type", upload.name)
    kind = KINDS[mime]
    limit = limits.for_kind(kind)
    if len(upload.content) > limit:
        raise MediaError("too_big", upload.name, size=size_text(len(upload.content)), limit=size_text(limit))
    return kind, mime


def size_text(size: int) -> str:
    """A file size that reads the same in both languages: ``512 KB``, ``31 MB``, ``≥ 1 GB`` (whole numbers
    under 1,000 need no separators)."""
    if size < MB:
        return f"{max(1, -(-size // 1024))} KB"
    megabytes = round(size / MB)
    return f"{megabytes} MB" if megabytes < 1000 else "≥ 1 GB"
