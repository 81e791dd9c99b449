"""Emerging hotspots: weekly Gi* per ward, a Mann–Kendall trend, and the ArcGIS-style space-time pattern classes.

Each ward gets one of the patterns of ArcGIS Pro's Emerging Hot Spot Analysis (new, consecutive, intensifying,
persistent, diminishing, sporadic, oscillating, historical; hot and cold) or ``no_pattern``. Gi* runs once
over the whole cube with space-time neighbours (the ward and its contiguous wards, this week and the
``neighbourhood_weeks`` before, as ArcGIS does); a bin is significant when its p-value, Benjamini–Hochberg
adjusted over every bin of the cube, is at most ``alpha``; the trend is the Mann–Kendall test on the ward's
weekly Gi* z-scores.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo._stats import mann_kendall
from geo.hotspots import MIN_UNITS, TooFewUnitsError, gi_star
from geo.weights import SpatialWeights, from_sparse

WEEKS = 26
MIN_WEEKS = 10  # the Mann–Kendall trend needs at least ten time steps
ALPHA = 0.05
MOSTLY = 0.9  # "90 percent of the time-step intervals"

PATTERNS = tuple(
    f"{kind}_{side}"
    for side in ("hot", "cold")
    for kind in (
        "new",
        "consecutive",
        "intensifying",
        "persistent",
        "diminishing",
        "sporadic",
        "oscillating",
        "historical",
    )
) + ("no_pattern",)


@dataclass(frozen=True, eq=False)
class EmergingResult:
    """Space-time cube of weekly Gi* and the pattern of every ward.

    Attributes
    ----------
    ids
        Ward codes (rows of the cube).
    week_starts
        Start of each weekly bin (Monday 00:00 local time, as UTC).
    values
        Analysed values, shape ``(wards, weeks)``.
    z, q
        Gi* z-score and FDR-adjusted p-value of every bin.
    significant
        ``q <= alpha`` per bin.
    trend_z, trend_p
        Mann–Kendall trend of each ward's z-scores.
    patterns
        Pattern name per ward (see :data:`PATTERNS`).
    alpha
        Significance level used for bins and trend.
    """

    ids: tuple[str, ...]
    week_starts: tuple[dt.datetime, ...]
    values: np.ndarray
    z: np.ndarray
    q: np.ndarray
    significant: np.ndarray
    trend_z: np.ndarray
    trend_p: np.ndarray
    patterns: np.ndarray
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        """One row per ward: ward_code, pattern, trend_z, trend_p, hot_weeks, cold_weeks, last_z, total."""
        hot = self.significant & (self.z > 0)
        cold = self.significant & (self.z < 0)
        return pd.DataFrame(
            {
                "ward_code": list(self.ids),
                "pattern": self.patterns,
                "trend_z": self.trend_z,
                "trend_p": self.trend_p,
                "hot_weeks": hot.sum(axis=1),
                "cold_weeks": cold.sum(axis=1),
                "last_z": self.z[:, -1],
                "total": self.values.sum(axis=1),
            }
        )


def week_bins(now: dt.datetime, weeks: int, timezone: str) -> list[dt.datetime]:
    """Starts (UTC) of the ``weeks`` whole weeks (Monday 00:00 in ``timezone``) before ``now``'s week, plus its end."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    this_monday = dt.datetime.combine(local.date() - dt.timedelta(days=local.weekday()), dt.time(), zone)
    return [(this_monday - dt.timedelta(weeks=weeks - i)).astimezone(dt.UTC) for i in range(weeks + 1)]


def weekly_counts(cases: pd.DataFrame, ward_codes: list[str], edges: list[dt.datetime]) -> np.ndarray:
    """Cases per ward (rows, in ``ward_codes`` order) and weekly bin (columns) between consecutive ``edges``."""
    opened = pd.to_datetime(cases["opened_at"], utc=True)
    in_range = (opened >= edges[0]) & (opened < edges[-1]) & cases["ward_code"].notna()
    edge_values = pd.DatetimeIndex(edges).as_unit("ns").asi8
    week = np.searchsorted(edge_values, opened[in_range].dt.as_unit("ns").astype("int64").to_numpy(), "right") - 1
    row_of = {code: i for i, code in enumerate(ward_codes)}
    rows = cases.loc[in_range, "ward_code"].astype(str).map(row_of)
    known = rows.notna().to_numpy()
    counts = np.zeros((len(ward_codes), len(edges) - 1))
    np.add.at(counts, (rows[known].astype(int).to_numpy(), week[known]), 1)
    return counts


def space_time_weights(weights: SpatialWeights, weeks: int, neighbourhood_weeks: int = 1) -> SpatialWeights:
    """Binary weights between the bins of a week-major cube (bin ``t·n + i`` is ward ``i`` in week ``t``).

    A bin's neighbours are the bins of the ward itself and of its spatial neighbours in the same week and in the
    ``neighbourhood_weeks`` weeks before (the self weight is added by Gi*).
    """
    if not 0 <= neighbourhood_weeks < weeks:
        msg = f"neighbourhood_weeks must be between 0 and {weeks - 1}; got {neighbourhood_weeks}"
        raise ValueError(msg)
    earlier = range(0, neighbourhood_weeks + 1)
    in_time = sp.diags([np.ones(weeks - k) for k in earlier], [-k for k in earlier])  # row t: weeks t-k … t
    in_space = weights.matrix + sp.identity(weights.n)
    ids = [f"{week}:{code}" for week in range(weeks) for code in weights.ids]
    return from_sparse(sp.kron(in_time, in_space, format="csr"), ids)


