"""Late data (a datalogger flushing its buffer after an outage): only the affected hours' averages are recomputed,
and an open flush does not block the live stream of other stations."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine, select, text

from data.schema import Average
from monitoring import ingest
from monitoring.ingest import Batch, store_batch
from monitoring.rollups import drain_pending
from monitoring.schema import canonicalise


def _batch(station: str, times: pd.DatetimeIndex, value: float = 10.0) -> Batch:
    raw = pd.DataFrame(
        {"station_id": station, "parameter": "COD", "value": value, "unit": "mg/L", "observed_at": times,
         "status": "00"}
    )  # fmt: skip
    readings, rejects = canonicalise(raw, source="test")
    return Batch("test", "wastewater", readings, rejects, interval_minutes=5)


def test_a_buffer_flush_recomputes_only_the_affected_hours(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = pd.date_range("2025-03-10T00:05Z", "2025-03-13T00:00Z", freq="5min", tz="UTC")
    outage = (stream > pd.Timestamp("2025-03-11T10:00Z")) & (stream <= pd.Timestamp("2025-03-11T12:00Z"))
    with engine.begin() as conn:
        store_batch(conn, _batch("ST1", stream[~outage]))
    written: list[pd.DataFrame] = []
    write_averages = ingest.write_averages

    def recording(conn, averages, stored_keys):  # noqa: ANN001, ANN202 - same signature as the spied function
        written.append(averages[["period", "period_end"]])
        return write_averages(conn, averages, stored_keys)

    monkeypatch.setattr(ingest, "write_averages", recording)
    with engine.begin() as conn:
        summary = store_batch(conn, _batch("ST1", stream[outage]))
    assert summary.accepted == 24
    recomputed = pd.concat(written).groupby("period")["period_end"].agg(["min", "max", "count"])
    hour = pd.Timedelta(hours=1)
    first, last = pd.Timestamp("2025-03-11T11:00Z"), pd.Timestamp("2025-03-11T12:00Z")
    assert recomputed.loc["1h"].tolist() == [first, last, 2]
    assert recomputed.loc["8h"].tolist() == [first, last + 7 * hour, 9]
    assert recomputed.loc["24h"].tolist() == [first, last + 23 * hour, 25]


def test_a_step_reads_the_keys_it_may_rewrite_and_no_older_longer_means(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = pd.date_range("2025-03-10T00:05Z", "2025-03-11T10:30Z", freq="5min", tz="UTC")
    with engine.begin() as conn:
        store_batch(conn, _batch("ST1", history))
        stored_before = pd.DataFrame(conn.execute(select(Average.period, Average.period_end)).all())
    calls: list[tuple[pd.DataFrame, pd.MultiIndex]] = []
    write_averages = ingest.write_averages

    def recording(conn, averages, stored_keys):  # noqa: ANN001, ANN202 - same signature as the spied function
        calls.append((averages, stored_keys))
        return write_averages(conn, averages, stored_keys)

    monkeypatch.setattr(ingest, "write_averages", recording)
    with engine.begin() as conn:  # the next 5 minutes, into the hour ending 11:00, whose means are stored
        store_batch(conn, _batch("ST1", pd.DatetimeIndex([pd.Timestamp("2025-03-11T10:35Z")])))
    [(averages, stored_keys)] = calls
    read = stored_keys.to_frame(index=False)
    changed_hour = pd.Timestamp("2025-03-11T11:00Z")
    # every stored row the step rewrites was read as stored (so it is updated, not inserted again)
    rewritten = averages.merge(stored_before, on=["period", "period_end"])
    assert not rewritten.empty
    assert (
        rewritten.set_index(["period", "period_end"]).index.isin(read.set_index(["period", "period_end"]).index).all()
    )
    # the hourly means of the day before are read as context; 8-h and 24-h means ending before the hour are not
    assert (read[read["period"] == "1h"]["period_end"] < changed_hour).sum() == 23
    assert (read[read["period"] != "1h"]["period_end"] < changed_hour).sum() == 0
    assert len(stored_before[(stored_before["period"] != "1h")]) > 0


def test_an_open_buffer_flush_does_not_block_the_live_stream(postgres_engine: Engine) -> None:
    live = pd.date_range("2025-03-12T00:05Z", periods=12, freq="5min", tz="UTC")
    buffer = pd.date_range("2025-01-11T00:05Z", "2025-03-11T23:55Z", freq="5min", tz="UTC")
    with postgres_engine.begin() as conn:  # both stations known, as after their first day online
        store_batch(conn, _batch("LIVE", live[:1]))
        store_batch(conn, _batch("LOGGER", live[:1]))
    with postgres_engine.connect() as flushing, postgres_engine.connect() as streaming:
        flushing.begin()
        assert store_batch(flushing, _batch("LOGGER", buffer)).accepted == len(buffer)
        streaming.begin()
        streaming.execute(text("SET LOCAL lock_timeout = '2s'"))  # a blocked live batch fails instead of waiting
        assert store_batch(streaming, _batch("LIVE", live)).accepted == len(live) - 1
        streaming.commit()
        flushing.commit()


def _all_averages(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Average.period, Average.period_end, Average.value, Average.n_valid, Average.valid).order_by(
                Average.period, Average.period_end
            )
        ).all()
    return pd.DataFrame(rows, columns=["period", "period_end", "value", "n_valid", "valid"])


def test_a_flush_deferring_its_later_windows_does_not_block_its_own_live_stream(postgres_engine: Engine) -> None:
    live = pd.date_range("2025-03-12T00:05Z", periods=12, freq="5min", tz="UTC")  # the current hour, arriving
    buffer = pd.date_range("2025-03-09T00:05Z", "2025-03-12T00:00Z", freq="5min", tz="UTC")
    with postgres_engine.begin() as conn:
        store_batch(conn, _batch("S", live[:6]))
    with postgres_engine.connect() as flushing, postgres_engine.connect() as streaming:
        flushing.begin()
        flush = _batch("S", buffer, value=30.0)
        store_batch(flushing, flush, defer_later_windows=True)
        streaming.begin()
        streaming.execute(text("SET LOCAL lock_timeout = '2s'"))  # blocked by the flush: fails instead of waiting
        assert store_batch(streaming, _batch("S", live[6:])).accepted == 6
        streaming.commit()
        flushing.commit()
    drain_pending(postgres_engine)
    expected = _all_averages(postgres_engine)
    with postgres_engine.begin() as conn:  # the same data stored in one go, oldest first, gives the same averages
        conn.execute(text("DELETE FROM averages"))
        conn.execute(text("DELETE FROM readings"))
        store_batch(conn, flush)
        store_batch(conn, _batch("S", live))
    drain_pending(postgres_engine)
    pd.testing.assert_frame_equal(_all_averages(postgres_engine), expected)
    eight = expected[(expected["period"] == "8h") & (expected["period_end"] == pd.Timestamp("2025-03-12T01:00Z"))]
    assert eight["value"].tolist() == [pytest.approx((7 * 30.0 + 10.0) / 8)]
