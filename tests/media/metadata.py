"""Checks that a served or thumbnail file carries no metadata: Pillow's view and a scan of the raw bytes."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

FORBIDDEN = (
    b"Exif",
    b"GPS",
    b"PhoneMaker",
    b"SecretPhone",
    b"secret comment",
    b"http://ns.adobe.com/xap",
    b"ICC_PROFILE",
)


def assert_no_metadata(path: Path) -> None:
    """No EXIF (Pillow), no EXIF/XMP/ICC/comment or camera bytes anywhere in the file."""
    content = path.read_bytes()
    for marker in FORBIDDEN:
        assert marker not in content, f"{marker!r} found in {path.name}"
    with Image.open(io.BytesIO(content)) as image:
        assert not image.getexif(), f"EXIF in {path.name}"
        assert "exif" not in image.info and "icc_profile" not in image.info and "comment" not in image.info
