"""Small media files made in the test run (no binaries shipped): photos with EXIF GPS, MP4/M4A boxes, MP3, AMR."""

from __future__ import annotations

import io
import struct
from fractions import Fraction

from PIL import Image

HANOI = (21.028511, 105.804817)
HOAN_KIEM = (21.0285, 105.8542)  # inside a Hà Nội ward
GPS_IFD, ORIENTATION = 0x8825, 0x0112


def exif_with_gps(lat: float = HANOI[0], lon: float = HANOI[1], orientation: int = 1) -> Image.Exif:
    """EXIF with a GPS position (degrees/minutes/seconds rationals), camera make and an orientation."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "SecretPhone 9"  # Model
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
    gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
    return exif


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return Fraction(degrees), Fraction(minutes), Fraction(seconds).limit_denominator(10_000)


def photo(fmt: str = "JPEG", size: tuple[int, int] = (400, 300), *, exif: Image.Exif | None = None) -> bytes:
    """A photo in ``fmt`` (JPEG, PNG, WEBP, HEIF) with a gradient, and ``exif`` written into it."""
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.paste((200, 30, 30), (0, 0, size[0] // 4, size[1] // 4))  # a red corner shows orientation
    buffer = io.BytesIO()
    options = {"exif": exif.tobytes()} if exif is not None else {}
    if fmt == "JPEG":
        options["comment"] = b"secret comment"
        options["xmp"] = b'<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:xap="http://ns.adobe.com/xap/1.0/"/>'
        options["icc_profile"] = b"ICC-profile-bytes-of-SecretPhone"
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, payload: bytes) -> bytes:
    return _box(kind, b"\x00\x00\x00\x00" + payload)


def iso_media(handler: bytes, brand: bytes = b"isom", location: str = "+21.0285+105.8048/") -> bytes:
    """An MP4-family file: ftyp, a moov with one track of ``handler`` (vide/soun) and a udta ©xyz location,
    an Apple location key in moov/meta, and an mdat."""
    hdlr = _full_box(b"hdlr", b"\x00\x00\x00\x00" + handler + bytes(12) + b"track\x00")
    trak = _box(b"trak", _box(b"mdia", hdlr))
    text = location.encode()
    xyz = _box(b"\xa9xyz", struct.pack(">HH", len(text), 0x15C7) + text)
    udta = _box(b"udta", xyz + _box(b"\xa9mak", b"\x00\x05\x00\x00Apple"))
    meta = _full_box(b"meta", _box(b"keys", b"com.apple.quicktime.location.ISO6709" + text))
    moov = _box(b"moov", _full_box(b"mvhd", bytes(96)) + trak + udta + meta)
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    return ftyp + moov + _box(b"mdat", bytes(range(256)) * 8)


def mp3(with_tags: bool = True) -> bytes:
    """MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz), with an ID3v2 and an ID3v1 tag."""
    frame = b"\xff\xfb\x90\x64" + bytes(413)
    body = frame * 20
    if not with_tags:
        return body
    title = b"TIT2" + struct.pack(">I", 7) + b"\x00\x00" + b"\x00Secret"
    id3v2 = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(title)]) + title
    id3v1 = b"TAG" + b"Secret title".ljust(30, b"\x00") + bytes(95)
    return id3v2 + body + id3v1


def amr() -> bytes:
    """An AMR-NB file: the magic line and a few 12.2 kbit/s frames."""
    return b"#!AMR\n" + (b"\x3c" + bytes(31)) * 10
