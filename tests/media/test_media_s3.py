"""Media in an S3-compatible bucket (moto's server on loopback, real HTTP), on both engines: an upload on a case
action lands in the bucket cleaned of EXIF, another server reads it back through the page and public-results
paths, the same photo is stored once, a failed upload leaves no case change and no object, the importers'
media column writes to the bucket, and no credential appears in what the store prints."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data.case_actions import perform
from data.case_detail import load_case
from data.importers.pipeline import ImportContext, import_complaints
from data.media import MediaError, Upload, media_file, media_store, remove_orphans, thumbnail_file
from data.media.s3_store import MediaStoreError, S3Store
from data.routing import seed_routing
from data.schema import CaseAttachment, MediaObject
from tests.cases.conftest import OPENED, world  # noqa: F401 - the case-world fixture
from tests.media.conftest import SECRET_KEY
from tests.media.metadata import assert_no_metadata
from tests.media.samples import HOAN_KIEM, exif_with_gps, photo

GPS_PHOTO = photo("JPEG", exif=exif_with_gps(*HOAN_KIEM))


def _resolve(world, store, files, version: int = 1):  # noqa: F811 - the fixture's value
    return perform(world.engine, world.waste_case, "resolve", actor=world.officer_a, expected_version=version,
                   note="Đã thu gom", files=files, media_dir=store, at=OPENED)  # fmt: skip


def _accept(world, store) -> None:  # noqa: F811
    perform(world.engine, world.waste_case, "accept", actor=world.officer_a, expected_version=0, media_dir=store,
            at=OPENED)  # fmt: skip


def _rows(world) -> tuple[int, int]:  # noqa: F811
    with world.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(CaseAttachment)).scalar_one(),
            conn.execute(select(func.count()).select_from(MediaObject)).scalar_one(),
        )


def _incoming(store) -> list:
    return [path for path in store.incoming.glob("*")] if store.incoming.exists() else []


def test_case_upload_goes_to_the_bucket_and_another_server_reads_it_without_exif(world, bucket, tmp_path):  # noqa: F811
    store = media_store(bucket.settings(tmp_path / "server-1"))
    assert isinstance(store, S3Store)
    _accept(world, store)
    result = _resolve(world, store, [Upload("sau khi dọn.jpg", GPS_PHOTO)])
    (photo_row,) = load_case(world.engine, world.waste_case, actor=world.officer_a, now=OPENED).history[-1].attachments
    assert photo_row.id in result.attachment_ids
    sha = photo_row.sha256
    assert bucket.objects() == [f"media/{sha[:2]}/{sha[2:4]}/{sha}.jpg", f"media/{sha[:2]}/{sha[2:4]}/{sha}.thumb.jpg"]
    assert _incoming(store) == []
    served_bytes = bucket.client.get_object(Bucket=bucket.name, Key=bucket.objects()[0])["Body"].read()
    # a second server with an empty local folder: the case page's and the public page's calls read the bucket
    other = media_store(bucket.settings(tmp_path / "server-2"))
    full = media_file(other, sha, photo_row.mime)
    assert full.read_bytes() == served_bytes and full.is_relative_to(tmp_path / "server-2")
    assert media_file(other, sha) == full  # found by its hash alone
    thumb = thumbnail_file(other, sha)
    assert thumb.name == f"{sha}.thumb.jpg" and thumb.is_file()
    assert_no_metadata(full)
    assert_no_metadata(thumb)


def test_public_results_copy_the_reviewed_photo_from_the_bucket(world, bucket, tmp_path):  # noqa: F811
    from publish.results import _copy_photos  # the published site's photo step

    store = media_store(bucket.settings(tmp_path / "server-1"))
    _accept(world, store)
    _resolve(world, store, [Upload("sau.jpg", GPS_PHOTO)])
    (row,) = load_case(world.engine, world.waste_case, actor=world.officer_a, now=OPENED).history[-1].attachments
    site = tmp_path / "site"
    _copy_photos(site, media_store(bucket.settings(tmp_path / "publisher")), {row.sha256, "0" * 64})
    copied = sorted(path.name for path in (site / "results" / "photos").iterdir())
    assert copied == [f"{row.sha256}.jpg"]  # an unknown hash is skipped, not an error
    assert_no_metadata(site / "results" / "photos" / f"{row.sha256}.jpg")


def test_the_same_photo_twice_is_one_object(world, bucket, tmp_path):  # noqa: F811
    store = media_store(bucket.settings(tmp_path / "media"))
    _accept(world, store)
    perform(world.engine, world.waste_case, "assign", actor=world.officer_a, expected_version=1, assignee="Tổ 3",
            files=[Upload("truoc.jpg", GPS_PHOTO)], media_dir=store, at=OPENED)  # fmt: skip
    _resolve(world, store, [Upload("sau.jpg", GPS_PHOTO)], version=2)
    assert _rows(world) == (2, 1)
    assert len(bucket.objects()) == 2  # the photo and its thumbnail, once


def test_a_failed_upload_leaves_no_case_change_and_no_object(world, bucket, tmp_path, caplog):  # noqa: F811
    class ThumbnailsRefused(S3Store):
        """The bucket accepts the photo, then fails on its thumbnail (a network cut in mid-upload)."""

        def publish(self, key, temporary, mime):
            if key.endswith(".thumb.jpg"):
                raise MediaStoreError(f"media store: could not upload {key}: SlowDown")
            return super().publish(key, temporary, mime)

    settings = bucket.settings(tmp_path / "media")
    plain = media_store(settings)
    store = ThumbnailsRefused(plain.bucket, local_dir=plain.local_dir, prefix="media", client=plain.client)
    _accept(world, store)
    with caplog.at_level(logging.WARNING), pytest.raises(MediaError) as refused:
        _resolve(world, store, [Upload("sau.jpg", GPS_PHOTO)])
    assert refused.value.code == "store_failed" and "sau.jpg" in refused.value.text("vi")
    assert "chưa có gì được ghi" in refused.value.text("vi")
    assert world.case(world.waste_case)["status"] == "accepted" and _rows(world) == (0, 0)
    assert bucket.objects() == [] and _incoming(store) == []
    # the same upload goes through once the bucket answers again
    _resolve(world, plain, [Upload("sau.jpg", GPS_PHOTO)])
    assert world.case(world.waste_case)["status"] == "resolved" and len(bucket.objects()) == 2
    assert SECRET_KEY not in caplog.text


def test_a_refused_file_uploads_nothing(world, bucket, tmp_path):  # noqa: F811
    store = media_store(bucket.settings(tmp_path / "media"))
    _accept(world, store)
    with pytest.raises(MediaError):
        _resolve(world, store, [Upload("sau.jpg", GPS_PHOTO), Upload("virus.jpg", b"MZ\x90\x00" + bytes(300))])
    assert bucket.objects() == [] and _rows(world) == (0, 0) and _incoming(store) == []


def test_orphans_in_the_bucket_are_removed_after_an_hour(world, bucket, tmp_path):  # noqa: F811
    store = media_store(bucket.settings(tmp_path / "media"))
    _accept(world, store)
    _resolve(world, store, [Upload("sau.jpg", GPS_PHOTO)])
    kept = bucket.objects()
    orphan = "ab/cd/" + "ab" * 32 + ".jpg"  # an object a crash left without its database row
    bucket.client.put_object(Bucket=bucket.name, Key=f"media/{orphan}", Body=b"left over")
    bucket.client.put_object(Bucket=bucket.name, Key="other-app/keep.txt", Body=b"not ours")
    assert remove_orphans(world.engine, store, now=dt.datetime.now(dt.UTC)).files == 0  # too young
    cleaned = remove_orphans(world.engine, store, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    assert cleaned.files == 1
    assert bucket.objects() == sorted([*kept, "other-app/keep.txt"])


def test_importer_media_column_writes_to_the_bucket(loaded_engine, bucket, server, tmp_path):
    seed_routing(loaded_engine)
    settings = bucket.settings(tmp_path / "media", media_fetch_private=True)
    context = ImportContext.from_settings(loaded_engine, settings)
    table = tmp_path / "reports.csv"
    table.write_text(
        "Mã phản ánh;Thời gian;Nội dung;Vĩ độ;Kinh độ;Hình ảnh\n"
        f"PA-S3;15/03/2025 06:42;Rác thải bừa bãi;;;{server}/gps.jpg\n",
        encoding="utf-8",
    )
    summary = import_complaints(loaded_engine, table, context, now=OPENED)
    assert summary.accepted == 1
    with loaded_engine.connect() as conn:
        (sha,) = conn.execute(select(CaseAttachment.sha256)).scalars().all()
    assert f"media/{sha[:2]}/{sha[2:4]}/{sha}.jpg" in bucket.objects()


def test_settings_need_a_bucket_and_nothing_prints_the_credentials(bucket, tmp_path, caplog):
    with pytest.raises(ValueError, match="media_s3_bucket"):
        bucket.settings(tmp_path, media_s3_bucket="")
    store = media_store(bucket.settings(tmp_path / "media"))
    assert SECRET_KEY not in repr(store) and "test-access-key" not in repr(store)
    assert "http://127.0.0.1" in store.identity
    gone = S3Store("no-such-bucket-here", local_dir=tmp_path, client=store.client)
    with caplog.at_level(logging.DEBUG, logger="data.media"):
        with pytest.raises(MediaStoreError) as failed:
            gone.find("ab/")
        assert not gone.local_path("ab/cd/" + "ab" * 32 + ".jpg").exists()  # a page shows it as missing
    assert "NoSuchBucket" in str(failed.value) and SECRET_KEY not in str(failed.value)
    assert SECRET_KEY not in caplog.text


def test_public_results_page_shows_the_photo_from_the_bucket(bucket, tmp_path, monkeypatch):
    """The Streamlit results page (AppTest) of a server whose media folder is empty reads the photo from the
    bucket the seeding server stored it in."""
    from streamlit.testing.v1 import AppTest

    from dashboard import loaders
    from data.db import make_engine, migrate
    from tests.cases.public_seed import seed_public

    url = f"sqlite:///{tmp_path / 'results.db'}"
    engine = make_engine(url)
    migrate(engine)
    seed_public(engine, media_store(bucket.settings(tmp_path / "seeding-server")))
    engine.dispose()
    assert bucket.objects()
    env = {"DATABASE_URL": url, "ENVMON_MEDIA_DIR": str(tmp_path / "page-server"), "ENVMON_MEDIA_STORE": "s3",
           "ENVMON_MEDIA_S3_BUCKET": bucket.name, "ENVMON_MEDIA_S3_PREFIX": "media",
           "ENVMON_MEDIA_S3_ENDPOINT_URL": bucket.endpoint, "ENVMON_MEDIA_S3_REGION": "us-east-1"}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    loaders.settings.clear()
    loaders.engine.clear()
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py"), default_timeout=60)
        at.run()
        at.switch_page("views/results.py")
        at.run()
        assert not at.exception, at.exception
        photos = [value for value in at.dataframe[0].value.iloc[:, 6] if value]
        assert len(photos) == 1 and photos[0].startswith("data:image/jpeg;base64,")
        assert any((tmp_path / "page-server" / ".s3-cache").rglob("*.thumb.jpg"))  # read from the bucket
    finally:
        loaders.settings.clear()
        loaders.engine.clear()
