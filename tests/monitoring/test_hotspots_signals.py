"""Tests for monitoring.hotspot_signals: hot wards, recurring spots and weekly spikes as alert-engine signals."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import box
from sqlalchemy import Engine

from data.db import transaction
from data.schema import ComplaintCase
from monitoring.hotspot_signals import (
    RULE_NEW_SPOT,
    RULE_SPIKE,
    RULE_WARD_HOT,
    hotspot_signals,
    spike_signals,
    spot_signals,
    ward_hot_signals,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 15, 12, tzinfo=UTC)
SIDE = 8


def _wards() -> gpd.GeoDataFrame:
    cells = [
        box(105.8 + c * 0.01, 21.0 + r * 0.01, 105.81 + c * 0.01, 21.01 + r * 0.01)
        for r in range(SIDE)
        for c in range(SIDE)
    ]
    codes = [f"w{i:03d}" for i in range(SIDE * SIDE)]
    return gpd.GeoDataFrame({"code": codes, "name": [f"Phường {c}" for c in codes]}, geometry=cells, crs=4326)


def _centres(wards: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Cell centres (the cells are lon/lat boxes, so the planar centre of the box is exact)."""
    bounds = wards.geometry.bounds
    centres = gpd.points_from_xy((bounds["minx"] + bounds["maxx"]) / 2, (bounds["miny"] + bounds["maxy"]) / 2)
    return gpd.GeoSeries(centres, index=wards["code"])


def _cases(per_ward: dict[str, list[dt.datetime]], wards: gpd.GeoDataFrame) -> pd.DataFrame:
    centroids = _centres(wards)
    rows = [(code, centroids[code].y, centroids[code].x, when) for code, times in per_ward.items() for when in times]
    frame = pd.DataFrame(rows, columns=["ward_code", "lat", "lon", "opened_at"])
    frame["opened_at"] = pd.to_datetime(frame["opened_at"], utc=True)
    return frame.assign(category_code="waste", unit_id=None)


def _days_ago(*days: float) -> list[dt.datetime]:
    return [NOW - dt.timedelta(days=d) for d in days]


def test_ward_turning_hot_is_signalled() -> None:
    wards = _wards()
    rng = np.random.default_rng(1)
    per_ward = {code: _days_ago(*rng.uniform(0.5, 29, rng.poisson(2))) for code in wards["code"]}
    for row in (2, 3, 4):
        for col in (2, 3, 4):
            per_ward[f"w{row * SIDE + col:03d}"] += _days_ago(*np.linspace(1, 25, 15))
    signals = {s.subject: s for s in ward_hot_signals(_cases(per_ward, wards), wards, NOW)}
    assert len(signals) == SIDE * SIDE
    centre = signals["ward:w027"]
    assert centre.condition is True and centre.rule_id == RULE_WARD_HOT and centre.kind == "hotspot"
    assert centre.labels["class"].startswith("hot_") and "Phường w027" in centre.message
    assert signals["ward:w063"].condition is False


def test_no_cases_means_no_data_not_clear() -> None:
    wards = _wards()
    signals = ward_hot_signals(_cases({}, wards), wards, NOW)
    assert {s.condition for s in signals} == {None}


def test_recurring_spots_give_one_alert_per_ward() -> None:
    wards = _wards()
    active = _days_ago(1, 2, 3, 5, 8, 9)
    stale = _days_ago(60, 61, 62, 63, 64)
    cases = _cases({"w010": active, "w050": stale}, wards)
    corner = wards.geometry.iloc[10].bounds  # a second spot in w010, 500 m from its centre
    second = pd.DataFrame({"ward_code": "w010", "lat": corner[1] + 0.001, "lon": corner[0] + 0.001,
                           "opened_at": pd.to_datetime(_days_ago(1, 2, 4, 6, 7), utc=True)})  # fmt: skip
    cases = pd.concat([cases, second.assign(category_code="waste", unit_id=None)], ignore_index=True)
    names = dict(zip(wards["code"], wards["name"], strict=True))
    signals = {s.subject: s for s in spot_signals(cases, NOW, ward_names=names)}
    assert set(signals) == {"ward:w010", "ward:w050"}  # three spots, two wards: one alert each
    busy, quiet = signals["ward:w010"], signals["ward:w050"]
    assert (busy.rule_id, busy.condition, busy.value) == (RULE_NEW_SPOT, True, 2.0)
    assert busy.labels["spots"] == "2" and busy.labels["largest_count"] == "6"
    assert busy.labels["ward_name"] == "Phường w010" and "2 điểm" in busy.message
    # a ward whose spots went quiet resolves instead of looking like stale data
    assert (quiet.condition, quiet.value, quiet.labels["largest_count"]) == (False, 0.0, "5")
    assert {s.observed_at for s in signals.values()} == {NOW}
    assert quiet.labels["last_report"].startswith(str((NOW - dt.timedelta(days=60)).date()))


def test_spots_outside_every_ward_share_one_alert() -> None:
    wards = _wards()
    cases = _cases({"w010": _days_ago(1, 2, 3, 5, 8)}, wards).assign(ward_code=None)
    (signal,) = spot_signals(cases, NOW)
    assert signal.subject == "ward:-" and signal.labels["ward_code"] == "" and signal.condition is True


def test_weekly_spike_against_own_baseline() -> None:
    wards = _wards()
    weekly = {code: [NOW - dt.timedelta(days=7 * w + 3) for w in range(1, 9)] for code in ("w001", "w002")}
    cases = {
        "w001": weekly["w001"] * 2 + _days_ago(*np.linspace(0.2, 6.5, 10)),  # 2/week, then 10
        "w002": weekly["w002"] * 2 + _days_ago(1, 2),  # 2/week, then 2
        "w003": _days_ago(1, 2),  # nothing before, 2 now: below the minimum count
    }
    signals = {s.subject: s for s in spike_signals(_cases(cases, wards), wards, NOW)}
    assert signals["ward:w001"].condition is True
    assert signals["ward:w001"].value == 10.0
    assert stats.poisson.sf(9, 2.0) < 0.01 <= stats.poisson.sf(5, 2.0)  # the independent Poisson tail
    assert signals["ward:w001"].threshold == stats.poisson.ppf(0.99, 2.0) + 1
    assert signals["ward:w002"].condition is False
    assert signals["ward:w003"].condition is False
    assert signals["ward:w001"].rule_id == RULE_SPIKE and "10 phản ánh" in signals["ward:w001"].message


@pytest.mark.usefixtures("loaded_engine")
def test_hotspot_signals_from_the_database(loaded_engine: Engine) -> None:
    with transaction(loaded_engine) as session:
        for days in (1, 2, 3, 4, 6, 6.5):
            when = NOW - dt.timedelta(days=days)
            session.add(
                ComplaintCase(
                    category_code="waste",
                    lat=21.0288,
                    lon=105.8523,
                    ward_code="00070",
                    set_name="hanoi-2025",
                    opened_at=when,
                    last_report_at=when,
                )
            )
    signals = hotspot_signals(loaded_engine, NOW)
    rules = {s.rule_id for s in signals}
    assert rules == {RULE_WARD_HOT, RULE_NEW_SPOT, RULE_SPIKE}
    assert sum(s.rule_id == RULE_WARD_HOT for s in signals) == 126
    spot = next(s for s in signals if s.rule_id == RULE_NEW_SPOT)
    assert spot.subject == "ward:00070" and spot.condition is True and spot.labels["ward_name"]
    spike = next(s for s in signals if s.subject == "ward:00070" and s.rule_id == RULE_SPIKE)
    assert spike.condition is True and spike.value == 6.0
