"""/api/v1 air routes over the seeded dataset, on both back ends: shapes, figures equal to the stored AQI and the
public snapshot, paging, CORS, 400 for bad parameters and 404 for an unknown station."""

from __future__ import annotations

import datetime as dt

import air_seed
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from data import queries
from monitoring.public_snapshot import build_snapshot


def test_stations_shape_and_paging(client: TestClient) -> None:
    body = client.get("/api/v1/stations", params={"limit": 2}).json()
    assert body["meta"]["found"] == 3 and body["meta"]["limit"] == 2 and body["meta"]["page"] == 1
    assert len(body["results"]) == 2
    rest = client.get("/api/v1/stations", params={"limit": 2, "page": 2}).json()
    assert [r["id"] for r in rest["results"]] not in ([r["id"] for r in body["results"]],)
    ids = {r["id"] for r in body["results"]} | {r["id"] for r in rest["results"]}
    assert ids == {"HN1", "HN2", "HN3"}
    hn1 = next(r for r in body["results"] + rest["results"] if r["id"] == "HN1")
    assert hn1["coordinates"] == {"latitude": 21.0288, "longitude": 105.8523}
    assert hn1["datetimeLast"] == {"utc": "2025-03-08T14:00:00Z", "local": "2025-03-08T21:00:00+07:00"}
    assert {s["parameter"]["name"] for s in hn1["sensors"]} == {"pm25", "no2"}
    assert client.get("/api/v1/stations", params={"page": 9}).json()["results"] == []


@pytest.mark.parametrize("scale", ["vn", "us"])
def test_aqi_stations_equal_stored_aqi_and_snapshot(
    client: TestClient, air_engine: Engine, settings, scale: str
) -> None:
    body = client.get("/api/v1/aqi/stations", params={"scale": scale, "lang": "en"}).json()
    by_id = {r["id"]: r for r in body["results"]}
    stored = queries.public_latest_aqi(air_engine, scale).set_index("station_id")
    snapshot = build_snapshot(air_engine, now=air_seed.NOW, timezone=settings.timezone,
                              boundary_set=settings.boundary_set)  # fmt: skip
    for station_id in ("HN1", "HN3"):  # fresh: the stored value, as the page shows it
        row = by_id[station_id]
        assert row["aqi"] == int(stored.loc[station_id, "aqi"]) == snapshot.station(station_id).value(scale).aqi
        assert row["category"]["number"] == int(stored.loc[station_id, "category"])
        assert row["dominantParameter"] == stored.loc[station_id, "dominant"]
        assert row["scale"] == {"vn": "VN_AQI", "us": "US_AQI"}[scale]
        assert row["period"]["datetimeTo"]["local"] == "2025-03-08T21:00:00+07:00"
    assert by_id["HN2"]["aqi"] is None and by_id["HN2"]["stale"] is True  # stale: no "current" number, like the page
    assert by_id["HN3"]["aqi"] > by_id["HN1"]["aqi"]


def test_aqi_category_name_follows_language(client: TestClient) -> None:
    vi = client.get("/api/v1/aqi/stations", params={"lang": "vi"}).json()["results"]
    en = client.get("/api/v1/aqi/stations", params={"lang": "en"}).json()["results"]
    hn3_vi = next(r for r in vi if r["id"] == "HN3")["category"]["name"]
    hn3_en = next(r for r in en if r["id"] == "HN3")["category"]["name"]
    assert hn3_vi != hn3_en and hn3_vi and hn3_en


def test_aqi_wards_match_snapshot(client: TestClient, air_engine: Engine, settings) -> None:
    body = client.get("/api/v1/aqi/wards", params={"limit": 1000}).json()
    snapshot = build_snapshot(air_engine, now=air_seed.NOW, timezone=settings.timezone,
                              boundary_set=settings.boundary_set)  # fmt: skip
    assert body["meta"]["found"] == len(snapshot.wards) > 0
    for row in body["results"]:
        value = snapshot.ward_value(row["id"], "vn")
        assert row["aqi"] == (value.aqi if value else None)
        assert row["stationId"] == snapshot.ward(row["id"]).station_id
    assert any(r["aqi"] is not None for r in body["results"])