def _classify_side(sig: np.ndarray, sign: int, z: np.ndarray, trend_z: float, trend_p: float, alpha: float) -> str:
    """Pattern of one ward on one side (sign +1 hot, -1 cold), or '' when none applies."""
    side = "hot" if sign > 0 else "cold"
    mine = sig & (np.sign(z) == sign)
    other = sig & (np.sign(z) == -sign)
    steps = mine.size
    share = mine.sum() / steps
    final = bool(mine[-1])
    trend_toward = trend_p <= alpha and np.sign(trend_z) == sign
    trend_away = trend_p <= alpha and np.sign(trend_z) == -sign
    if not final:
        return f"historical_{side}" if share >= MOSTLY else ""
    before = mine[:-1]
    if not before.any():
        return f"new_{side}"
    run = steps - int(np.flatnonzero(~mine)[-1]) - 1 if (~mine).any() else steps
    if run >= 2 and not mine[: steps - run].any() and share < MOSTLY:
        return f"consecutive_{side}"
    if share >= MOSTLY:
        if trend_toward:
            return f"intensifying_{side}"
        if trend_away:
            return f"diminishing_{side}"
        return f"persistent_{side}"
    if other.any():
        return f"oscillating_{side}"
    return f"sporadic_{side}"


def classify_pattern(significant: np.ndarray, z: np.ndarray, trend_z: float, trend_p: float, alpha: float) -> str:
    """ArcGIS emerging-hotspot pattern of one location's series of bins (hot checked first, then cold)."""
    for sign in (1, -1):
        pattern = _classify_side(significant, sign, z, trend_z, trend_p, alpha)
        if pattern:
            return pattern
    return "no_pattern"


def emerging_hotspots(
    cases: pd.DataFrame,
    weights: SpatialWeights,
    now: dt.datetime,
    *,
    timezone: str,
    weeks: int = WEEKS,
    alpha: float = ALPHA,
    population: pd.Series | None = None,
    neighbourhood_weeks: int = 1,
    min_units: int = MIN_UNITS,
) -> EmergingResult:
    """Weekly Gi* per ward over the complete weeks before ``now`` and the emerging pattern of each ward.

    Parameters
    ----------
    cases
        Columns ``ward_code`` and ``opened_at`` (filter the category beforehand).
    weights
        Ward contiguity; its ids are the ward codes.
    now
        Reference time; the week containing it is incomplete and left out.
    timezone
        Zone whose Monday 00:00 starts a week (``Settings.timezone``).
    weeks
        Number of weekly bins (at least :data:`MIN_WEEKS`).
    alpha
        Significance of bins (after FDR over the whole cube) and of the trend.
    population
        Ward population indexed by code: analyse rates per 1,000 residents instead of counts.
    neighbourhood_weeks
        Earlier weeks whose bins of the ward and its neighbours join a bin's neighbourhood (ArcGIS
        "neighbourhood time step"; 0 compares each week's wards only with each other).
    min_units
        Refuse (:class:`~geo.hotspots.TooFewUnitsError`) below this many wards.
    """
    if weeks < MIN_WEEKS:
        msg = f"emerging hotspots need at least {MIN_WEEKS} weekly bins for a trend; got {weeks}"
        raise ValueError(msg)
    edges = week_bins(now, weeks, timezone)
    ids = list(weights.ids)
    values = weekly_counts(cases, ids, edges)
    if population is not None:
        residents = population.reindex(ids).to_numpy(dtype=float)
        if not np.all(residents > 0):
            missing = [code for code, p in zip(ids, residents, strict=True) if not p > 0]
            msg = f"rates need a positive population; missing or zero for wards {missing[:10]}"
            raise ValueError(msg)
        values = values / residents[:, None] * 1000.0
    if len(ids) < min_units:
        msg = f"emerging hotspots need at least {min_units} wards; got {len(ids)}"
        raise TooFewUnitsError(msg)
    cube = gi_star(values.T.ravel(), space_time_weights(weights, weeks, neighbourhood_weeks), permutations=0, fdr=True)
    z, q = cube.z.reshape(weeks, -1).T, cube.q.reshape(weeks, -1).T
    significant = q <= alpha
    trend = mann_kendall(z)
    patterns = np.array(
        [classify_pattern(significant[i], z[i], trend.z[i], trend.p[i], alpha) for i in range(len(ids))],
        dtype=object,
    )
    return EmergingResult(
        ids=tuple(ids),
        week_starts=tuple(edges[:-1]),
        values=values,
        z=z,
        q=q,
        significant=significant,
        trend_z=trend.z,
        trend_p=trend.p,
        patterns=patterns,
        alpha=alpha,
    )
