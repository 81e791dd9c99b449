"""Public results on both engines: only reviewed notes and photos, coarse locations, and none of the personal data
planted in every field — in the data, the Open311 answer and every file of the published results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data.categories import load_taxonomy
from data.open311_server import RequestQuery, public_requests
from data.public_results import PUBLIC_COLUMNS, PublicFilter, public_results, public_wards
from publish.build import slug
from publish.results import write_results

from .public_seed import OPENED, PUBLIC_NOTE, SECRETS, PublicWorld, seed_public


@pytest.fixture
def public(engine: Engine, tmp_path: Path) -> tuple[Engine, PublicWorld]:
    return engine, seed_public(engine, tmp_path / "media")


def _assert_no_secret(text: str, private_photos: tuple[str, ...] = ()) -> None:
    for secret in (*SECRETS, *private_photos):
        assert secret not in text, secret


def test_only_reviewed_results_and_coarse_places(public):
    engine, world = public
    frame = public_results(engine, PublicFilter(ward_code="00070"))
    assert tuple(frame.columns) == PUBLIC_COLUMNS
    rows = {row["id"]: row for row in frame.to_dict("records")}
    assert set(rows) == {world.reviewed, world.unreviewed}  # hidden and merged cases are never listed
    assert rows[world.reviewed]["result_note"] == PUBLIC_NOTE
    assert rows[world.reviewed]["photo"] == world.public_photo
    assert rows[world.unreviewed]["result_note"] == "" and rows[world.unreviewed]["photo"] is None
    place = (rows[world.reviewed]["lat"], rows[world.reviewed]["lon"])
    assert place == (pytest.approx(21.029), pytest.approx(105.852))  # the centre of its ~100 m cell
    assert rows[world.reviewed]["opened_at"] == OPENED
    _assert_no_secret(frame.to_json(date_format="iso"), world.private_photos)
    assert public_wards(engine).to_dict("records") == [
        {"ward_code": "00070", "ward_name": "Hoàn Kiếm", "district": "Quận Hoàn Kiếm", "cases": 2}
    ]


def test_open311_requests_come_from_the_public_results(public):
    engine, world = public
    answer = public_requests(engine, RequestQuery(), load_taxonomy(), site_url="https://moitruong.example.vn/")
    by_id = {int(row["service_request_id"]): row for row in answer}
    assert set(by_id) == {world.reviewed, world.unreviewed}
    assert by_id[world.reviewed]["status_notes"] == PUBLIC_NOTE
    assert by_id[world.reviewed]["media_url"] == f"https://moitruong.example.vn/results/photos/{world.public_photo}.jpg"
    assert by_id[world.unreviewed]["status_notes"] is None and by_id[world.unreviewed]["media_url"] is None
    assert by_id[world.reviewed]["lat"] == pytest.approx(21.029)
    _assert_no_secret(json.dumps(answer, ensure_ascii=False), world.private_photos)
    unconfigured = public_requests(engine, RequestQuery(ids=(world.reviewed,)), load_taxonomy())
    assert unconfigured[0]["media_url"] is None  # no public site configured: no link to nowhere


def test_published_results_pages_json_and_photos(public, tmp_path):
    engine, world = public
    site = tmp_path / "site"
    now = OPENED.replace(year=2026)
    wards = write_results(engine, site, media_dir=world.media_dir, timezone="Asia/Ho_Chi_Minh", now=now, slug=slug)
    assert wards == 1
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert f"results/photos/{world.public_photo}.jpg" in files
    assert [f for f in files if f.startswith("results/photos/")] == [f"results/photos/{world.public_photo}.jpg"]
    for page in ("results/index.html", "results/00070.html", "en/results/index.html", "en/results/00070.html"):
        assert page in files and f"{page}.gz" in files
    vi = (site / "results/00070.html").read_text()
    assert PUBLIC_NOTE in vi and "17/03/2025" in vi and "UBND phường Hoàn Kiếm" in vi
    assert f'src="../results/photos/{world.public_photo}.jpg"' in vi
    en = (site / "en/results/00070.html").read_text()
    assert f'src="../../results/photos/{world.public_photo}.jpg"' in en and "17 Mar 2025" in en
    data = json.loads((site / "results.json").read_text())
    cases = {case["id"]: case for case in data["wards"][0]["cases"]}
    assert cases[world.reviewed]["photo"] == f"results/photos/{world.public_photo}.jpg"
    assert cases[world.unreviewed]["result_note"] == ""
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json"}:
            _assert_no_secret(path.read_text(), world.private_photos)