def test_hourly_since_and_paging(client: TestClient) -> None:
    since = "2025-03-08T10:00:00+07:00"  # 03:00 UTC: hours ending 04:00 … 14:00 UTC = 11 hours × 2 parameters
    body = client.get("/api/v1/stations/HN1/hourly", params={"since": since, "limit": 5}).json()
    assert body["meta"]["found"] == 22 and len(body["results"]) == 5
    first = body["results"][0]
    assert first["period"]["datetimeTo"] == {"utc": "2025-03-08T04:00:00Z", "local": "2025-03-08T11:00:00+07:00"}
    assert first["period"]["datetimeFrom"]["utc"] == "2025-03-08T03:00:00Z"
    assert first["parameter"] == {"name": "no2", "units": "µg/m³"}
    assert isinstance(first["value"], float) and first["coverage"]["valid"] is True
    last = client.get("/api/v1/stations/HN1/hourly", params={"since": since, "limit": 5, "page": 5}).json()
    assert len(last["results"]) == 2
    default = client.get("/api/v1/stations/HN1/hourly").json()  # the last 24 hours
    assert default["meta"]["found"] == 48


@pytest.mark.parametrize(
    ("path", "params", "word"),
    [
        ("/api/v1/stations", {"limit": 0}, "limit"),
        ("/api/v1/stations", {"limit": 5000}, "limit"),
        ("/api/v1/stations", {"page": "two"}, "page"),
        ("/api/v1/aqi/stations", {"scale": "eu"}, "scale"),
        ("/api/v1/aqi/wards", {"lang": "fr"}, "lang"),
        ("/api/v1/stations/HN1/hourly", {"since": "yesterday"}, "since"),
        ("/api/v1/stations/HN1/hourly", {"since": "2024-01-01"}, "since"),
    ],
)
def test_bad_parameters_are_400_with_a_message(client: TestClient, path: str, params: dict, word: str) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400
    assert word in response.json()["error"]


def test_unknown_station_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/stations/NOPE/hourly")
    assert response.status_code == 404 and "NOPE" in response.json()["error"]
    assert client.get("/api/v1/nothing").status_code == 404


def test_cors_for_public_reads(client: TestClient) -> None:
    response = client.get("/api/v1/stations", headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_openapi_docs(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/stations", "/api/v1/aqi/stations", "/api/v1/aqi/wards",
            "/api/v1/stations/{station_id}/hourly"} <= set(paths)  # fmt: skip
    assert client.get("/docs").status_code == 200


def test_time_with_plus_offset_unencoded(client: TestClient) -> None:
    """A client that forgets to encode '+' in the offset still gets the time it meant."""
    raw = client.get("/api/v1/stations/HN1/hourly?since=2025-03-08T10:00:00+07:00").json()
    assert raw["meta"]["found"] == 22
    assert dt.datetime.fromisoformat(raw["results"][0]["period"]["datetimeTo"]["utc"].replace("Z", "+00:00"))


def test_answers_serialised_once_per_snapshot_with_etag(air_engine: Engine, settings, monkeypatch) -> None:
    """aqi/stations is built once per public-snapshot version (the minute); a matching If-None-Match gets a 304
    without a body; the next snapshot builds it again."""
    from api import air
    from api.app import create_app

    now = {"at": air_seed.NOW}
    client = TestClient(create_app(air_engine, settings, clock=lambda: now["at"]))
    built = []
    real_station = air._station
    monkeypatch.setattr(air, "_station", lambda *a: built.append(1) or real_station(*a))
    first = client.get("/api/v1/aqi/stations")
    assert first.status_code == 200 and len(built) == 3  # three stations serialised
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "public, max-age=60"
    again = client.get("/api/v1/aqi/stations")
    assert again.content == first.content and again.headers["etag"] == etag and len(built) == 3  # from the cache
    unchanged = client.get("/api/v1/aqi/stations", headers={"If-None-Match": f'W/"x", {etag}'})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
    other = client.get("/api/v1/aqi/stations", params={"scale": "us"})
    assert other.headers["etag"] != etag and len(built) == 6  # another answer, built once
    now["at"] = air_seed.NOW + dt.timedelta(minutes=1)
    assert client.get("/api/v1/aqi/stations").status_code == 200 and len(built) == 9  # a new snapshot
    assert client.get("/api/v1/aqi/stations", headers={"If-None-Match": '"stale"'}).status_code == 200
