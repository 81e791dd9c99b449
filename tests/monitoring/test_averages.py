"""Hourly and rolling means against the validity rules and the official O3 8-h series (standards §1.14 V4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitoring.averages import hourly_means, rolling_means

# standards.md §1.14 V4: hourly O3 from 18:00 of day D-1 to 00:00 of day D+1 (hour-ending labels).
V4_O3 = [15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7, 22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6,
         45.7, 49.2, 55.8, 69.6, 78.3, 91.5, 97.7, 81.2, 71.8, 43.5, 34.3, 21.5, 20.5, 19.4, 20.4, 21.3]  # fmt: skip


def _readings(times: pd.DatetimeIndex, values: list[float], statuses: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station_id": "s1",
            "parameter": "pm25",
            "observed_at": times,
            "value": values,
            "status": statuses or ["00"] * len(values),
        }
    )


def _five_minute(start: str, count: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=count, freq="5min", tz="UTC")


def test_reading_belongs_to_the_hour_ending_after_it() -> None:
    times = pd.DatetimeIndex(pd.to_datetime(["2025-01-01T10:00:00Z", "2025-01-01T10:00:01Z", "2025-01-01T11:00:00Z"]))
    hourly = hourly_means(_readings(times, [1.0, 2.0, 4.0]), interval_minutes=60, min_fraction=0.0)
    assert list(hourly["period_end"]) == [pd.Timestamp("2025-01-01T10:00Z"), pd.Timestamp("2025-01-01T11:00Z")]
    assert list(hourly["value"]) == [1.0, 3.0]


def test_twelve_records_make_a_valid_hour_with_their_mean() -> None:
    values = [float(v) for v in range(1, 13)]
    hourly = hourly_means(_readings(_five_minute("2025-01-01T10:05Z", 12), values))
    [row] = hourly.itertuples()
    assert row.period_end == pd.Timestamp("2025-01-01T11:00Z")
    assert (row.n_valid, row.n_expected, bool(row.valid)) == (12, 12, True)
    assert row.value == pytest.approx(6.5)


@pytest.mark.parametrize(("measuring", "valid"), [(9, True), (8, False)])
def test_seventy_five_percent_rule_counts_only_status_00(measuring: int, valid: bool) -> None:
    statuses = ["00"] * measuring + ["01", "02", "03", "01"][: 12 - measuring]
    values = [10.0] * measuring + [500.0] * (12 - measuring)
    times = _five_minute("2025-01-01T10:05Z", 12)
    [row] = hourly_means(_readings(times, values, statuses)).itertuples()
    assert row.n_valid == measuring and bool(row.valid) is valid
    assert row.value == pytest.approx(10.0)


def test_hourly_sources_need_their_one_record() -> None:
    times = pd.date_range("2025-01-01T01:00Z", periods=3, freq="h", tz="UTC")
    hourly = hourly_means(_readings(times, [5.0, 6.0, 7.0], ["00", "02", "00"]), interval_minutes=60)
    assert list(hourly["n_expected"]) == [1, 1, 1]
    assert list(hourly["valid"]) == [True, False, True]


def test_interval_must_divide_an_hour() -> None:
    with pytest.raises(ValueError, match="must divide 60"):
        hourly_means(_readings(_five_minute("2025-01-01T10:05Z", 1), [1.0]), interval_minutes=7)


def _v4_hourly() -> pd.DataFrame:
    ends = pd.date_range("2025-03-01T18:00Z", periods=len(V4_O3), freq="h", tz="UTC")
    return hourly_means(_readings(ends, V4_O3), interval_minutes=60)


def test_eight_hour_means_reproduce_the_official_o3_series() -> None:
    rolled = rolling_means(_v4_hourly(), 8, min_hours=8).set_index("period_end")
    day = rolled.loc[pd.Timestamp("2025-03-02T01:00Z") : pd.Timestamp("2025-03-03T00:00Z")]
    assert len(day) == 24 and day["valid"].all()
    assert day.loc[pd.Timestamp("2025-03-02T01:00Z"), "value"] == pytest.approx(17.975)
    assert day["value"].idxmax() == pd.Timestamp("2025-03-02T17:00Z")
    assert day["value"].max() == pytest.approx(74.3875)
    assert day.loc[pd.Timestamp("2025-03-02T03:00Z"), "value"] == pytest.approx(21.25)
    assert not rolled.loc[pd.Timestamp("2025-03-02T00:00Z"), "valid"]  # only 7 hours before it


def test_twenty_four_hour_mean_of_the_official_day() -> None:
    rolled = rolling_means(_v4_hourly(), 24, min_hours=18).set_index("period_end")
    day_end = rolled.loc[pd.Timestamp("2025-03-03T00:00Z")]
    assert bool(day_end["valid"]) and day_end["n_valid"] == 24
    assert day_end["value"] == pytest.approx(np.mean(V4_O3[7:31]))
    assert day_end["value"] == pytest.approx(44.5458, abs=1e-4)


def test_eight_hour_mean_with_a_missing_hour_is_invalid_but_24h_tolerates_six() -> None:
    hourly = _v4_hourly()
    hourly.loc[hourly["period_end"] == pd.Timestamp("2025-03-02T12:00Z"), "valid"] = False
    eight = rolling_means(hourly, 8, min_hours=8).set_index("period_end")
    assert not eight.loc[pd.Timestamp("2025-03-02T17:00Z"), "valid"]
    assert eight.loc[pd.Timestamp("2025-03-02T17:00Z"), "n_valid"] == 7
    assert eight.loc[pd.Timestamp("2025-03-02T20:00Z"), "valid"]
    day = rolling_means(hourly, 24, min_hours=18).set_index("period_end").loc[pd.Timestamp("2025-03-03T00:00Z")]
    assert bool(day["valid"]) and day["n_valid"] == 23


def test_gap_hours_do_not_count_as_present() -> None:
    ends = pd.DatetimeIndex(pd.to_datetime(["2025-01-01T01:00:00Z", "2025-01-01T09:00:00Z"]))
    rolled = rolling_means(hourly_means(_readings(ends, [10.0, 20.0]), interval_minutes=60), 8, min_hours=1)
    assert list(rolled["n_valid"]) == [1, 1]
    assert list(rolled["value"]) == [10.0, 20.0]


def test_rolling_means_match_pandas_time_windows_on_gappy_series() -> None:
    rng = np.random.default_rng(7)
    ends = pd.date_range("2025-03-01T01:00Z", periods=200, freq="h", tz="UTC")
    parts = []
    for station in ("A", "B"):
        kept = np.sort(rng.choice(len(ends), 150, replace=False))
        parts.append(
            pd.DataFrame(
                {
                    "station_id": station,
                    "parameter": "pm25",
                    "period_end": ends[kept],
                    "value": rng.gamma(3.0, 10.0, len(kept)),
                    "valid": rng.random(len(kept)) < 0.8,
                }
            )
        )
    hourly = pd.concat(parts, ignore_index=True)
    rolled = rolling_means(hourly, 8, min_hours=6)
    for station, group in hourly.groupby("station_id"):
        series = group.set_index("period_end")["value"].where(group.set_index("period_end")["valid"])
        window = series.rolling("8h", closed="right", min_periods=1)
        ours = rolled[rolled["station_id"] == station].set_index("period_end")
        np.testing.assert_allclose(ours["value"].to_numpy(), window.mean().to_numpy(), rtol=1e-12)
        assert (ours["n_valid"].to_numpy() == window.count().to_numpy()).all()
        assert (ours["valid"].to_numpy() == (window.count().to_numpy() >= 6)).all()
