"""The published site: atomic swap, no external URL, no personal data, open data matching the stored AQI.

The "no external URL" and "no personal data" checks walk every file of a site that also holds public handling
results (``tests/cases/public_seed``: personal data planted in every field), so the results pages, their maps
and ``results.json`` are covered as well as the air-quality pages.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
import threading
from pathlib import Path

import pytest
from air_seed import NOW, TIMEZONE, seed_air
from sqlalchemy import Engine, select, update

from data.boundary_store import load_shipped_sets
from data.config import load_settings
from data.schema import AqiValue, ComplaintReport, ResponsibleUnit, Station
from publish import build, pages
from publish.build import KEEP_BUILDS, build_site, slug
from tests.cases.public_seed import PUBLIC_NOTE, SECRETS, seed_public

REPORTER_NAME = "Nguyễn Văn Bí Mật"
REPORTER_PHONE = "0912345678"
COMPLAINTS_CSV = (
    "Thời gian,Nội dung,Địa chỉ,Vĩ độ,Kinh độ,Kênh,Loại phản ánh,Họ tên,Số điện thoại\n"
    f"07/03/2025 08:30,Đốt rác gây khói,Ngõ 5 Hàng Bạc,21.0335,105.8520,Zalo OA,Đốt rác,{REPORTER_NAME},"
    f"{REPORTER_PHONE}\n"
)
EXTERNAL_URL = re.compile(rb"(?:https?:)?//(?!/)[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _build(engine: Engine, out: Path, media_dir: Path | None = None) -> build.SiteBuild:
    settings = load_settings(timezone=TIMEZONE, **({"media_dir": media_dir} if media_dir else {}))
    return build_site(engine, out, settings=settings, now=NOW)


def _newest(engine: Engine, station_id: str, scale: str) -> AqiValue:
    with engine.connect() as conn:
        return conn.execute(
            select(AqiValue)
            .where(AqiValue.station_id == station_id, AqiValue.scale == scale, AqiValue.period == "hourly")
            .order_by(AqiValue.period_end.desc())
            .limit(1)
        ).one()


def test_open_data_matches_the_stored_aqi(air_engine: Engine, tmp_path: Path) -> None:
    site = _build(air_engine, tmp_path / "site").path
    stations = {s["id"]: s for s in json.loads((site / "stations.json").read_text(encoding="utf-8"))["stations"]}
    assert set(stations) == {"HN1", "HN2", "HN3"}
    for station_id, record in stations.items():
        for scale in ("vn", "us"):
            stored = _newest(air_engine, station_id, scale)
            last = record["last_aqi"][scale]
            assert (last["aqi"], last["category"], last["dominant"]) == (stored.aqi, stored.category, stored.dominant)
            assert last["sub_indices"] == {p: e["aqi"] for p, e in stored.sub_indices.items()}
            assert dt.datetime.fromisoformat(last["period_end"]).utcoffset() == dt.timedelta(hours=7)
            assert record["aqi"][scale] == (None if station_id == "HN2" else last)  # stale: no value "now"
    assert stations["HN2"]["stale"] is True and stations["HN1"]["page"] == "stations/HN1.html"
    wards = {w["code"]: w for w in json.loads((site / "wards.json").read_text(encoding="utf-8"))["wards"]}
    hoan_kiem = next(w for w in wards.values() if w["name"] == "Hoàn Kiếm")
    assert hoan_kiem["station_id"] == "HN1" and hoan_kiem["aqi"]["vn"] == stations["HN1"]["aqi"]["vn"]
    geo = json.loads((site / "aqi.geojson").read_text(encoding="utf-8"))
    by_id = {f["properties"]["id"]: f for f in geo["features"]}
    assert by_id["HN3"]["properties"]["vn_aqi"] == _newest(air_engine, "HN3", "vn").aqi
    assert by_id["HN3"]["geometry"]["coordinates"] == [105.86, 21.001]
    assert by_id["HN2"]["properties"]["vn_aqi"] is None
    rows = list(csv.DictReader(io.StringIO((site / "history.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == 3 * 2 * (24 + 7)
    hn1_days = [r for r in rows if r["station_id"] == "HN1" and r["scale"] == "vn" and r["period"] == "daily"]
    assert [r["day"] for r in hn1_days][-1] == "2025-03-08" and any(r["aqi"] == "" for r in hn1_days)
    for text in ("stations.json", "wards.json", "aqi.geojson", "history.csv"):
        assert b"NaN" not in (site / text).read_bytes()


def test_pages_in_both_languages_gzip_twins_and_no_external_url(air_engine: Engine, tmp_path: Path) -> None:
    world = seed_public(air_engine, tmp_path / "media")
    result = _build(air_engine, tmp_path / "site", world.media_dir)
    site = result.path
    assert (result.stations, result.wards) == (3, len(list((site / "wards").glob("*.html"))) - 1)
    for prefix in ("", "en/"):
        assert (site / prefix / "index.html").is_file() and (site / prefix / "map.html").is_file()
        for station_id in ("HN1", "HN2", "HN3"):
            assert (site / prefix / "stations" / f"{slug(station_id)}.html").is_file()
        for page in ("results/index.html", "results/00070.html", "results/maps/00070.html"):
            assert (site / prefix / page).is_file(), prefix + page  # the results pages and map are checked below
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in index and "Trạm Minh Khai" in index and 'href="en/index.html"' in index
    assert 'href="results/index.html"' in index  # the air pages lead to the handling results…
    ward = (site / "results" / "00070.html").read_text(encoding="utf-8")
    assert 'href="../index.html"' in ward and 'href="../en/results/00070.html"' in ward  # …and back, per language
    assert 'src="maps/00070.html"' in ward and PUBLIC_NOTE in ward
    assert 'href="../wards/00070.html"' in ward  # the ward's air quality, and from there its results
    assert 'href="../results/00070.html"' in (site / "en" / "wards" / "00070.html").read_text(encoding="utf-8")
    other_ward = (site / "wards" / "00004.html").read_text(encoding="utf-8")
    assert "Phản ánh về môi trường ở phường/xã này" not in other_ward  # no public case there: no link
    assert "Phản ánh về môi trường ở phường/xã này" in (site / "wards" / "00070.html").read_text(encoding="utf-8")
    english = (site / "en" / "results" / "00070.html").read_text(encoding="utf-8")
    assert 'href="../../results/00070.html"' in english and 'href="../../en/index.html"' in english
    ward_map = (site / "en" / "results" / "maps" / "00070.html").read_text(encoding="utf-8")
    assert 'src="../../../vendor/leaflet/leaflet.js"' in ward_map and "bindPopup" in ward_map
    assert "21.029" in ward_map and "105.852" in ward_map  # the centre of the case's ~100 m cell
    english = (site / "en" / "stations" / "HN1.html").read_text(encoding="utf-8")
    assert "Health effect" in english and "Ảnh hưởng sức khỏe" not in english and "Sat 08 Mar" in english
    station = (site / "stations" / "HN1.html").read_text(encoding="utf-8")
    assert "T7 08/03" in station and "<svg" in station and "Members of" not in station
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in build.COMPRESSED:
            assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes()) == path.read_bytes()
        if path.is_file() and path.suffix != ".gz" and "vendor" not in path.relative_to(site).parts:
            assert not EXTERNAL_URL.findall(path.read_bytes()), path  # nothing to fetch from elsewhere


def test_no_personal_data_and_names_escaped(air_engine: Engine, tmp_path: Path) -> None:
    from data.importers.pipeline import ImportContext, import_complaints

    upload = tmp_path / "zalo.csv"
    upload.write_text(COMPLAINTS_CSV, encoding="utf-8")
    context = ImportContext.from_settings(air_engine, load_settings(timezone=TIMEZONE))
    import_complaints(air_engine, upload, context, profile=None, source=None)
    with air_engine.connect() as conn:  # the complaint with its reporter is stored…
        assert conn.execute(select(ComplaintReport.reporter_phone)).scalars().all() == [REPORTER_PHONE]
    world = seed_public(air_engine, tmp_path / "media")
    evil = '=HYPERLINK("http://evil.example") <script>alert(1)</script> ![x](http://evil.example/p.png)'
    with air_engine.begin() as conn:
        conn.execute(update(Station).where(Station.id == "HN3").values(name=evil))
        conn.execute(update(ResponsibleUnit).values(name=f"UBND {evil}"))
    site = _build(air_engine, tmp_path / "site", world.media_dir).path
    results_files = [p for p in site.rglob("*") if "results" in p.relative_to(site).parts]
    assert any(p.match("results/maps/*.html") for p in results_files) and (site / "results.json").is_file()
    for path in site.rglob("*"):
        if not path.is_file() or path.suffix == ".gz":
            continue
        data = path.read_bytes()
        assert REPORTER_NAME.encode() not in data and REPORTER_PHONE.encode() not in data, path
        assert b"Ng\xc3\xb5 5 H\xc3\xa0ng B\xe1\xba\xa1c" not in data  # the complaint's address neither
        for secret in (*SECRETS, *world.private_photos):  # planted in every private field of the public cases
            assert secret.encode() not in data, (path, secret)
        if path.suffix == ".html":
            assert b"<script>alert" not in data and b'src="http' not in data and b'href="http' not in data, path
    rows = list(csv.DictReader(io.StringIO((site / "history.csv").read_text(encoding="utf-8-sig"))))
    assert {r["station_name"] for r in rows if r["station_id"] == "HN3"} == {"'" + evil}  # formula-safe
    page = (site / "stations" / "HN3.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<img" not in page
    assert (
        b'src="http' not in (site / "map.html").read_bytes() and b'href="http' not in (site / "map.html").read_bytes()
    )
    for page in ("results/00070.html", "results/maps/00070.html", "en/results/maps/00070.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert "UBND =HYPERLINK" in html and "<script>alert" not in html, page  # the unit's name, escaped


def test_the_site_is_swapped_in_atomically_and_old_builds_are_pruned(air_engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = _build(air_engine, out).path
    assert out.is_symlink()
    targets = [out.resolve()]
    errors: list[str] = []
    done = threading.Event()

    def read() -> None:  # a visitor reading pages while the site is rebuilt
        while not done.is_set():
            try:
                json.loads((out / "stations.json").read_text(encoding="utf-8"))
                html = (out / "stations" / "HN1.html").read_text(encoding="utf-8")
                if not html.endswith("</html>"):
                    errors.append("half a page")
            except (OSError, ValueError) as err:
                errors.append(repr(err))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(4):
            _build(air_engine, out)
            targets.append(out.resolve())
    finally:
        done.set()
        reader.join()
    assert errors == []
    assert len(set(targets)) == 5 and first == out
    builds = [p for p in (tmp_path / ".site.builds").iterdir() if p.is_dir()]
    assert sorted(builds) == sorted(targets[-KEEP_BUILDS:])  # the current and the previous build only


def test_a_failed_build_leaves_the_previous_site(
    air_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    _build(air_engine, out)
    before = out.resolve()

    def broken(*_: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(pages, "station_page", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _build(air_engine, out)
    assert out.resolve() == before and (out / "index.html").is_file()
    assert [p for p in (tmp_path / ".site.builds").iterdir() if p.is_dir()] == [before]


def test_a_plain_folder_is_replaced_by_the_link(air_engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.html").write_text("old", encoding="utf-8")
    _build(air_engine, out)
    assert out.is_symlink() and (out / "index.html").is_file() and not (out / "old.html").exists()


def test_slugs_are_safe_and_distinct() -> None:
    assert slug("HN1") == "HN1" and slug("openaq-123") == "openaq-123"
    odd = [slug("a/b"), slug("a b"), slug("../x"), slug("a?b")]
    assert len(set(odd)) == 4 and all(re.fullmatch(r"[A-Za-z0-9._-]+", s) for s in odd)
    assert all(not s.startswith(".") for s in odd)


def test_cli_publish_builds_the_site_and_exits_3_on_an_empty_database(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The CLI runs the publisher as a child process, which reaches the database by its URL alone (SQLite here:
    a PostgreSQL test schema is chosen per connection and a child process would not see it)."""
    from cli import main

    load_shipped_sets(sqlite_engine)
    seed_air(sqlite_engine)
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ENVMON_TIMEZONE", TIMEZONE)
    assert main(["publish", "--out", str(tmp_path / "public")]) == 0
    assert "site published:" in capfd.readouterr().out
    assert (tmp_path / "public" / "index.html").is_file()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["publish", "--out", str(tmp_path / "other")]) == 3
    err = capfd.readouterr().err
    assert err.startswith("envmon publish: ") and "envmon init" in err and "Traceback" not in err
