"""Storing media: metadata stripped from every served and thumbnail file, upright photos, dedup, no orphans."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from PIL import Image, ImageOps
from sqlalchemy import Connection, Engine, func, insert, select

from data.media import (
    MediaError,
    MediaLimits,
    OrphanCleanup,
    Upload,
    media_file,
    remove_orphans,
    remove_orphans_hourly,
    store,
    thumbnail_file,
)
from data.schema import CaseAttachment, ComplaintCase, MediaObject
from tests.media.metadata import assert_no_metadata
from tests.media.samples import HANOI, amr, exif_with_gps, iso_media, mp3, photo

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def _files(media_dir: Path) -> list[Path]:
    return sorted(path for path in media_dir.rglob("*") if path.is_file())


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(MediaObject)).scalar_one()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
@pytest.mark.parametrize("orientation", [1, 6])
def test_photos_are_served_and_thumbnailed_without_any_metadata(
    sqlite_engine: Engine, media_dir: Path, fmt: str, orientation: int
) -> None:
    content = photo(fmt, (400, 300), exif=exif_with_gps(orientation=orientation))
    with sqlite_engine.begin() as conn:
        stored = store(conn, media_dir, Upload("hien-truong.img", content), now=NOW)
    assert stored.info.gps == pytest.approx(HANOI, abs=1e-5)  # read before stripping
    served, thumbnail = media_file(media_dir, stored.sha256), thumbnail_file(media_dir, stored.sha256)
    assert_no_metadata(served)
    assert_no_metadata(thumbnail)
    with Image.open(served) as image:
        upright = (300, 400) if orientation == 6 else (400, 300)
        assert image.size == upright == (stored.info.width, stored.info.height)
        image.load()
    with Image.open(thumbnail) as small:
        assert small.format == "JPEG" and max(small.size) == 320
        assert small.size == ((240, 320) if orientation == 6 else (320, 240))
    if fmt == "HEIF":
        assert stored.mime == "image/jpeg" and served.suffix == ".jpg"  # browsers cannot show HEIC


def test_a_sideways_photo_is_served_upright(sqlite_engine: Engine, media_dir: Path) -> None:
    content = photo("JPEG", (400, 300), exif=exif_with_gps(orientation=6))  # red corner top-left as shot
    with sqlite_engine.begin() as conn:
        stored = store(conn, media_dir, Upload("a.jpg", content), now=NOW)
    with Image.open(media_file(media_dir, stored.sha256)) as image:
        red, green, blue = image.convert("RGB").getpixel((image.width - 10, 10))  # rotated 90° clockwise
        assert red > 150 and green < 80 and blue < 80


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_is_turned_as_pillow_does(sqlite_engine: Engine, media_dir: Path, orientation: int) -> None:
    content = photo("PNG", (40, 30), exif=exif_with_gps(orientation=orientation))
    with sqlite_engine.begin() as conn:
        stored = store(conn, media_dir, Upload("a.png", content), now=NOW)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(content))).convert("RGB")
    with Image.open(media_file(media_dir, stored.sha256)) as served:
        assert served.convert("RGB").tobytes() == expected.tobytes()  # PNG: lossless, pixel for pixel


def test_an_upright_jpeg_keeps_its_image_data_bit_for_bit(sqlite_engine: Engine, media_dir: Path) -> None:
    content = photo("JPEG", exif=exif_with_gps())
    with sqlite_engine.begin() as conn:
        stored = store(conn, media_dir, Upload("a.jpg", content), now=NOW)
    served = media_file(media_dir, stored.sha256).read_bytes()
    scan = content.index(b"\xff\xda")
    assert served.endswith(content[scan:]) and len(served) < len(content)


def test_what_follows_a_jpeg_is_cut_off(sqlite_engine: Engine, media_dir: Path) -> None:
    """A motion photo or MPO carries a second image or a video after the first image: none of it is served."""
    trailer = b"\x00\x00\x00\x18ftypmp42" + b"GPS+21.0285+105.8048" + photo("JPEG", exif=exif_with_gps())
    with sqlite_engine.begin() as conn:
        stored = store(conn, media_dir, Upload("PXL_MP.jpg", photo("JPEG") + trailer), now=NOW)
    served = media_file(media_dir, stored.sha256)
    assert_no_metadata(served)
    assert served.read_bytes().endswith(b"\xff\xd9") and b"ftypmp42" not in served.read_bytes()


def test_video_and_audio_metadata_stripped_and_icons_shown(sqlite_engine: Engine, media_dir: Path) -> None:
    uploads = [Upload("clip.mp4", iso_media(b"vide")), Upload("voice.m4a", iso_media(b"soun", b"M4A ")),
               Upload("voice.mp3", mp3()), Upload("voice.amr", amr())]  # fmt: skip
    with sqlite_engine.begin() as conn:
        stored = [store(conn, media_dir, upload, now=NOW) for upload in uploads]
    for item in stored:
        served = media_file(media_dir, item.sha256).read_bytes()
        for secret in (b"+21.0285", b"ISO6709", b"Apple", b"Secret", b"ID3", b"TAG"):
            assert secret not in served
        assert not item.has_thumbnail
    video, m4a, mp3_file, amr_file = stored
    assert video.info.gps == pytest.approx((21.0285, 105.8048))
    assert media_file(media_dir, video.sha256).read_bytes().endswith(bytes(range(256)) * 8)  # media data intact
    assert len(media_file(media_dir, video.sha256).read_bytes()) == len(uploads[0].content)  # offsets valid
    assert thumbnail_file(media_dir, video.sha256).name == "video.svg"
    assert thumbnail_file(media_dir, m4a.sha256).name == "audio.svg"
    assert media_file(media_dir, mp3_file.sha256).read_bytes() == mp3(with_tags=False)
    assert media_file(media_dir, amr_file.sha256).read_bytes() == amr()


def test_same_content_is_stored_once(engine: Engine, media_dir: Path) -> None:
    content = photo("JPEG", exif=exif_with_gps())
    with engine.begin() as conn:
        first = store(conn, media_dir, Upload("a.jpg", content), now=NOW)
        again = store(conn, media_dir, Upload("b.jpg", content), now=NOW)  # same transaction
    with engine.begin() as conn:
        later = store(conn, media_dir, Upload("c.JPG", content), now=NOW)  # later transaction
    assert first.sha256 == again.sha256 == later.sha256
    assert _rows(engine) == 1
    assert [path.name for path in _files(media_dir)] == [f"{first.sha256}.jpg", f"{first.sha256}.thumb.jpg"]


def test_a_failed_transaction_after_store_leaves_no_row_and_no_file(engine: Engine, media_dir: Path) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        store(conn, media_dir, Upload("a.jpg", photo("JPEG")), now=NOW)
        store(conn, media_dir, Upload("b.mp4", iso_media(b"vide")), now=NOW)
        raise RuntimeError("the case could not be saved")
    assert _rows(engine) == 0
    assert _files(media_dir) == []


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (Upload("big.jpg", photo("JPEG", (600, 600))), "too_big"),
        (Upload("virus.jpg", b"MZ\x90\x00" + bytes(500)), "wrong_type"),
        (Upload("cut.jpg", photo("JPEG", (600, 600))[:-400]), "corrupt"),
        (Upload("bad.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x05hello"), "corrupt"),
    ],
    ids=["oversized", "wrong-type", "truncated", "tag-only-mp3"],
)
def test_refused_uploads_write_nothing(engine: Engine, media_dir: Path, upload: Upload, code: str) -> None:
    limits = MediaLimits(photo=len(photo("JPEG", (600, 600))) - 1) if code == "too_big" else None
    with pytest.raises(MediaError) as refused, engine.begin() as conn:
        store(conn, media_dir, upload, limits=limits, now=NOW)
    assert refused.value.code == code and upload.name in refused.value.text("vi")
    assert _rows(engine) == 0 and _files(media_dir) == []


def test_orphans_older_than_an_hour_are_removed(engine: Engine, media_dir: Path) -> None:
    with engine.begin() as conn:
        store(conn, media_dir, Upload("a.jpg", photo("JPEG")))  # created now
    stray = media_dir / "ab" / "cd" / ("ab" + "c" * 62 + ".jpg")  # a file whose row never committed
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    incoming = media_dir / ".incoming" / "1-left"
    incoming.write_bytes(b"x")
    assert remove_orphans(engine, media_dir) == OrphanCleanup(rows=0, files=0)  # all younger than an hour
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    cleanup = remove_orphans(engine, media_dir, now=later)
    assert (cleanup.rows, cleanup.files) == (1, 4)  # the unattached object (file + thumbnail), stray, incoming
    assert _rows(engine) == 0 and _files(media_dir) == []


def test_an_attached_object_survives_the_cleanup(loaded_engine: Engine, media_dir: Path) -> None:
    with loaded_engine.begin() as conn:
        stored = store(conn, media_dir, Upload("a.jpg", photo("JPEG")), now=NOW)
        case_id = _a_case(conn)
        conn.execute(
            insert(CaseAttachment).values(
                case_id=case_id, sha256=stored.sha256, original_name="a.jpg", purpose="report",
                uploaded_by="test", uploaded_at=NOW,
            )
        )  # fmt: skip
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    assert remove_orphans(loaded_engine, media_dir, now=later) == OrphanCleanup(rows=0, files=0)
    assert media_file(media_dir, stored.sha256).exists() and thumbnail_file(media_dir, stored.sha256).exists()


def _a_case(conn: Connection) -> int:
    values = {"category_code": "waste", "status": "received", "opened_at": NOW, "last_report_at": NOW}
    return conn.execute(insert(ComplaintCase).values(**values)).inserted_primary_key[0]


def test_paths_are_never_built_from_anything_but_a_digest(media_dir: Path) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        media_file(media_dir, "../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        thumbnail_file(media_dir, "0" * 64)


def test_the_poller_cleans_the_configured_media_folder_hourly(
    sqlite_engine: Engine, media_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tomllib

    from data.config import PACKAGE_CONFIG_DIR
    from monitoring.feeds.config import resolve_hook

    shipped = tomllib.loads((PACKAGE_CONFIG_DIR / "feeds.toml").read_text(encoding="utf-8"))["after_poll"]
    assert remove_orphans_hourly in [resolve_hook(reference) for reference in shipped]
    monkeypatch.setenv("ENVMON_MEDIA_DIR", str(media_dir))
    stray = media_dir / "ab" / "cd" / ("ab" + "c" * 62 + ".jpg")
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    assert remove_orphans_hourly(sqlite_engine, later) == OrphanCleanup(rows=0, files=1)
    stray.write_bytes(b"x")
    assert remove_orphans_hourly(sqlite_engine, later + dt.timedelta(minutes=5)) is None  # ran less than an hour ago
    assert remove_orphans_hourly(sqlite_engine, later + dt.timedelta(hours=2)) == OrphanCleanup(rows=0, files=1)
