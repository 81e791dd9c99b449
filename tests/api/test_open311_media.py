"""Open311 POST ``media_url`` on both engines, offline (a loopback HTTP server): the photo is fetched by the intake
worker through the importers' media column and attached to the report without EXIF; a medium that cannot be
fetched, is too large, is not a photo/video/audio or sits on a private network is not stored, and the report is
(the client had its token already): its text keeps the link and a note naming the file and the reason."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api.app import create_app
from api.open311 import drain
from data.api_keys import add_key
from data.config import load_settings
from data.media import media_file
from data.schema import CaseAttachment, ComplaintReport, MediaObject, QuarantineRow
from tests.media.conftest import server  # noqa: F401 - the loopback file server fixture
from tests.media.metadata import assert_no_metadata

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
FORM = {"content-type": "application/x-www-form-urlencoded"}
AT_HOAN_KIEM = {"lat": "21.02881", "long": "105.85236"}


def _client(engine: Engine, media_dir, **settings: object) -> tuple[TestClient, str]:
    key = add_key(engine, "ward-app")
    config = load_settings(boundary_set="hanoi-2025", media_dir=media_dir, **settings)
    return TestClient(create_app(engine, config, clock=lambda: NOW)), key


def _post(client: TestClient, key: str, media_url: str, **fields: str) -> str:
    form = {"api_key": key, "service_code": "waste", **AT_HOAN_KIEM, "description": "Rác tồn đọng", **fields}
    response = client.post("/open311/v2/requests.json", content=urlencode(form | {"media_url": media_url}),
                           headers=FORM)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()[0]["token"]


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_media_url_is_fetched_and_attached_without_exif(loaded_engine, server, tmp_path) -> None:  # noqa: F811
    client, key = _client(loaded_engine, tmp_path / "media", media_fetch_private=True)
    token = _post(client, key, f"{server}/gps.jpg")
    drain(client.app.state.context)
    [state] = client.get(f"/open311/v2/tokens/{token}.json").json()
    case_id = int(state["service_request_id"])
    with loaded_engine.connect() as conn:
        report = conn.execute(select(ComplaintReport).where(ComplaintReport.case_id == case_id)).one()
        attachment = conn.execute(select(CaseAttachment)).one()
    assert (attachment.case_id, attachment.report_id, attachment.purpose) == (case_id, report.id, "report")
    assert attachment.original_name == "gps.jpg" and attachment.uploaded_by == "open311-api:ward-app"
    assert_no_metadata(media_file(tmp_path / "media", attachment.sha256))
    assert report.description == f"Rác tồn đọng\nMedia: {server}/gps.jpg"  # the link, no failure note


@pytest.mark.parametrize(
    ("path", "settings", "words"),
    [
        ("/missing.jpg", {"media_fetch_private": True}, ("missing.jpg", "HTTP 404")),
        ("/virus.jpg", {"media_fetch_private": True}, ("virus.jpg", "không phải ảnh")),
        ("/gps.jpg", {"media_fetch_private": True, "media_max_photo_mb": 0.001, "media_max_video_mb": 0.001,
                      "media_max_audio_mb": 0.001}, ("gps.jpg", "quá lớn")),
        ("/gps.jpg", {}, ("gps.jpg", "mạng nội bộ")),  # the default: no requests into our own network
    ],
)  # fmt: skip
def test_a_medium_that_fails_is_noted_and_the_report_kept(
    loaded_engine, server, tmp_path, path: str, settings: dict, words: tuple[str, str]  # noqa: F811
) -> None:
    client, key = _client(loaded_engine, tmp_path / "media", **settings)
    token = _post(client, key, f"{server}{path}")
    drain(client.app.state.context)
    answered = client.get(f"/open311/v2/tokens/{token}.json")
    assert answered.status_code == 200
    case_id = int(answered.json()[0]["service_request_id"])
    with loaded_engine.connect() as conn:
        report = conn.execute(select(ComplaintReport).where(ComplaintReport.case_id == case_id)).one()
    assert report.description.startswith("Rác tồn đọng\nMedia: " + server + path)
    note = report.description.splitlines()[-1]
    assert note.startswith("[Tệp đính kèm chưa lưu: ") and all(word in note for word in words), note
    assert _count(loaded_engine, QuarantineRow) == 0
    assert _count(loaded_engine, CaseAttachment) == 0 and _count(loaded_engine, MediaObject) == 0
    media = tmp_path / "media"
    assert not media.exists() or [p for p in media.rglob("*") if p.is_file()] == []  # no orphan file
