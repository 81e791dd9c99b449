"""The demo city lives: on a demo database, each poll round brings new reports and the units' work up to now.

Only a database holding the labelled demo (reports of source :data:`~data.demo_handling.DEMO_SOURCE`) is touched,
and only its demo cases. New reports (SYNTHETIC, ids ``DEMO-<yyyymmddhh>-<n>``; a planted spot's ``DEMO-S<n>-<k>``)
are drawn per hour from a seed of their own, so a round that runs twice, or late, adds each report once; they
take the real import path. The units' work is :func:`data.demo_handling.advance_open_cases`. After the machine
was off, the next round (or ``envmon demo --if-missing``) replays the downtime, at most :data:`MAX_CATCH_UP`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import Engine, exists, select

from data.config import Settings, load_settings
from data.demo_complaints import (
    HOUR_WEIGHTS,
    LOCAL_TZ,
    PLANTED_SPOTS,
    WEEKEND_RATE,
    placed_reports,
    spot_report,
    vn_channel_table,
)
from data.demo_handling import DEMO_SOURCE, AfterPhotos, advance_open_cases, last_demo_activity
from data.importers.pipeline import ImportContext, import_table
from data.schema import ComplaintReport

ARRIVALS_PER_DAY: Final = 15.0  # on average over a week (the demo year's rate)
MAX_CATCH_UP: Final = pd.Timedelta(days=21)
SPOT_EPOCH: Final = pd.Timestamp("2025-01-01", tz="UTC")


def is_demo_database(engine: Engine) -> bool:
    """Whether the database holds the labelled demo complaints (``envmon demo``)."""
    report = ComplaintReport.__table__
    with engine.connect() as conn:
        return bool(conn.scalar(select(exists().where(report.c.source == DEMO_SOURCE))))


def _hourly_rate(slots: pd.DatetimeIndex) -> np.ndarray:
    """Expected reports in each hour ``slots`` (UTC): by hour of day, fewer at weekends."""
    local = slots.tz_convert(LOCAL_TZ)
    per_weekday = ARRIVALS_PER_DAY * 7 / (5 + 2 * WEEKEND_RATE)
    day = np.where(local.day_of_week >= 5, WEEKEND_RATE, 1.0)
    return per_weekday * day * HOUR_WEIGHTS[local.hour] / HOUR_WEIGHTS.sum()


def arrivals(wards: pd.DataFrame, since: pd.Timestamp, until: pd.Timestamp, seed: int) -> pd.DataFrame:
    """The demo reports made in (since, until]: columns of :func:`data.demo_complaints.placed_reports` plus ``id``."""
    slots = pd.date_range(since.floor("h"), until, freq="h")
    parts = []
    for slot, rate in zip(slots, _hourly_rate(slots), strict=True):
        rng = np.random.default_rng([seed, 7, int(slot.timestamp() // 3600)])
        count = int(rng.poisson(rate))
        if count == 0:
            continue
        times = pd.Series(slot + pd.to_timedelta(np.sort(rng.integers(0, 60, count)), "m")).dt.tz_convert(LOCAL_TZ)
        frame = placed_reports(wards, times, rng)
        frame["id"] = [f"DEMO-{slot:%Y%m%d%H}-{index + 1}" for index in range(count)]
        parts.append(frame)
    for number, spot in enumerate(PLANTED_SPOTS, start=1):
        step = pd.Timedelta(days=spot.days / spot.reports)
        start = SPOT_EPOCH + pd.Timedelta(hours=5 * number)
        first, last = int(np.ceil((since - start) / step)), int(np.floor((until - start) / step))
        for k in range(max(first, 0), last + 1):
            moment = start + k * step
            if since < moment <= until:
                frame = spot_report(spot, moment.tz_convert(LOCAL_TZ), np.random.default_rng([seed, 8, number, k]))
                frame["id"] = f"DEMO-S{number}-{k}"
                parts.append(frame)
    frames = [part for part in parts if not part.empty]
    if not frames:
        return pd.DataFrame(columns=["lat", "lon", "label", "at", "ward", "ward_code", "id"])
    result = pd.concat(frames, ignore_index=True)
    return result[(result["at"] > since) & (result["at"] <= until)].reset_index(drop=True)


def _stored_ids(engine: Engine, ids: list[str]) -> set[str]:
    report = ComplaintReport.__table__
    with engine.connect() as conn:
        query = select(report.c.external_id).where(report.c.source == DEMO_SOURCE, report.c.external_id.in_(ids))
        return set(conn.scalars(query))


def advance_demo_city(
    engine: Engine, now: dt.datetime, settings: Settings | None = None, *, seed: int = 2025
) -> dict[str, Any]:
    """Bring the demo city up to ``now``: the reports made since its last activity, then the units' work.

    A no-op (``{}``) unless the database holds the labelled demo. Returns ``{"since", "reports", "actions"}``.
    """
    if not is_demo_database(engine):
        return {}
    config = settings or load_settings()
    until = pd.Timestamp(now).tz_convert("UTC")
    last = last_demo_activity(engine) or until
    since = max(min(last, until), until - MAX_CATCH_UP)
    context = ImportContext.from_settings(engine, config)
    new = arrivals(context.wards, since, until, seed)
    if not new.empty:
        new = new[~new["id"].isin(_stored_ids(engine, new["id"].tolist()))].reset_index(drop=True)
    if not new.empty:
        table = vn_channel_table(new, np.random.default_rng([seed, 9, int(until.timestamp())]), new["id"].tolist())
        import_table(engine, table, context, filename="demo city", profile="vn-channel", source=DEMO_SOURCE, now=now)
    actions = advance_open_cases(engine, until, context.policy, seed=seed, since=since, after=AfterPhotos.of(context))
    return {"since": since.isoformat(), "reports": len(new), "actions": actions}
