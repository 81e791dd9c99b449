"""The roll-ups a drain leaves after a 60-day buffer flush equal a cold recompute of the same stations in one pass
(``monitoring.rollups.recompute_rollups``, the bench's alternative), on both engines."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, text

from data.rollups import count_pending
from monitoring.rollups import drain_all, recompute_rollups
from tests.national.test_late_data_flush import (
    LOGGERS,
    PARAMETERS,
    T0,
    WARDS,
    _aqi,
    _averages,
    _live_then_flush,
    _wards,
)

HOUR = pd.Timedelta(hours=1)


def test_the_drained_rollups_equal_a_cold_recompute_in_one_pass(engine: Engine) -> None:
    _live_then_flush(engine)
    drain_all(engine, limit=7)  # small transactions, newest hours first, as the poller's rounds take them
    averages, wards, aqi = _averages(engine), _wards(engine), _aqi(engine)
    assert not averages[averages["period"] == "1d"].empty and not wards.empty and not aqi.empty
    with engine.begin() as conn:  # every roll-up the drain wrote, gone
        conn.execute(text("DELETE FROM averages WHERE period = '1d'"))
        conn.execute(text("DELETE FROM ward_averages"))
        conn.execute(text("DELETE FROM aqi_values"))
    first = (T0 - pd.Timedelta(days=60) - HOUR).to_pydatetime()  # from before the buffer's first hour
    done = recompute_rollups(engine, list(WARDS), list(PARAMETERS), first, (T0 + HOUR).to_pydatetime())
    assert done.windows == len(WARDS) * len(PARAMETERS) and done.station_days > 0
    pd.testing.assert_frame_equal(_averages(engine), averages)
    pd.testing.assert_frame_equal(_wards(engine), wards)
    pd.testing.assert_frame_equal(_aqi(engine), aqi)
    with engine.connect() as conn:
        assert count_pending(conn) == 0  # the queue is left as it is


def test_a_cold_recompute_of_a_few_stations_touches_only_their_rollups(engine: Engine) -> None:
    _live_then_flush(engine)
    drain_all(engine)
    aqi = _aqi(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM aqi_values"))
    first, last = (T0 - pd.Timedelta(days=60) - HOUR).to_pydatetime(), (T0 + HOUR).to_pydatetime()
    recompute_rollups(engine, LOGGERS, list(PARAMETERS), first, last)
    again = _aqi(engine)
    assert set(again["station_id"]) == set(LOGGERS)
    pd.testing.assert_frame_equal(again, aqi[aqi["station_id"].isin(LOGGERS)].reset_index(drop=True))
