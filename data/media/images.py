"""Photos: read the GPS position, turn upright, strip every piece of metadata, make the thumbnail.

What is served:
- JPEG upright already (orientation 1 or none): the original compressed image data, losslessly, with every
  APPn segment except JFIF (APP0) and Adobe (APP14, needed to decode colours) and every comment removed, and
  everything after the end-of-image marker cut off (MPO second frames, embedded motion-photo videos) — so no
  EXIF, XMP, IPTC, ICC profile, maker notes or embedded preview is left. Not re-encoded: fast and no quality
  loss. (Without the ICC profile a wide-gamut photo shows slightly less saturated.)
- Any other photo (a rotated JPEG, PNG, WebP, HEIC): decoded, turned upright and re-encoded without metadata
  (JPEG quality 90 for JPEG and HEIC — browsers other than Safari cannot show HEIC —, lossless PNG, WebP
  quality 90). Only the first frame of an animated file is kept.
- Thumbnail: a JPEG at most 320 px on its longer side, decoded at reduced scale (JPEG draft mode), upright.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final

from PIL import Image, UnidentifiedImageError

from data.media.kinds import MAX_PIXELS, MediaError

THUMBNAIL_PX: Final = 320
JPEG_QUALITY: Final = 90
THUMBNAIL_QUALITY: Final = 80
_ORIENTATION: Final = 0x0112
_GPS_IFD: Final = 0x8825
_KEPT_JPEG_MARKERS: Final = frozenset({0xE0, 0xEE})  # APP0 JFIF, APP14 Adobe
_TURNS: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""How to turn a photo upright for each EXIF orientation (as ``ImageOps.exif_transpose`` does)."""
_SERVED_FORMAT: Final = {"image/jpeg": "JPEG", "image/heic": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # bigger images raise DecompressionBombError instead of being decoded


def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


_register_heif()


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to serve: its bytes and MIME type, upright pixel size, thumbnail and the GPS it carried."""

    content: bytes
    mime: str
    width: int
    height: int
    thumbnail: bytes
    gps: tuple[float, float] | None


def open_photo(name: str, content: bytes) -> Image.Image:
    """The photo opened lazily (only its header read); :class:`MediaError` when it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise MediaError("corrupt", name) from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise MediaError("too_many_pixels", name) from err
    if image.width * image.height > MAX_PIXELS:
        raise MediaError("too_many_pixels", name)
    return image


def gps_of(image: Image.Image) -> tuple[float, float] | None:
    """(lat, lon) from the EXIF GPS block, in decimal degrees; None when absent, incomplete or (0, 0)."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError, SyntaxError, OSError):
        return None
    if not (abs(lat) <= 90 and abs(lon) <= 180) or (lat, lon) == (0.0, 0.0):
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(dms: object, ref: object, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)  # type: ignore[attr-defined]
    value = degrees + minutes / 60 + seconds / 3600
    reference = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if reference.strip("\x00 ").upper() == negative else value


def orientation_of(image: Image.Image) -> int:
    """The EXIF orientation (1 = upright, 2–8 = mirrored/rotated); 1 when absent or unreadable."""
    try:
        value = int(image.getexif().get(_ORIENTATION, 1))
    except (TypeError, ValueError, SyntaxError, OSError):
        return 1
    return value if 1 <= value <= 8 else 1


def clean_photo(name: str, content: bytes, mime: str) -> CleanPhoto:
    """The photo as served: metadata stripped, upright, with its thumbnail; :class:`MediaError` if corrupt."""
    image = open_photo(name, content)
    gps = gps_of(image)
    orientation = orientation_of(image)
    try:
        if mime == "image/jpeg" and orientation == 1:
            served, served_mime = strip_jpeg(content), "image/jpeg"
            width, height = image.size
            thumbnail = make_thumbnail(Image.open(io.BytesIO(served)))  # decoded at reduced scale
        else:
            upright = _upright(image, orientation)
            served, served_mime = _reencode(upright, mime)
            width, height = upright.size
            thumbnail = make_thumbnail(upright)  # from the pixels already decoded
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as err:
        raise MediaError("corrupt", name) from err
    return CleanPhoto(served, served_mime, width, height, thumbnail, gps)


def strip_jpeg(content: bytes) -> bytes:
    """The JPEG without its metadata segments (every APPn but JFIF/Adobe, and comments), image data untouched."""
    out = bytearray(b"\xff\xd8")
    position = 2
    while position + 4 <= len(content):
        if content[position] != 0xFF:
            raise ValueError("JPEG segment marker expected")
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = int.from_bytes(content[position + 2 : position + 4], "big")
        end = position + 2 + length
        if length < 2 or end > len(content):
            raise ValueError("JPEG segment runs past the end of the file")
        if marker == 0xDA:  # start of scan: image data up to the end-of-image marker
            end_of_image = content.find(b"\xff\xd9", end)
            if end_of_image < 0:
                raise ValueError("JPEG without end-of-image marker (truncated)")
            out += content[position : end_of_image + 2]  # drops what follows: MPO frames, motion-photo video
            return bytes(out)
        metadata = (0xE0 <= marker <= 0xEF and marker not in _KEPT_JPEG_MARKERS) or marker == 0xFE
        if not metadata:
            out += content[position:end]
        position = end
    raise ValueError("JPEG without image data")


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """The first frame decoded and turned upright, without any ``info`` (Pillow would carry comments, ICC
    profiles and EXIF from it into some formats)."""
    image.seek(0)
    image.load()
    method = _TURNS.get(orientation)
    upright = image.transpose(method) if method is not None else image
    upright.info = {}
    return upright


def _reencode(upright: Image.Image, mime: str) -> tuple[bytes, str]:
    target = _SERVED_FORMAT[mime]
    buffer = io.BytesIO()
    if target == "JPEG":
        rgb = upright if upright.mode in ("RGB", "L") else _flatten(upright)
        rgb.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    elif target == "PNG":
        upright.save(buffer, format="PNG", compress_level=6)
    else:
        upright.save(buffer, format="WEBP", quality=JPEG_QUALITY)
    return buffer.getvalue(), ("image/jpeg" if target == "JPEG" else mime)


def make_thumbnail(image: Image.Image) -> bytes:
    """A JPEG at most :data:`THUMBNAIL_PX` on its longer side, of an upright, metadata-free image (which is
    shrunk in place)."""
    image.draft("RGB", (THUMBNAIL_PX * 2, THUMBNAIL_PX * 2))  # JPEG: decode at 1/2…1/8 scale
    image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS, reducing_gap=2.0)
    if image.mode not in ("RGB", "L"):
        image = _flatten(image)
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on a white background (transparent PNG/WebP)."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
