"""Tests for geo.corroboration (complaints matched with nearby station exceedances) and its database loaders."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from sqlalchemy import Engine

from data.corroboration_report import corroboration_report, load_corroborable_complaints, load_observations
from data.db import transaction
from data.schema import AqiValue, ComplaintCase, Station
from geo.corroboration import corroborate_complaints, exceeding

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 10, 8, tzinfo=UTC)
TO_WGS84 = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True)
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)
STATION_A = (21.0150, 105.8000)  # an air station in west Hà Nội
STATION_B = (21.0150, 105.9000)  # about 10 km east of A


def _offset(origin: tuple[float, float], east_m: float, north_m: float = 0.0) -> tuple[float, float]:
    x, y = TO_UTM.transform(origin[1], origin[0])
    lon, lat = TO_WGS84.transform(x + east_m, y + north_m)
    return lat, lon


def _stations() -> pd.DataFrame:
    return pd.DataFrame(
        {"station_id": ["A", "B"], "lat": [STATION_A[0], STATION_B[0]], "lon": [STATION_A[1], STATION_B[1]]}
    )


def _observations() -> pd.DataFrame:
    rows = [
        ("A", T0, "pm25", 80.0, 50.0, np.nan),  # over the limit
        ("A", T0 + dt.timedelta(hours=10), "pm25", 30.0, 50.0, np.nan),  # within the limit
        ("B", T0, "aqi", 160.0, np.nan, 4),  # AQI category 4 (Xấu)
    ]
    frame = pd.DataFrame(rows, columns=["station_id", "observed_at", "parameter", "value", "limit", "aqi_category"])
    return frame.merge(_stations(), on="station_id")


def _complaints() -> pd.DataFrame:
    points = [
        (1, _offset(STATION_A, 1000), "burning_smoke", T0 + dt.timedelta(hours=2)),  # 1 km, +2 h: yes
        (2, _offset(STATION_A, 2500), "odour", T0 - dt.timedelta(hours=4)),  # 2.5 km, −4 h: too early
        (3, _offset(STATION_A, 3500), "burning_smoke", T0),  # 3.5 km: no station within 3 km
        (4, _offset(STATION_A, 500), "waste", T0),  # not a sensor category
        (5, _offset(STATION_A, 0, 2000), "odour", T0 + dt.timedelta(hours=9)),  # near a reading within limit
        (6, _offset(STATION_B, -800), "odour", T0 - dt.timedelta(hours=3)),  # B by AQI, exactly −3 h: yes
    ]
    return pd.DataFrame(
        {
            "id": [p[0] for p in points],
            "lat": [p[1][0] for p in points],
            "lon": [p[1][1] for p in points],
            "category_code": [p[2] for p in points],
            "reported_at": [p[3] for p in points],
        }
    )


def test_exceeding_uses_limit_or_aqi_category() -> None:
    assert exceeding(_observations())["value"].tolist() == [80.0, 160.0]
    assert exceeding(_observations(), min_aqi_category=5)["value"].tolist() == [80.0]


def test_complaints_are_corroborated_by_the_nearest_station() -> None:
    result = corroborate_complaints(_complaints(), _observations(), stations=_stations()).set_index("id")
    assert result["corroborated"].to_dict() == {1: True, 2: False, 3: False, 4: False, 5: False, 6: True}
    assert result.loc[1, "station_id"] == "A" and result.loc[1, "distance_m"] == pytest.approx(1000, abs=1)
    assert result.loc[1, "parameter"] == "pm25" and result.loc[1, "value"] == 80.0
    assert result.loc[6, "station_id"] == "B" and result.loc[6, "aqi_category"] == 4
    assert result.loc[3, "station_id"] is None
    assert not result.loc[4, "applicable"] and result.loc[4, "station_id"] is None
    assert result.loc[2, "station_id"] == "A"  # matched a station but no exceedance within ±3 h


def test_distance_and_window_are_parameters() -> None:
    wide = corroborate_complaints(
        _complaints(), _observations(), max_distance_m=4000, window=dt.timedelta(hours=5)
    ).set_index("id")
    assert wide.loc[2, "corroborated"] and wide.loc[3, "corroborated"]
    only_odour = corroborate_complaints(_complaints(), _observations(), categories={"odour"}).set_index("id")
    assert not only_odour.loc[1, "applicable"] and not only_odour.loc[1, "corroborated"]


def test_loaders_read_aqi_readings_and_cases(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(Station(id="A", name="Trạm A", kind="air", lat=STATION_A[0], lon=STATION_A[1], located=True))
        session.add(Station(id="X", name="Chưa định vị", kind="air", located=False))
        session.flush()
        for station, aqi, category in (("A", 165, 4), ("X", 180, 4)):
            session.add(
                AqiValue(
                    station_id=station,
                    scale="vn",
                    period="hourly",
                    period_end=T0,
                    aqi=aqi,
                    category=category,
                    dominant="pm25",
                )
            )
        lat, lon = _offset(STATION_A, 1200)
        for code, when in (("burning_smoke", T0 + dt.timedelta(hours=1)), ("waste", T0)):
            session.add(ComplaintCase(category_code=code, lat=lat, lon=lon, opened_at=when, last_report_at=when))
    since, until = T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=1)
    observations = load_observations(engine, since, until)
    assert observations["station_id"].tolist() == ["A"]
    assert observations.loc[0, "aqi_category"] == 4 and observations.loc[0, "value"] == 165
    complaints = load_corroborable_complaints(engine, since, until)
    assert complaints["category_code"].tolist() == ["burning_smoke"]
    result = corroborate_complaints(complaints, observations)
    assert result["corroborated"].tolist() == [True]
    report = corroboration_report(engine, since, until)
    assert report[["corroborated", "station_id", "category_code"]].values.tolist() == [[True, "A", "burning_smoke"]]


def test_quiet_nearer_station_takes_precedence(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(Station(id="A", name="Trạm A", kind="air", lat=STATION_A[0], lon=STATION_A[1], located=True))
        quiet = _offset(STATION_A, 1000)
        session.add(Station(id="Q", name="Trạm yên tĩnh", kind="air", lat=quiet[0], lon=quiet[1], located=True))
        session.flush()
        session.add(
            AqiValue(station_id="A", scale="vn", period="hourly", period_end=T0, aqi=165, category=4, dominant="pm25")
        )
        lat, lon = _offset(STATION_A, 1200)
        session.add(ComplaintCase(category_code="odour", lat=lat, lon=lon, opened_at=T0, last_report_at=T0))
    report = corroboration_report(engine, T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=1))
    # the complaint is 200 m from the quiet station Q, which had no exceedance: not corroborated by A
    assert report[["station_id", "corroborated"]].values.tolist() == [["Q", False]]


def test_complaint_export_carries_corroboration(loaded_engine: Engine, tmp_path) -> None:
    from data.case_filter import CaseFilter
    from data.exports import reports_frame
    from data.importers.pipeline import ImportContext, import_table
    from data.importers.readers import read_table

    lat, lon = _offset(STATION_A, 1200)
    local = "%d/%m/%Y %H:%M"
    csv = tmp_path / "reports.csv"
    csv.write_text(
        "Mã phản ánh,Thời gian,Nội dung,Địa chỉ,Vĩ độ,Kinh độ,Kênh,Loại phản ánh\n"
        # times are written in Hà Nội local time (UTC+7): S1 is 30 min before the AQI hour at T0 + 2 h
        f"S1,{(T0 + dt.timedelta(hours=8, minutes=30)).strftime(local)},Khói đốt rác,,{lat},{lon},Zalo,Đốt rác\n"
        f"N1,{(T0 + dt.timedelta(hours=8)).strftime(local)},Ồn ào,,{lat},{lon + 0.01},Zalo,Tiếng ồn\n",
        encoding="utf-8",
    )
    from data.config import load_settings

    import_table(
        loaded_engine,
        read_table(csv),
        ImportContext.from_settings(loaded_engine, load_settings()),
        filename="reports.csv",
        now=T0 + dt.timedelta(days=1),
    )
    with transaction(loaded_engine) as session:
        session.add(Station(id="A", name="Trạm A", kind="air", lat=STATION_A[0], lon=STATION_A[1], located=True))
        session.flush()
        session.add(
            AqiValue(
                station_id="A",
                scale="vn",
                period="hourly",
                period_end=T0 + dt.timedelta(hours=2),
                aqi=165,
                category=4,
                dominant="pm25",
            )
        )
    frame = reports_frame(loaded_engine, CaseFilter())
    by_id = frame.set_index("source_report_id")
    assert by_id.loc["S1", "category_code"] == "burning_smoke"
    assert bool(by_id.loc["S1", "corroborated"]) is True and by_id.loc["S1", "corroborating_station"] == "A"
    assert by_id.loc["N1", "corroborated"] is None  # noise cannot be confirmed by an air station
