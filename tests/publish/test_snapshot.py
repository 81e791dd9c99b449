"""The public snapshot against the stored AQI: one number per sub-index, local day labels, wards, city summary."""

from __future__ import annotations

import datetime as dt

import pytest
from air_seed import BOUNDARY_SET, EMPTY_DAY, NOW, TIMEZONE
from sqlalchemy import Engine, select

from data.i18n import STRINGS
from data.schema import AqiValue
from monitoring.aqi_tables import VN_HEALTH
from monitoring.public_snapshot import (
    HISTORY_DAYS,
    HISTORY_HOURS,
    SCALES,
    PublicSnapshot,
    advice,
    build_snapshot,
    local_day,
)


def _snapshot(engine: Engine) -> PublicSnapshot:
    return build_snapshot(engine, now=NOW, timezone=TIMEZONE, boundary_set=BOUNDARY_SET)


def _stored(engine: Engine, station_id: str, scale: str, period: str) -> list[AqiValue]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AqiValue)
            .where(AqiValue.station_id == station_id, AqiValue.scale == scale, AqiValue.period == period)
            .order_by(AqiValue.period_end)
        ).all()
    return list(rows)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def test_current_values_are_the_stored_newest_hour_with_one_number_per_sub_index(air_engine: Engine) -> None:
    snapshot = _snapshot(air_engine)
    assert [s.id for s in snapshot.stations] == ["HN2", "HN1", "HN3"]  # by name: Cầu Giấy, Hoàn Kiếm, Minh Khai
    for station in snapshot.stations:
        for scale in SCALES:
            newest = _stored(air_engine, station.id, scale, "hourly")[-1]
            value = station.current[scale]
            assert value is not None
            assert (value.aqi, value.level, value.dominant) == (newest.aqi, newest.category, newest.dominant)
            assert value.period_end == _utc(newest.period_end)
            assert dict(value.sub_indices) == {p: e["aqi"] for p, e in newest.sub_indices.items()}
            assert all(isinstance(v, int) for v in value.sub_indices.values())  # never the stored dict
            by_parameter = {r.parameter: r.sub_index[scale] for r in station.readings}
            assert by_parameter == {p: e["aqi"] for p, e in newest.sub_indices.items()}
    hn1 = snapshot.station("HN1")
    assert hn1 is not None and hn1.current["vn"] is not None
    assert hn1.current["vn"].period_end == NOW.replace(minute=0)


def test_stale_station_has_no_current_value_and_the_summary_names_worst_and_best(air_engine: Engine) -> None:
    snapshot = _snapshot(air_engine)
    hn2 = snapshot.station("HN2")
    assert hn2 is not None and hn2.stale and hn2.age_hours == pytest.approx(10.3)
    assert hn2.value("vn") is None and hn2.current["vn"] is not None  # the old number is kept, not shown as now
    for scale in SCALES:
        summary = snapshot.summary[scale]
        assert (summary.reporting, summary.stale, summary.worst, summary.best) == (2, 1, "HN3", "HN1")
    assert snapshot.data_time == NOW.replace(minute=0)


def test_daily_history_is_seven_local_days_ending_today_with_empty_days_kept(air_engine: Engine) -> None:
    snapshot = _snapshot(air_engine)
    hn1 = snapshot.station("HN1")
    assert hn1 is not None
    stored = {local_day(_utc(r.period_end), TIMEZONE): r.aqi for r in _stored(air_engine, "HN1", "vn", "daily")}
    days = hn1.daily["vn"]
    assert len(days) == HISTORY_DAYS
    assert [p.day for p in days] == [dt.date(2025, 3, 2) + dt.timedelta(days=d) for d in range(7)]
    assert days[-1].day == dt.date(2025, 3, 8)  # today in Hà Nội, never tomorrow
    assert {p.day: p.aqi for p in days if p.aqi is not None} == {d: a for d, a in stored.items() if d in
                                                                   {p.day for p in days}}  # fmt: skip
    empty = [p.day for p in days if p.aqi is None]
    assert EMPTY_DAY in empty  # no data that day: an empty slot, not a missing bar
    assert days[-1].aqi is not None  # 21 of today's hours: the day so far is stored and shown


def test_hourly_history_is_the_last_24_hours_matching_the_stored_values(air_engine: Engine) -> None:
    snapshot = _snapshot(air_engine)
    for station in snapshot.stations:
        hours = station.hourly["us"]
        assert len(hours) == HISTORY_HOURS and hours[-1].period_end == NOW.replace(minute=0)
        stored = {_utc(r.period_end): r.aqi for r in _stored(air_engine, station.id, "us", "hourly")}
        assert [p.aqi for p in hours] == [stored.get(p.period_end) for p in hours]
    hn2 = snapshot.station("HN2")
    assert hn2 is not None and [p.aqi for p in hn2.hourly["vn"][-10:]] == [None] * 10  # the stale hours are empty


def test_wards_take_the_nearest_fresh_station_within_the_radius(air_engine: Engine) -> None:
    snapshot = _snapshot(air_engine)
    assert len(snapshot.wards) > 100
    hoan_kiem = next(w for w in snapshot.wards if w.name == "Hoàn Kiếm")
    assert hoan_kiem.station_id == "HN1" and hoan_kiem.distance_km is not None and hoan_kiem.distance_km < 1.5
    assert snapshot.ward_value(hoan_kiem.code, "vn") == snapshot.station("HN1").current["vn"]  # type: ignore[union-attr]
    assert [sid for sid, _ in hoan_kiem.nearest][0] == "HN1" and len(hoan_kiem.nearest) == 3
    far = [w for w in snapshot.wards if w.station_id is None]
    assert far and all(w.nearest[0][1] > 10 or w.nearest[0][0] == "HN2" for w in far)  # stale HN2 never stands in
    assert all(w.station_id != "HN2" for w in snapshot.wards)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_advice_on_both_scales_in_both_languages(language: str) -> None:
    for level in range(1, 7):
        vn = advice("vn", level, language)
        assert vn.effect == (VN_HEALTH[level].effect_vi if language == "vi" else VN_HEALTH[level].effect_en)
        us = advice("us", level, language)
        assert us.effect and us.public and us.sensitive and us.effect != vn.effect
    assert advice("us", 3, "en").effect.startswith("Members of sensitive groups may experience health effects")
    parts = ("effect", "public", "sensitive")
    assert all(f"advice.us.{level}.{part}" in STRINGS for level in range(1, 7) for part in parts)


def test_an_empty_database_gives_an_empty_snapshot(loaded_engine: Engine) -> None:
    snapshot = _snapshot(loaded_engine)
    assert snapshot.stations == () and snapshot.data_time is None
    assert all(w.station_id is None and w.nearest == () for w in snapshot.wards)
    assert snapshot.summary["vn"].worst is None and snapshot.summary["vn"].reporting == 0
