"""A small, fully known air dataset for the public snapshot and the published site (both database back ends).

Three air stations in Hà Nội with hourly averages and readings up to :data:`NOW` (Saturday 8 March 2025,
21:20 Hà Nội time): ``HN1`` fresh, with no data on Wednesday 5 March (an empty day in the 7-day history);
``HN2`` stale (last reading 10 h before NOW); ``HN3`` fresh and worse. Stored AQI comes from ``refresh_aqi``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert

from data.readings_store import rebuild_latest
from data.schema import Average, Reading, Station
from monitoring.aqi_store import refresh_aqi

NOW = dt.datetime(2025, 3, 8, 14, 20, tzinfo=dt.UTC)  # 21:20 in Hà Nội
TIMEZONE = "Asia/Ho_Chi_Minh"
BOUNDARY_SET = "hanoi-2025"
EMPTY_DAY = dt.date(2025, 3, 5)
STATIONS = {  # id: (name, lat, lon, hours since the last reading, PM2.5 base µg/m³)
    "HN1": ("Trạm Hoàn Kiếm", 21.0288, 105.8523, 0, 30.0),
    "HN2": ("Trạm Cầu Giấy", 21.0312, 105.7905, 10, 20.0),
    "HN3": ("Trạm Minh Khai", 21.0010, 105.8600, 0, 90.0),
}
HOURS = 9 * 24


def seed_air(engine: Engine) -> None:
    """Write the stations, their hourly readings and averages, then the stored AQI (VN and US)."""
    stations, readings, averages = [], [], []
    last_hour = NOW.replace(minute=0)
    for station_id, (name, lat, lon, lag, base) in STATIONS.items():
        stations.append({"id": station_id, "name": name, "kind": "air", "lat": lat, "lon": lon, "located": True,
                         "operator": "Sở NN&MT Hà Nội", "source": "seed", "parameters": ["pm25", "no2"]})  # fmt: skip
        for hour in range(lag, HOURS):
            end = last_hour - dt.timedelta(hours=hour)
            local_day = (end.astimezone(dt.timezone(dt.timedelta(hours=7))) - dt.timedelta(hours=1)).date()
            if station_id == "HN1" and local_day == EMPTY_DAY:
                continue
            for parameter, value in (("pm25", base + hour % 5), ("no2", 40.0 + hour % 3)):
                readings.append({"station_id": station_id, "parameter": parameter, "value": value, "unit": "µg/m³",
                                 "observed_at": end, "status": "00", "source": "seed"})  # fmt: skip
                averages.append({"station_id": station_id, "parameter": parameter, "period": "1h", "period_end": end,
                                 "value": value, "n_valid": 12, "n_expected": 12, "valid": True})  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Station), stations)
        conn.execute(insert(Reading), readings)
        rebuild_latest(conn)  # readings inserted directly, not through store_batch
        conn.execute(insert(Average), averages)
    refresh_aqi(engine, timezone=TIMEZONE)
