"""Video and audio containers: find the track handlers of an MP4, read its recorded position, strip metadata.

Nothing is re-encoded (no ffmpeg): metadata is removed in place.

- MP4 / MOV / M4A (ISO base media boxes): every ``udta`` (user data: ©xyz location, loci, camera make and
  model, ©day…) and ``meta`` box (Apple's ``com.apple.quicktime.location.ISO6709`` and other keys, iTunes
  tags) inside ``moov`` and its tracks, and any top-level ``meta``/``uuid`` box (XMP), becomes a ``free`` box of
  the same size filled with zeros. Sizes and chunk offsets stay valid, so the file plays as before. Not removed:
  the creation/modification times in ``mvhd``/``tkhd``/``mdhd`` (needed by players) and anything a codec
  writes inside the media data itself.
- MP3: ID3v2 tags at the start and the ID3v1 tag at the end are cut off; APE tags are not recognised.
- AMR has no metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"})
_STRIPPED_IN_MOOV = frozenset({b"udta", b"meta"})
_STRIPPED_AT_TOP = frozenset({b"meta", b"uuid", b"udta"})
_ISO6709 = re.compile(rb"([+-]\d{1,2}(?:\.\d+)?)([+-]\d{1,3}(?:\.\d+)?)")


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """``(type, box start, payload start, box end)`` of the boxes in ``data[start:end]``; stops at a bad size."""
    position = start
    while position + 8 <= end:
        size = int.from_bytes(data[position : position + 4], "big")
        kind = bytes(data[position + 4 : position + 8])
        header = 8
        if size == 1:
            if position + 16 > end:
                return
            size, header = int.from_bytes(data[position + 8 : position + 16], "big"), 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            return
        yield kind, position, position + header, position + size
        position += size


def _walk(data: bytes | bytearray, start: int, end: int, depth: int = 0) -> Iterator[tuple[bytes, int, int, int, int]]:
    """Every box under ``data[start:end]`` with its nesting depth, descending into the ``moov`` tree."""
    for kind, box_start, payload, box_end in _boxes(data, start, end):
        yield kind, box_start, payload, box_end, depth
        if kind in _CONTAINERS and depth < 8:
            yield from _walk(data, payload, box_end, depth + 1)


def has_handler(content: bytes, handler: bytes) -> bool:
    """Whether a track of this MP4/MOV declares the ``handler`` type (``vide``, ``soun``) in its ``hdlr`` box."""
    for kind, _start, payload, end, _depth in _walk(content, 0, len(content)):
        if kind == b"hdlr" and end - payload >= 12 and content[payload + 8 : payload + 12] == handler:
            return True
    return False


def _metadata_boxes(data: bytes | bytearray) -> list[tuple[int, int]]:
    """``(start, end)`` of every metadata box this module strips."""
    found = []
    for kind, start, _payload, end, depth in _walk(data, 0, len(data)):
        if (depth == 0 and kind in _STRIPPED_AT_TOP) or (depth > 0 and kind in _STRIPPED_IN_MOOV):
            found.append((start, end))
    return found


def mp4_location(content: bytes) -> tuple[float, float] | None:
    """The recorded position (ISO 6709 ``+21.0285+105.8542/`` in ©xyz or the QuickTime location key), if any."""
    for start, end in _metadata_boxes(content):
        match = _ISO6709.search(content, start, end)
        if match:
            lat, lon = float(match.group(1)), float(match.group(2))
            if abs(lat) <= 90 and abs(lon) <= 180 and (lat, lon) != (0.0, 0.0):
                return lat, lon
    return None


def strip_mp4(content: bytes) -> bytes:
    """``content`` with its metadata boxes turned into zero-filled ``free`` boxes of the same size."""
    data = bytearray(content)
    for start, end in _metadata_boxes(content):
        size = int.from_bytes(data[start : start + 4], "big")
        header = 16 if size == 1 else 8
        data[start + 4 : start + 8] = b"free"
        data[start + header : end] = bytes(end - start - header)
    return bytes(data)


def strip_mp3(content: bytes) -> bytes:
    """``content`` without its ID3v2 tags (leading, possibly several) and its ID3v1 tag (last 128 bytes)."""
    start = 0
    while content[start : start + 3] == b"ID3" and len(content) >= start + 10:
        flags = content[start + 5]
        size = 0
        for byte in content[start + 6 : start + 10]:
            size = (size << 7) | (byte & 0x7F)
        start += 10 + size + (10 if flags & 0x10 else 0)
    end = len(content)
    if end - start >= 128 and content[end - 128 : end - 125] == b"TAG":
        end -= 128
    return content[start:end]


def looks_like_mp3_audio(content: bytes) -> bool:
    """Whether the stripped MP3 starts with an MPEG audio frame sync (so it is not just a tag)."""
    return len(content) >= 4 and content[0] == 0xFF and content[1] & 0xE0 == 0xE0
