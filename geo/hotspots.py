"""Ward hotspots: Getis-Ord Gi* with analytic and permutation inference and FDR-controlled classes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from geo._stats import bh_adjust
from geo.weights import SpatialWeights, queen_weights

PERMUTATIONS = 999
MIN_UNITS = 30  # ArcGIS guidance: at least 30 features for a meaningful hot spot analysis
CONFIDENCE_LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
CLASS_NAMES = ("hot_99", "hot_95", "hot_90", "cold_99", "cold_95", "cold_90", "none")
_CHUNK_ELEMENTS = 4_000_000  # bound on units × permutations × neighbours held in memory at once

Inference = Literal["permutation", "analytic"]


class TooFewUnitsError(ValueError):
    """Raised when a hotspot analysis is asked for on fewer units than it can support."""


@dataclass(frozen=True, eq=False)
class GiStarResult:
    """Getis-Ord Gi* for every unit, with its inputs and parameters.

    Attributes
    ----------
    ids, values, weights
        Inputs: unit identifiers, the analysed values and the neighbour relation (self weight 1 added).
    value_kind
        ``"count"`` or ``"rate_per_1000"`` (or ``"value"`` for generic input).
    permutations, seed, inference, fdr
        Parameters. ``inference`` says which p drives ``q`` and the classes.
    statistic, expected, variance, z
        Gi* (share of the total in the unit's neighbourhood), its expectation and variance under
        randomisation, and the analytic z-score (esda ``Gs``, ``EGs``, ``VGs``, ``Zs``).
    p_norm
        Two-sided analytic p-value.
    p_sim
        Folded one-sided pseudo p-value of the conditional permutation test (esda ``p_sim``), NaN without
        permutations.
    p
        Two-sided p-value used for inference: with permutations ``2·min(P(sim ≥ obs), P(sim ≤ obs))`` capped
        at 1, which stays large when the observed value ties with most simulations (e.g. a ward with no
        complaints among neighbours without any, where the folded ``p_sim`` is at its minimum); else ``p_norm``.
    q
        Benjamini–Hochberg adjusted ``p`` when ``fdr`` is on, else ``p``.
    classes
        ``hot_99 … cold_90`` or ``none``, from the sign of ``z`` and ``q`` at 1 %, 5 % and 10 %.
    islands
        Units with no neighbour: their Gi* neighbourhood is the unit itself.
    note
        Explanation when the data cannot show any pattern (for example all values equal).
    """

    ids: tuple[str, ...]
    values: np.ndarray
    weights: SpatialWeights
    value_kind: str
    permutations: int
    seed: int | None
    inference: Inference
    fdr: bool
    statistic: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    z: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray
    p: np.ndarray
    q: np.ndarray
    classes: np.ndarray
    islands: tuple[str, ...] = field(default=())
    note: str = ""

    @property
    def significant(self) -> np.ndarray:
        """True where the unit is a hot or cold spot at 90 % confidence or more (after FDR when on)."""
        return self.classes != "none"

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: ward_code, value, gi, z, p, q, p_norm, p_sim, significant, class, island."""
        island = np.isin(np.array(self.ids, dtype=object), np.array(self.islands, dtype=object))
        return pd.DataFrame(
            {
                "ward_code": list(self.ids),
                "value": self.values,
                "gi": self.statistic,
                "z": self.z,
                "p": self.p,
                "q": self.q,
                "p_norm": self.p_norm,
                "p_sim": self.p_sim,
                "significant": self.significant,
                "class": self.classes,
                "island": island,
            }
        )

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready rows of :meth:`to_frame` (NaN becomes None)."""
        frame = self.to_frame().astype(object)
        frame = frame.where(frame.notna(), None)
        return frame.to_dict(orient="records")


def _check_values(values: np.ndarray, weights: SpatialWeights, min_units: int) -> None:
    if values.ndim != 1 or values.size != weights.n:
        msg = f"{values.size} values for {weights.n} units in the weights"
        raise ValueError(msg)
    if values.size < min_units:
        msg = (
            f"Gi* needs at least {min_units} units to separate hotspots from noise; got {values.size}. "
            "Analyse a larger area (e.g. the whole city) instead of a drill-down."
        )
        raise TooFewUnitsError(msg)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        listed = ", ".join(f"{weights.ids[i]}={values[i]}" for i in bad[:5])
        msg = f"Gi* values must be finite and non-negative; bad units: {listed}"
        raise ValueError(msg)


def _row_weights(weights: SpatialWeights) -> np.ndarray:
    """Sum of each unit's Gi* weights, the self weight of 1 included."""
    return np.asarray(weights.matrix.sum(axis=1)).ravel() + 1.0


def _moments(y: np.ndarray, weights: SpatialWeights) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gi* statistic, expectation, variance and z with self weight 1 (Getis & Ord 1992; esda ``calc``)."""
    n = y.size
    total = y.sum()
    statistic = (weights.matrix @ y + y) / total
    row_weight = _row_weights(weights)
    expected = row_weight / n
    mean = total / n
    empirical_variance = (y**2).sum() / n - mean**2
    variance = row_weight * (n - row_weight) / (n - 1) / n**2 * empirical_variance / mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (statistic - expected) / np.sqrt(variance)
    return statistic, expected, variance, z


def _padded_neighbour_weights(weights: SpatialWeights) -> np.ndarray:
    cardinality = weights.cardinalities
    padded = np.zeros((weights.n, max(int(cardinality.max(initial=0)), 1)))
    rows = np.repeat(np.arange(weights.n), cardinality)
    slots = np.arange(weights.matrix.nnz) - np.repeat(weights.matrix.indptr[:-1], cardinality)
    padded[rows, slots] = weights.matrix.data
    return padded


def _permutation_p(
    y: np.ndarray, weights: SpatialWeights, statistic: np.ndarray, permutations: int, seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Conditional randomisation (``y_i`` stays, neighbours are drawn from the rest): folded and two-sided p.

    One set of random draws of the other ``n − 1`` positions is shared by every unit (as esda's ``crand``
    does), shifted past the unit itself, so the whole test is a few array operations.
    """
    n = y.size
    neighbour_weights = _padded_neighbour_weights(weights)
    max_neighbours = neighbour_weights.shape[1]
    rng = np.random.default_rng(seed)
    draws = rng.random((permutations, n - 1)).argsort(axis=1)[:, :max_neighbours]
    total = y.sum()
    upper, lower = np.empty(n), np.empty(n)
    tolerance = 1e-12 * max(1.0, float(statistic.max()))  # sums in another order may differ in the last bits
    chunk = max(1, _CHUNK_ELEMENTS // (permutations * max_neighbours))
    for start in range(0, n, chunk):
        units = np.arange(start, min(start + chunk, n))
        positions = draws[None, :, :] + (draws[None, :, :] >= units[:, None, None])
        neighbour_sums = np.einsum("upk,uk->up", y[positions], neighbour_weights[units])
        simulated = (neighbour_sums + y[units, None]) / total
        upper[units] = (simulated >= statistic[units, None] - tolerance).sum(axis=1)
        lower[units] = (simulated <= statistic[units, None] + tolerance).sum(axis=1)
    folded = (np.minimum(upper, permutations - upper) + 1) / (permutations + 1)
    two_sided = np.minimum(2.0 * (np.minimum(upper, lower) + 1) / (permutations + 1), 1.0)
    return folded, two_sided


def _classify(z: np.ndarray, q: np.ndarray) -> np.ndarray:
    classes = np.full(z.shape, "none", dtype=object)
    for alpha, level in reversed(CONFIDENCE_LEVELS):  # weakest first, so the strongest level wins
        hit = q <= alpha
        classes[hit & (z > 0)] = f"hot_{level}"
        classes[hit & (z < 0)] = f"cold_{level}"
    return classes


def gi_star(
    values: ArrayLike,
    weights: SpatialWeights,
    *,
    permutations: int = PERMUTATIONS,
    seed: int | None = 0,
    inference: Inference = "analytic",
    fdr: bool = True,
    min_units: int = MIN_UNITS,
    value_kind: str = "value",
) -> GiStarResult:
    """Getis-Ord Gi* (binary weights, self included) with analytic z and conditional permutation inference.

    Parameters
    ----------
    values
        One non-negative value per unit, in ``weights.ids`` order.
    weights
        Neighbour relation without self weights (see :mod:`geo.weights`).
    permutations
        Number of conditional permutations (0 to skip; then inference is analytic).
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same pseudo p-values.
    inference
        ``"analytic"`` (default, as ArcGIS Gi_Bin) or ``"permutation"``: which p drives the classes. The
        permutation p is always reported (``p_sim``). With 999 permutations the smallest two-sided pseudo p is
        0.002, so after FDR over ``m`` units a permutation-driven 99 % class needs about ``m / 5`` units at that
        floor: a single strong hotspot would show as 90 %, which is why classes default to the analytic p.
    fdr
        Apply Benjamini–Hochberg before classifying (on by default).
    min_units
        Refuse (:class:`TooFewUnitsError`) below this many units.
    value_kind
        Label of what ``values`` measure, kept on the result.
    """
    y = np.asarray(values, dtype=float)
    _check_values(y, weights, min_units)
    n = y.size
    nan = np.full(n, np.nan)
    used: Inference = inference if permutations > 0 else "analytic"
    common = {
        "ids": weights.ids,
        "values": y,
        "weights": weights,
        "value_kind": value_kind,
        "permutations": permutations,
        "seed": seed,
        "inference": used,
        "fdr": fdr,
        "islands": weights.islands,
    }
    total = y.sum()
    if total == 0 or np.all(y == y[0]):
        ones, zeros = np.ones(n), np.zeros(n)
        expected = _row_weights(weights) / n
        note = "all values are equal: there is no spatial pattern to test"
        return GiStarResult(
            **common,
            statistic=expected if total > 0 else nan,
            expected=expected,
            variance=zeros,
            z=zeros,
            p_norm=ones,
            p_sim=ones if permutations > 0 else nan,
            p=ones,
            q=ones,
            classes=np.full(n, "none", dtype=object),
            note=note,
        )
    statistic, expected, variance, z = _moments(y, weights)
    p_norm = 2.0 * stats.norm.sf(np.abs(z))
    p_sim, p_two_sided = _permutation_p(y, weights, statistic, permutations, seed) if permutations > 0 else (nan, nan)
    p = p_two_sided if used == "permutation" else p_norm
    q = bh_adjust(p) if fdr else p
    return GiStarResult(
        **common,
        statistic=statistic,
        expected=expected,
        variance=variance,
        z=z,
        p_norm=p_norm,
        p_sim=p_sim,
        p=p,
        q=q,
        classes=_classify(z, q),
        note=_floor_note(p, q, permutations) if used == "permutation" else "",
    )


def _floor_note(p: np.ndarray, q: np.ndarray, permutations: int) -> str:
    """Explain when the permutation p-value floor, not the data, caps the confidence of the strongest units."""
    floor = 2.0 / (permutations + 1)
    at_floor = p <= floor * (1 + 1e-9)
    if not at_floor.any() or q[at_floor].min() <= CONFIDENCE_LEVELS[0][0]:
        return ""
    return (
        f"{int(at_floor.sum())} unit(s) reached the smallest p-value {permutations} permutations can give "
        f"({floor:.3g}); after FDR over {p.size} units that floor alone keeps q at {q[at_floor].min():.3g} or "
        "more, so their class may understate them. Use more permutations (e.g. 9999) to tell how strong they are."
    )


def ward_values(
    cases: pd.DataFrame,
    wards: gpd.GeoDataFrame,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    category: str | None = None,
    rate: bool = False,
) -> pd.Series:
    """Complaint counts (or rates per 1,000 residents) for every ward of ``wards``, zeros included.

    Parameters
    ----------
    cases
        Columns ``ward_code``, ``category_code``, ``opened_at`` (tz-aware UTC); cases outside every ward
        (``ward_code`` missing) are not counted.
    wards
        Columns ``code`` and, for rates, ``population``.
    since, until
        Half-open window ``[since, until)`` on ``opened_at``.
    category
        Restrict to one ``category_code``.
    rate
        Divide by population / 1,000.
    """
    selected = cases
    if since is not None:
        selected = selected[selected["opened_at"] >= since]
    if until is not None:
        selected = selected[selected["opened_at"] < until]
    if category is not None:
        selected = selected[selected["category_code"] == category]
    codes = wards["code"].astype(str)
    counts = selected["ward_code"].dropna().astype(str).value_counts().reindex(codes, fill_value=0).astype(float)
    counts.index.name = "ward_code"
    if not rate:
        return counts
    population = pd.to_numeric(wards["population"], errors="coerce").to_numpy(dtype=float)
    missing = codes[~(population > 0)].tolist()
    if missing:
        msg = f"rates need a positive population; missing or zero for wards {missing[:10]}"
        raise ValueError(msg)
    return counts / population * 1000.0


def ward_hotspots(
    cases: pd.DataFrame,
    wards: gpd.GeoDataFrame,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    category: str | None = None,
    rate: bool = False,
    permutations: int = PERMUTATIONS,
    seed: int | None = 0,
    fdr: bool = True,
    inference: Inference = "analytic",
    weights: SpatialWeights | None = None,
) -> GiStarResult:
    """Gi* hotspots of complaints over a ward set, on counts or rates per 1,000 residents.

    ``weights`` defaults to queen contiguity of ``wards`` (computed each call; pass it to reuse).
    """
    values = ward_values(cases, wards, since=since, until=until, category=category, rate=rate)
    relation = weights if weights is not None else queen_weights(wards, "code")
    return gi_star(
        values.reindex(list(relation.ids)).to_numpy(),
        relation,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        inference=inference,
        value_kind="rate_per_1000" if rate else "count",
    )
