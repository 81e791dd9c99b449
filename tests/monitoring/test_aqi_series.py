"""AQI over station series and ``envmon aqi compute``: local day windows, CSV in and out, bad rows."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cli import main
from monitoring.aqi_series import AQI_COMBINATIONS, parse_hourly_rows, station_aqi, station_aqi_combinations

HANOI = dt.timezone(dt.timedelta(hours=7))


def _hours(start: dt.datetime, values: list[float], parameter: str = "pm25", station: str = "S1") -> list[dict]:
    return [
        {
            "station_id": station,
            "parameter": parameter,
            "observed_at": (start + dt.timedelta(hours=i)).isoformat(),
            "value": str(v),
        }
        for i, v in enumerate(values)
    ]


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["station_id", "parameter", "observed_at", "value"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_daily_window_is_0100_to_2400_local() -> None:
    # 00:00 on 8 March belongs to 7 March (hour-ending); the 24 hours 01:00 … 24:00 of 8 March are all 30
    rows = _hours(dt.datetime(2025, 3, 8, 0, tzinfo=HANOI), [500.0] + [30.0] * 24)
    results = station_aqi(parse_hourly_rows(rows, "t"), scale="vn", period="daily")
    assert len(results) == 1  # 7 March has 1 hour only (< 18): no daily AQI
    day = results[0]
    assert day.period_end == dt.datetime(2025, 3, 9, 0, tzinfo=HANOI)
    assert day.result.aqi == 60  # 50 + 50/25 × (30 − 25)
    assert day.result.sub_indices["pm25"].table == "pm25"


def test_hourly_series_uses_nowcast_and_skips_hours_without_pm() -> None:
    start = dt.datetime(2025, 3, 8, 9, tzinfo=HANOI)
    v1 = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6]
    rows = _hours(start, v1) + _hours(start, [136.1] * 12, "o3", "S2")
    results = station_aqi(parse_hourly_rows(rows, "t"), scale="vn", period="hourly")
    assert {r.station_id for r in results} == {"S1"}  # S2 has no PM: no VN_AQI
    last = results[-1]
    assert last.period_end == dt.datetime(2025, 3, 8, 20, tzinfo=HANOI)
    assert last.result.aqi == 41  # V1


def test_all_combinations_in_one_pass_equal_each_alone() -> None:
    start = dt.datetime(2025, 3, 8, 0, tzinfo=HANOI)
    pm = [26.9, 24.7, None, 23.5, 180.2, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6] * 5
    rows = [r for r in _hours(start, pm) if r["value"] != "None"]
    rows += _hours(start, [136.1, 240.0, 90.5] * 20, "o3") + _hours(start, [1200.0] * 60, "so2", "S2")
    rows += _hours(start, [40.0] * 60, "pm10", "S2")
    hourly = parse_hourly_rows(rows, "t")
    bounds = {
        "hourly": (start + dt.timedelta(hours=30), start + dt.timedelta(hours=50)),
        "daily": (start, start + dt.timedelta(days=3)),
    }
    together = station_aqi_combinations(hourly, AQI_COMBINATIONS, ends_between=bounds)
    assert all(together[pair] for pair in AQI_COMBINATIONS)  # every pair has results to compare
    for scale, period in AQI_COMBINATIONS:
        alone = station_aqi(hourly, scale=scale, period=period, ends_between=bounds[period])
        assert together[(scale, period)] == alone


def test_cli_compute_writes_one_row_per_station_and_period(tmp_path: Path) -> None:
    start = dt.datetime(2025, 3, 8, 1, tzinfo=HANOI)
    rows = _hours(start, [55.7] * 24) + _hours(start, [130.8] + [10.0] * 23, "no2")
    source = _write(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    assert main(["aqi", "compute", str(source), "--scale", "vn", "--period", "daily", "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == [
        "station_id", "period_end", "aqi", "category", "dominant", "beyond_scale",
        "aqi_pm25", "aqi_pm10", "aqi_o3", "aqi_no2", "aqi_so2", "aqi_co",
    ]  # fmt: skip
    assert table.to_dict("records") == [
        {
            "station_id": "S1",
            "period_end": "2025-03-09T00:00:00+07:00",
            "aqi": "110",
            "category": "Kém",
            "dominant": "pm25",
            "beyond_scale": "False",
            "aqi_pm25": "110",
            "aqi_pm10": "",
            "aqi_o3": "",
            "aqi_no2": "65",
            "aqi_so2": "",
            "aqi_co": "",
        }
    ]


def test_cli_us_scale_english_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _hours(dt.datetime(2025, 3, 8, 1, tzinfo=HANOI), [35.5] * 24)
    source = _write(tmp_path / "in.csv", rows)
    assert main(["aqi", "compute", str(source), "--scale", "us", "--period", "daily", "--lang", "en"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith("S1,2025-03-09T00:00:00+07:00,101,Unhealthy for Sensitive Groups,pm25,False,101,")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"parameter": "pm1"}, "line 3: parameter 'pm1'"),
        (
            {"observed_at": "2025-03-08T02:00:00"},
            "line 3: observed_at '2025-03-08T02:00:00' has no UTC offset",
        ),
        ({"observed_at": "2025-03-08T02:30:00+07:00"}, "not the end of an hour"),
        ({"value": "abc"}, "line 3: value 'abc' is not a number"),
        ({"observed_at": "2025-03-08T01:00:00+07:00"}, "line 3: duplicate of line 2"),
        ({"station_id": ""}, "line 3: missing station_id"),
    ],
)
def test_cli_bad_row_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: dict, message: str
) -> None:
    rows = _hours(dt.datetime(2025, 3, 8, 1, tzinfo=HANOI), [20.0, 21.0])
    rows[1].update(bad)
    source = _write(tmp_path / "in.csv", rows)
    assert main(["aqi", "compute", str(source)]) == 2
    assert message in capsys.readouterr().err
