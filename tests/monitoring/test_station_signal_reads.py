"""The alert engine's station reads answer from one probe per station (parameter), not by grouping the whole
history: the same answers as the definition, including an evaluation of a past moment (newer data stored)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine, event, insert

from data.readings_store import rebuild_latest
from data.schema import AqiValue, Average, Reading, Station
from data.station_signal_queries import last_reading_times, latest_aqi, latest_averages, latest_readings

T = dt.datetime(2025, 3, 8, 10, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _seed(engine: Engine) -> None:
    stations = [{"id": name, "name": name, "kind": "air", "limit_profile": {}} for name in ("A", "B", "C")]
    readings = [
        {"station_id": station, "parameter": parameter, "value": 1.0, "unit": "ug", "observed_at": at, "status": "00"}
        for station, parameter, at in (
            ("A", "pm25", T - 3 * HOUR),
            ("A", "pm25", T - HOUR),
            ("A", "pm25", T + HOUR),  # after the evaluated moment
            ("A", "pm10", T - 2 * HOUR),
            ("B", "pm25", T - 5 * HOUR),
            ("B", "pm10", T - 10 * DAY),  # B's pm10 fell silent ten days ago
            ("C", "pm25", T + 2 * HOUR),  # only after it: C had not reported yet
        )
    ]
    averages = [
        {"station_id": station, "parameter": parameter, "period": "1h", "period_end": end, "value": value,
         "n_valid": 12, "n_expected": 12, "valid": valid}
        for station, parameter, end, value, valid in (
            ("A", "pm25", T - 2 * HOUR, 10.0, True),
            ("A", "pm25", T - HOUR, 20.0, False),  # newer but not valid
            ("A", "pm25", T + HOUR, 30.0, True),  # after the evaluated moment
            ("A", "pm10", T - HOUR, 40.0, True),
            ("B", "pm25", T - 4 * HOUR, 50.0, True),
            ("B", "no2", T - HOUR, 60.0, True),  # not asked for
            ("B", "pm10", T - 10 * DAY, 70.0, True),  # the newest valid one: last month, before the recent scan
            ("B", "pm10", T - HOUR, 80.0, False),
        )
    ]  # fmt: skip
    aqi = [
        {"station_id": station, "scale": "vn", "period": "hourly", "period_end": end, "aqi": value, "category": 1,
         "dominant": "pm25", "sub_indices": {}}
        for station, end, value in (("A", T - HOUR, 40), ("A", T, 45), ("A", T + HOUR, 90), ("B", T - 3 * HOUR, 70))
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Station), stations)
        conn.execute(insert(Reading), readings)
        conn.execute(insert(Average), averages)
        conn.execute(insert(AqiValue), aqi)
        rebuild_latest(conn)  # readings inserted directly, not through store_batch


def test_last_reading_time_per_station_at_or_before_the_moment(engine: Engine) -> None:
    _seed(engine)
    found = {station: at.astimezone(dt.UTC) for station, at in last_reading_times(engine, T)}
    assert found == {"A": T - HOUR, "B": T - 5 * HOUR}
    later = {station: at.astimezone(dt.UTC) for station, at in last_reading_times(engine, T + 3 * HOUR)}
    assert later == {"A": T + HOUR, "B": T - 5 * HOUR, "C": T + 2 * HOUR}


def test_latest_valid_average_per_station_and_asked_parameter(engine: Engine) -> None:
    _seed(engine)
    found = {(item.station_id, item.parameter): (item.observed_at.astimezone(dt.UTC), item.value)
             for item in latest_averages(engine, "1h", ["pm10", "pm25"], T)}  # fmt: skip
    assert found == {
        ("A", "pm25"): (T - 2 * HOUR, 10.0),
        ("A", "pm10"): (T - HOUR, 40.0),
        ("B", "pm25"): (T - 4 * HOUR, 50.0),
        ("B", "pm10"): (T - 10 * DAY, 70.0),
    }
    assert latest_averages(engine, "1h", [], T) == []
    assert latest_averages(engine, "24h", ["pm25"], T) == []


def test_latest_aqi_per_station_at_or_before_the_moment(engine: Engine) -> None:
    _seed(engine)
    found = {row.station_id: row.aqi for row in latest_aqi(engine, "vn", "hourly", T)}
    assert found == {"A": 45, "B": 70}
    assert latest_aqi(engine, "us", "hourly", T) == []


def test_latest_reading_per_station_parameter_within_the_lookback(engine: Engine) -> None:
    _seed(engine)
    with engine.begin() as conn:  # B's newest pm25 reading: a device error, after a measuring one
        conn.execute(insert(Reading), [
            {"station_id": "B", "parameter": "pm25", "value": None, "unit": "ug", "observed_at": T - HOUR,
             "status": "02"},
        ])  # fmt: skip
        rebuild_latest(conn)

    def latest(**options: object) -> dict[tuple[str, str], tuple[dt.datetime, str]]:
        return {(item.station_id, item.parameter): (item.observed_at.astimezone(dt.UTC), item.status)
                for item in latest_readings(engine, now=T, **options)}  # fmt: skip

    assert latest(parameters=None, measuring_only=False, lookback=6 * HOUR) == {
        ("A", "pm25"): (T - HOUR, "00"),  # not the one after the evaluated moment
        ("A", "pm10"): (T - 2 * HOUR, "00"),
        ("B", "pm25"): (T - HOUR, "02"),
    }
    assert latest(parameters=["pm25"], measuring_only=True, lookback=6 * HOUR) == {
        ("A", "pm25"): (T - HOUR, "00"),
        ("B", "pm25"): (T - 5 * HOUR, "00"),  # the last measuring reading, under the device error
    }
    assert latest(parameters=["pm25"], measuring_only=True, lookback=4 * HOUR) == {("A", "pm25"): (T - HOUR, "00")}


def _statements(engine: Engine, read: Callable[[], object]) -> int:
    """How many SQL statements ``read`` sends."""
    sent = []

    def count(*_args: object) -> None:
        sent.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def test_reads_over_all_time_are_sent_only_when_needed(engine: Engine) -> None:
    """A read that could reach back over all time is planned in every time partition even where it never runs:
    each is a second query, sent only when a pair that reported has no recent value or a newest reading is
    after the evaluated moment."""
    _seed(engine)
    # B's no2: recent; A and C never reported no2 (a water station asked for PM2.5): not read over all time
    assert _statements(engine, lambda: latest_averages(engine, "1h", ["no2"], T)) == 1
    assert _statements(engine, lambda: latest_averages(engine, "1h", ["pm10"], T)) == 2  # B's pm10: silent
    assert _statements(engine, lambda: last_reading_times(engine, T + 3 * HOUR)) == 2  # nothing after it
    assert _statements(engine, lambda: last_reading_times(engine, T)) == 3  # A's and C's pm25 after T
