"""Media type by content, never by name: every accepted format, disguised files, limits, messages naming the file."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from data.media import MediaError, MediaLimits, Upload, inspect
from data.media.kinds import MB, size_text
from tests.media.samples import HANOI, amr, exif_with_gps, iso_media, mp3, photo


@pytest.mark.parametrize(
    ("content", "kind", "mime"),
    [
        (photo("JPEG"), "photo", "image/jpeg"),
        (photo("PNG"), "photo", "image/png"),
        (photo("WEBP"), "photo", "image/webp"),
        (photo("HEIF"), "photo", "image/heic"),
        (iso_media(b"vide"), "video", "video/mp4"),
        (iso_media(b"vide", brand=b"qt  "), "video", "video/quicktime"),
        (iso_media(b"soun", brand=b"M4A "), "audio", "audio/mp4"),
        (iso_media(b"soun"), "audio", "audio/mp4"),  # isom brand, sound track only: M4A by its content
        (mp3(), "audio", "audio/mpeg"),
        (mp3(with_tags=False), "audio", "audio/mpeg"),
        (amr(), "audio", "audio/amr"),
    ],
)
def test_every_format_is_recognised_by_content_whatever_the_name(content: bytes, kind: str, mime: str) -> None:
    info = inspect(Upload("upload.bin", content))
    assert (info.kind, info.mime, info.size_bytes) == (kind, mime, len(content))


def test_a_jpg_that_is_really_a_png_is_a_png() -> None:
    assert inspect(Upload("anh.jpg", photo("PNG"))).mime == "image/png"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [_zip(), b"MZ\x90\x00" + bytes(200), b"%PDF-1.7\n...", b"<html><script>alert(1)</script>", b"GIF89a" + bytes(20)],
    ids=["zip", "exe", "pdf", "html", "gif"],
)
def test_a_jpg_that_is_something_else_is_refused_naming_the_file(content: bytes) -> None:
    with pytest.raises(MediaError) as refused:
        inspect(Upload("C:\\Users\\an\\ảnh hiện trường.jpg", content))
    assert refused.value.code == "wrong_type"
    assert refused.value.text("vi").startswith("Tệp 'ảnh hiện trường.jpg' không phải ảnh")
    assert "ảnh hiện trường.jpg" in refused.value.text("en") and "\n" not in refused.value.text("en")


def test_size_limit_per_kind_in_the_readers_number_format() -> None:
    limits = MediaLimits(photo=100 * 1024, video=10**6, audio=10**6)
    noise = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    big_photo = buffer.getvalue()
    with pytest.raises(MediaError) as refused:
        inspect(Upload("big.png", big_photo), limits)
    assert refused.value.code == "too_big"
    kilobytes = -(-len(big_photo) // 1024)
    assert refused.value.text("vi") == f"Tệp 'big.png' quá lớn ({kilobytes} KB, tối đa 100 KB)"
    assert refused.value.text("en") == f"File 'big.png' is too large ({kilobytes} KB, limit 100 KB)"
    assert inspect(Upload("clip.mp4", iso_media(b"vide")), limits).kind == "video"  # the video limit applies


@pytest.mark.parametrize(
    ("size", "text"),
    [(1, "1 KB"), (100 * 1024, "100 KB"), (MB, "1 MB"), (int(31.4 * MB), "31 MB"), (5000 * MB, "≥ 1 GB")],
)
def test_sizes_read_the_same_in_both_languages(size: int, text: str) -> None:
    assert size_text(size) == text


def test_empty_and_truncated_headers_are_refused() -> None:
    with pytest.raises(MediaError, match="empty"):
        inspect(Upload("x.jpg", b""))
    with pytest.raises(MediaError) as refused:
        inspect(Upload("x.png", photo("PNG")[:30]))
    assert refused.value.code == "corrupt"


def test_gps_read_from_photo_and_video_metadata() -> None:
    info = inspect(Upload("a.jpg", photo("JPEG", exif=exif_with_gps(*HANOI))))
    assert info.gps == pytest.approx(HANOI, abs=1e-5)
    south_west = inspect(Upload("b.jpg", photo("JPEG", exif=exif_with_gps(-33.8688, -151.2093))))
    assert south_west.gps == pytest.approx((-33.8688, -151.2093), abs=1e-5)
    assert inspect(Upload("c.jpg", photo("JPEG"))).gps is None
    assert inspect(Upload("d.mp4", iso_media(b"vide"))).gps == pytest.approx((21.0285, 105.8048))


def test_upright_size_of_a_photo_taken_sideways() -> None:
    info = inspect(Upload("a.jpg", photo("JPEG", (400, 300), exif=exif_with_gps(orientation=6))))
    assert (info.width, info.height) == (300, 400)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels but holds almost no data (a decompression bomb's shape)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    data = zlib.compress(b"")
    idat = struct.pack(">I", len(data)) + b"IDAT" + data + struct.pack(">I", zlib.crc32(b"IDAT" + data))
    return b"\x89PNG\r\n\x1a\n" + chunk + idat + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(MediaError) as refused:
        inspect(Upload("bomb.png", _png_header(50_000, 50_000)))
    assert refused.value.code == "too_many_pixels" and "bomb.png" in refused.value.text("vi")
