"""Generic JSON/CSV HTTP feed: field mapping, local times, errors and malformed payloads."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import responses

from monitoring.errors import FeedSchemaError, FeedTimeoutError, FeedUnavailableError
from monitoring.feeds.generic_http import HttpFeed

URL = "https://portal.example/api/latest"
NOW = dt.datetime(2025, 3, 15, 6, 0, tzinfo=dt.UTC)
MAPPING = {"station_id": "station.code", "parameter": "indicator", "value": "value", "unit": "unit",
           "observed_at": "time"}  # fmt: skip


def _record(indicator: str, value: float, unit: str) -> dict[str, object]:
    return {"station": {"code": "HN-KK01"}, "indicator": indicator, "value": value, "unit": unit,
            "time": "2025-03-15 10:00:00"}  # fmt: skip


PAYLOAD = {
    "status": "ok",
    "data": [_record("PM2.5", 35.5, "µg/m3"), _record("NO2", 20, "ppb"), _record("Radon", 1, "Bq")],
}


def _feed(**kwargs: object) -> HttpFeed:
    options: dict[str, object] = {
        "url": URL,
        "mapping": MAPPING,
        "records_path": "data",
        "timezone": "Asia/Ho_Chi_Minh",
    }
    options.update(kwargs)
    return HttpFeed("portal", requests.Session(), **options)  # type: ignore[arg-type]


@responses.activate
def test_json_records_are_mapped_and_converted() -> None:
    responses.get(URL, json=PAYLOAD)
    batch = _feed().fetch({}, NOW)
    readings = batch.readings.set_index("parameter")
    assert list(readings.index) == ["pm25", "no2"]
    assert readings.loc["pm25", "observed_at"] == dt.datetime(2025, 3, 15, 3, tzinfo=dt.UTC)
    assert readings.loc["no2", "value"] == pytest.approx(20 * 46.01 / 24.45)
    assert readings.loc["pm25", "status"] == "00"
    [reject] = batch.rejects
    assert (reject.row_number, reject.field) == (3, "parameter")
    assert batch.checkpoint == {"latest": "2025-03-15T03:00:00+00:00"}


@responses.activate
def test_csv_payload_with_constant_unit_and_since_parameter() -> None:
    body = "ma_tram,thong_so,gia_tri,thoi_gian,trang_thai\nNT01,COD,45.2,2025-03-15T10:30:00+07:00,0\n"
    call = responses.get(URL, body=body, content_type="text/csv")
    feed = _feed(
        payload_format="csv",
        mapping={"station_id": "ma_tram", "parameter": "thong_so", "value": "gia_tri", "observed_at": "thoi_gian",
                 "status": "trang_thai"},
        defaults={"unit": "mg/L"},
        kind="wastewater",
        since_param="from",
    )  # fmt: skip
    batch = feed.fetch({"latest": "2025-03-15T03:00:00+00:00"}, NOW)
    assert "from=2025-03-15T00%3A00%3A00%2B00%3A00" in call.calls[0].request.url  # checkpoint − 3 h overlap
    [row] = batch.readings.itertuples()
    assert (row.station_id, row.parameter, row.value, row.unit, row.status) == ("NT01", "cod", 45.2, "mg/L", "00")


@responses.activate
def test_missing_mapped_field_is_a_schema_error() -> None:
    responses.get(URL, json={"data": [{"indicator": "PM2.5", "value": 1, "unit": "µg/m3", "time": "2025-03-15"}]})
    with pytest.raises(FeedSchemaError, match="no field"):
        _feed().fetch({}, NOW)


@responses.activate
def test_records_path_must_lead_to_a_list() -> None:
    responses.get(URL, json={"status": "ok", "data": {"items": []}})
    with pytest.raises(FeedSchemaError, match="not a list"):
        _feed().fetch({}, NOW)


@responses.activate
def test_server_error_and_timeout() -> None:
    responses.get(URL, status=502, body="bad gateway")
    with pytest.raises(FeedUnavailableError, match="HTTP 502"):
        _feed().fetch({}, NOW)
    responses.replace(responses.GET, URL, body=requests.exceptions.ConnectTimeout("connect timeout"))
    with pytest.raises(FeedTimeoutError):
        _feed().fetch({}, NOW)


def test_mapping_must_name_required_fields() -> None:
    with pytest.raises(ValueError, match="mapping lacks value"):
        _feed(mapping={"station_id": "a", "parameter": "b", "observed_at": "c"}).parse("", {"data": [{"a": 1}]})
