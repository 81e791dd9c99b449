"""Hotspot rules for the alert engine: wards turning significantly hot, recurring spots per ward, weekly spikes.

Each rule yields one :class:`monitoring.signals.Signal` per subject on every evaluation (condition True, False or
None for no data), so the engine can fire, hold and resolve alerts by (rule, subject).

The poller evaluates every few minutes while complaints change a few cases at a time: the cases are kept per
database and updated case by case (:mod:`monitoring.case_memo`), and the recurring spots among them are searched
again only where cases changed (:mod:`monitoring.spot_memo`), so an evaluation recomputes little more than what
depends on the clock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy import Engine

from data.boundary_store import wards_frame
from data.case_points import load_complaint_cases
from data.config import DEFAULT_BOUNDARY_SET, DEFAULT_TIMEZONE
from data.frames import plain_text
from geo.hotspots import MIN_UNITS, ward_hotspots
from geo.spots import LOOKBACK, MIN_REPORTS, RADIUS_M, WINDOW, find_spots, is_active, lookback_start
from monitoring.case_memo import CaseFrameMemo
from monitoring.signals import Signal
from monitoring.spot_memo import SpotMemo

RULE_WARD_HOT = "hotspot-ward-gi"
RULE_NEW_SPOT = "hotspot-recurring-spot"
RULE_SPIKE = "hotspot-ward-spike"
NO_WARD = "-"  # subject code of the spots outside every ward
HOT_WINDOW = dt.timedelta(days=30)
BASELINE_WEEKS = 8
SPIKE_P = 0.01
SPIKE_MIN_COUNT = 3  # a spike needs at least this many cases in the week, whatever the baseline
SPIKE_FLOOR_RATE = 1 / BASELINE_WEEKS  # a ward with no case in the baseline is treated as one case in 8 weeks


def ward_hot_signals(
    cases: pd.DataFrame, wards: gpd.GeoDataFrame, now: dt.datetime, *, window: dt.timedelta = HOT_WINDOW
) -> list[Signal]:
    """One signal per ward: condition True when Gi* (counts, 999 permutations, FDR) classes it hot."""
    since = now - window
    in_window = cases[(cases["opened_at"] >= since) & (cases["opened_at"] < now)]
    names = dict(zip(wards["code"].astype(str), wards["name"], strict=True))
    if in_window["ward_code"].notna().sum() == 0 or len(wards) < MIN_UNITS:
        return [
            Signal(RULE_WARD_HOT, f"ward:{code}", None, observed_at=now, kind="hotspot", labels={"ward_code": code})
            for code in names
        ]
    frame = ward_hotspots(in_window, wards, since=since, until=now, seed=0).to_frame()
    signals = []
    for code, count, z, klass in zip(frame["ward_code"], frame["value"], frame["z"], frame["class"], strict=True):
        hot = klass.startswith("hot_")
        message = (
            f"{names[code]} là điểm nóng phản ánh trong {window.days} ngày qua ({int(count)} phản ánh, "
            f"Gi* z = {z:.2f}, độ tin cậy {klass.removeprefix('hot_')}% sau hiệu chỉnh FDR)."
            if hot
            else ""
        )
        signals.append(
            Signal(
                RULE_WARD_HOT,
                f"ward:{code}",
                hot,
                value=round(float(z), 3),
                observed_at=now,
                kind="hotspot",
                labels={"ward_code": code, "ward_name": str(names[code]), "class": klass, "cases": str(int(count))},
                message=message,
            )
        )
    return signals


def spot_signals(
    cases: pd.DataFrame,
    now: dt.datetime,
    *,
    lookback: dt.timedelta = LOOKBACK,
    min_reports: int = MIN_REPORTS,
    radius_m: float = RADIUS_M,
    window: dt.timedelta = WINDOW,
    timezone: str = DEFAULT_TIMEZONE,
    spots: pd.DataFrame | None = None,
    ward_names: Mapping[str, str] | None = None,
) -> list[Signal]:
    """One signal per ward with recurring spots in the last ``lookback`` (not one per spot, so they do not flood).

    Condition True while at least one of the ward's spots is active; ``value`` = how many are, labels carry
    the ward, its number of spots, the largest active spot and the last report. Spots outside every ward
    share the subject ``ward:-``. The per-spot detail is on the alert's page. ``spots`` are the spots
    already found among these cases (:func:`hotspot_signals` keeps them current as the complaints change);
    only their activity at ``now`` is decided here. The message shows the last report's time in ``timezone``.
    """
    if spots is None:
        spots = find_spots(_spot_cases(cases, now, lookback), now, min_reports=min_reports, radius_m=radius_m,
                           window=window)  # fmt: skip
    spots = spots.assign(active=is_active(spots["last_report"], now, window),
                         ward=spots["ward_code"].map(lambda code: plain_text(code) or NO_WARD))  # fmt: skip
    if spots.empty:
        return []
    names = ward_names or {}
    per_ward = spots.groupby("ward", sort=True).agg(
        spots=("count", "size"), active=("active", "sum"), largest=("count", "max"), last=("last_report", "max")
    )
    largest_active = spots[spots["active"]].groupby("ward")["count"].max()  # the largest of all when none is active
    signals = []
    for ward, n_spots, n_active, largest_any, last in per_ward.itertuples(name=None):
        active, largest = int(n_active), int(largest_active.get(ward, largest_any))
        code = "" if ward == NO_WARD else str(ward)
        signals.append(
            Signal(
                RULE_NEW_SPOT,
                f"ward:{ward}",
                bool(active),
                value=float(active),
                threshold=1.0,
                observed_at=now,  # the case list is current; an old last report is the spots going quiet
                kind="hotspot",
                labels={
                    "ward_code": code,
                    "ward_name": plain_text(names.get(code, "")),
                    "spots": str(n_spots),
                    "largest_count": str(largest),
                    "last_report": last.isoformat(),
                },
                message=(
                    f"{active} điểm phản ánh lặp lại đang hoạt động (lớn nhất {largest} phản ánh), "
                    f"lần gần nhất {last.tz_convert(timezone).strftime('%d/%m/%Y %H:%M')}."
                ),
            )
        )
    return signals


def spike_signals(
    cases: pd.DataFrame, wards: gpd.GeoDataFrame, now: dt.datetime, *, p_threshold: float = SPIKE_P
) -> list[Signal]:
    """One signal per ward: condition True when the last 7 days are a Poisson upper-tail outlier.

    The baseline is the mean weekly count of the previous :data:`BASELINE_WEEKS` weeks; the week is a spike
    when ``P(X >= count | mean) < p_threshold`` and it has at least :data:`SPIKE_MIN_COUNT` cases.
    """
    week = dt.timedelta(days=7)
    start = now - week * (BASELINE_WEEKS + 1)
    located = cases[(cases["opened_at"] >= start) & (cases["opened_at"] < now)].dropna(subset=["ward_code"])
    weeks_back = ((now - located["opened_at"]) // week).astype(int).to_numpy()  # 0 = the last 7 days
    codes = wards["code"].astype(str).tolist()
    ward = pd.Categorical(located["ward_code"].astype(str), categories=codes).codes  # -1: not one of the wards
    counted = (ward >= 0) & (weeks_back <= BASELINE_WEEKS)
    cells = ward[counted].astype(np.int64) * (BASELINE_WEEKS + 1) + weeks_back[counted]
    table = np.bincount(cells, minlength=len(codes) * (BASELINE_WEEKS + 1)).reshape(len(codes), BASELINE_WEEKS + 1)
    current = table[:, 0]
    baseline = np.maximum(table[:, 1:].mean(axis=1), SPIKE_FLOOR_RATE)
    p_values = stats.poisson.sf(current - 1, baseline)
    critical = np.maximum(stats.poisson.ppf(1 - p_threshold, baseline) + 1, SPIKE_MIN_COUNT)
    names = dict(zip(codes, wards["name"], strict=True))
    signals = []
    for code, count, mean, p, needed in zip(codes, current, baseline, p_values, critical, strict=True):
        spike = bool(p < p_threshold and count >= SPIKE_MIN_COUNT)
        message = (
            f"{names[code]}: {count} phản ánh trong 7 ngày qua, cao bất thường so với trung bình "
            f"{mean:.1f}/tuần của {BASELINE_WEEKS} tuần trước (p = {p:.2g})."
            if spike
            else ""
        )
        signals.append(
            Signal(
                RULE_SPIKE,
                f"ward:{code}",
                spike,
                value=float(count),
                threshold=float(needed),
                observed_at=now,
                kind="hotspot",
                labels={"ward_code": code, "ward_name": str(names[code]), "baseline": f"{mean:.2f}"},
                message=message,
            )
        )
    return signals


def _spot_cases(cases: pd.DataFrame, now: dt.datetime, lookback: dt.timedelta) -> pd.DataFrame:
    """The located cases the spot search looks at: opened between :func:`geo.spots.lookback_start` and ``now``."""
    opened = cases["opened_at"]
    return cases[(opened >= lookback_start(now, lookback)) & (opened <= now)].dropna(subset=["lat", "lon"])


recent_cases = CaseFrameMemo(load_complaint_cases)  # per database: the cases of the last weeks, kept current
_spots = SpotMemo()  # per database: the recurring spots among them, searched again where cases changed
_lock = threading.Lock()  # the cases and the spots found among them move together


def hotspot_signals(
    engine: Engine, now: dt.datetime, *, set_name: str = DEFAULT_BOUNDARY_SET, timezone: str = DEFAULT_TIMEZONE
) -> list[Signal]:
    """All hotspot signals at ``now`` from the complaint cases and the ward set ``set_name`` in the database.

    :func:`monitoring.pipeline.all_providers` binds ``set_name`` and ``timezone`` from the settings.
    """
    span = max(LOOKBACK + dt.timedelta(days=1), HOT_WINDOW, dt.timedelta(days=7 * (BASELINE_WEEKS + 1)))
    since = lookback_start(now, span)  # midnight UTC: the cases are read in full once a day, then kept current
    with _lock:
        current = recent_cases.current(engine, (set_name, since), since=since, set_name=set_name)
        searched = _spot_cases(current.cases, now, LOOKBACK)
        spots = _spots.spots(engine, searched, current.changed, lookback_start(now), now)
        cases = current.cases[current.cases["opened_at"] <= now]
    wards = wards_frame(engine, set_name)
    names = dict(zip(wards["code"].astype(str), wards["name"], strict=True))
    return [
        *ward_hot_signals(cases, wards, now),
        *spot_signals(cases, now, timezone=timezone, spots=spots, ward_names=names),
        *spike_signals(cases, wards, now),
    ]
