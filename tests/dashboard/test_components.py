"""Page helpers: feed status, upload checks, AQI display data, time text, GeoJSON export."""

from __future__ import annotations

import datetime as dt
import json
import re

import folium
import pandas as pd
import pytest

from dashboard import components, loaders, maps, offline_assets
from monitoring.thresholds import EffectiveLimit

NOW = dt.datetime(2025, 9, 15, 3, 0, tzinfo=dt.UTC)


def _feed(**values: object) -> pd.Series:
    row = {
        "feed": "unknown-feed",
        "last_attempt_at": NOW,
        "last_success_at": NOW,
        "last_data_at": NOW - dt.timedelta(minutes=20),
        "last_error": None,
        "last_error_at": None,
        "consecutive_failures": 0,
    }
    return pd.Series({**row, **values})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "ok"),
        ({"consecutive_failures": 2, "last_error": "timeout"}, "stale"),  # last good data kept
        ({"last_data_at": NOW - dt.timedelta(hours=4)}, "stale"),  # default stale after 180 min
        ({"last_success_at": None}, "unavailable"),
        ({"last_success_at": NOW - dt.timedelta(hours=5)}, "unavailable"),
    ],
)
def test_feed_status_follows_the_poller_rule(values: dict[str, object], expected: str) -> None:
    assert components.feed_status(_feed(**values), NOW) == expected


def test_station_display_uses_official_colours_and_ages() -> None:
    stations = pd.DataFrame(
        [
            {
                "aqi": 75,
                "category": 2,
                "beyond_scale": False,
                "dominant": "pm25",
                "age_hours": 0.3,
                "last_reading_at": pd.Timestamp("2025-09-15T02:40Z"),
            },
            {
                "aqi": 500,
                "category": 6,
                "beyond_scale": True,
                "dominant": "pm10",
                "age_hours": 30.0,
                "last_reading_at": pd.Timestamp("2025-09-14T02:40Z"),
            },
            {
                "aqi": None,
                "category": None,
                "beyond_scale": None,
                "dominant": None,
                "age_hours": None,
                "last_reading_at": pd.NaT,
            },
        ]
    )
    frame = components.station_map_frame(stations, "vn")
    assert frame["colour"].tolist() == ["#FFFF00", "#7E0023", maps.STALE_COLOUR]
    assert frame["value_text"].tolist() == ["75", "500+", ""]
    assert frame["category_text"].tolist() == ["Trung bình", "Nguy hại", ""]
    assert frame["dominant"].tolist() == ["PM₂.₅", "PM₁₀", ""]
    assert frame["updated_text"].tolist() == [
        "15/09/2025 09:40 (18 phút trước)",
        "14/09/2025 09:40 (30 giờ trước)",
        "chưa có dữ liệu",
    ]


def test_health_text_is_the_official_table() -> None:
    effect, public, sensitive = components.health_text(5)
    assert effect.startswith("Cảnh báo hưởng tới sức khỏe")  # verbatim, including the original's missing word
    assert "khẩu trang" in public and sensitive == "Nên ở trong nhà và giảm hoạt động mạnh."


def test_geojson_export_keeps_every_row() -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "lat": [21.0, None],
            "lon": [105.8, None],
            "title": ["a", "<b>"],
            "opened_at": [pd.Timestamp("2025-09-01T00:00Z"), pd.Timestamp("2025-09-02T00:00Z")],
        }
    )
    collection = json.loads(components.geojson_bytes(frame))
    assert [f["geometry"] for f in collection["features"]] == [{"type": "Point", "coordinates": [105.8, 21.0]}, None]
    assert collection["features"][1]["properties"]["title"] == "<b>"
    assert collection["features"][0]["properties"]["opened_at"].startswith("2025-09-01T00:00:00")


def _small_map() -> folium.Map:
    fmap = maps.base_map(tile_url=None)
    maps.add_heat_layer(
        fmap, pd.DataFrame({"lat": [21.0, 21.01], "lon": [105.8, 105.81], "cases": [1, 3]}), layer_name="h"
    )
    spots = pd.DataFrame({"lat": [21.02], "lon": [105.83], "cases": [6], "ward": ["<b>Hoàn Kiếm</b>"]})
    maps.add_spot_layer(fmap, spots, layer_name="Điểm", popup_labels={"ward": "Phường"})
    maps.LegendPanel("Chú giải").add_to(fmap)
    return maps.add_layer_control(fmap)


def test_map_payload_is_the_standalone_page_with_local_assets() -> None:
    payload = components.map_payload(_small_map())
    assert "L.heatLayer" in payload.html and "\\u0026lt;b\\u0026gt;Ho\\u00e0n" in payload.html  # escaped text
    links = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', payload.html)
    assert links and all(link.startswith(offline_assets.RELATIVE_BASE + "/") for link in links)
    assert folium.Map.default_js[0][1].startswith("https://")  # folium's own classes are left alone


def test_show_map_sends_the_cached_page_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = components.map_payload(_small_map())
    sent: list[tuple[str, object]] = []
    monkeypatch.setattr(components.st, "iframe", lambda src, **kwargs: sent.append((src, kwargs["height"])))
    components.show_map(payload, key="k")
    components.show_map(_small_map(), key="k", height=300)
    assert sent[0] == (payload.html, components.MAP_HEIGHT)
    assert sent[1][1] == 300 and "L.heatLayer" in str(sent[1][0])


def test_prefetch_runs_every_call_and_leaves_errors_to_the_page() -> None:
    done: list[str] = []
    loaders.prefetch(lambda: 1 / 0, lambda: done.append("second")).result(timeout=10)
    assert done == ["second"]


def test_local_time_texts_match_one_by_one() -> None:
    values = [NOW, None, pd.NaT, dt.datetime(2025, 1, 1, 17, 30), pd.Timestamp("2025-06-30T23:59:00+07:00")]
    assert components.local_time_texts(values) == [components.local_time_text(v) for v in values]
    assert components.local_time_texts(pd.Series([], dtype="datetime64[ns, UTC]")) == []


def _limit(low: float | None, high: float | None) -> EffectiveLimit:
    return EffectiveLimit("co", "1h", low, high, "µg/m³", "QCVN 05:2023")


def test_a_limit_far_above_the_series_is_not_drawn() -> None:
    co = pd.Series([420.0, 880.0, None, 1200.0])
    assert components.limits_in_range(_limit(None, 30000.0), co) == []  # would flatten the series
    assert components.limits_in_range(_limit(None, 1500.0), co) == [1500.0]
    ph = pd.Series([6.8, 7.4])
    assert components.limits_in_range(_limit(5.5, 9.0), ph) == [9.0, 5.5]
    assert components.limits_in_range(None, co) == [] and components.limits_in_range(_limit(None, 1.0), co[2:3]) == []


def test_alert_subjects_are_words_not_codes() -> None:
    names = {"ww-1": "KCN Thăng Long"}
    assert components.alert_subject_text("station:ww-1/cod", {"station_id": "ww-1", "parameter": "cod"}, names) == (
        "KCN Thăng Long · COD"
    )
    assert components.alert_subject_text("hn-air-9", {"station_id": "hn-air-9"}, names) == "hn-air-9"
    assert components.alert_subject_text("unit:x", {"unit_name": "UBND phường Hoàn Kiếm"}, names) == (
        "UBND phường Hoàn Kiếm"
    )
    assert components.alert_subject_text(None, None, names) == "—"
