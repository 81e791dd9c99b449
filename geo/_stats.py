"""Statistical helpers shared by the hotspot modules: Benjamini–Hochberg FDR and the Mann–Kendall trend."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


def bh_adjust(p_values: ArrayLike) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values): reject at FDR level α exactly where ``q <= α``.

    NaN p-values are left NaN and not counted as tests.
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return adjusted
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    # step-up: the adjusted value of rank k is the smallest scaled value at rank >= k
    adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return adjusted


@dataclass(frozen=True, eq=False)
class MannKendall:
    """Mann–Kendall trend test results for each row of a series matrix.

    Attributes
    ----------
    s
        The S statistic (concordant minus discordant pairs).
    variance
        Var(S) with the tie correction.
    z
        Continuity-corrected normal score; positive means an upward trend.
    p
        Two-sided p-value.
    """

    s: np.ndarray
    variance: np.ndarray
    z: np.ndarray
    p: np.ndarray


def mann_kendall(series: ArrayLike) -> MannKendall:
    """Mann–Kendall test on each row of ``series`` (shape ``(m, T)`` or ``(T,)``), with tie correction.

    ``Var(S) = [T(T−1)(2T+5) − Σ t(t−1)(2t+5)] / 18`` over groups of ``t`` tied values;
    ``Z = (S − sign(S)) / sqrt(Var(S))``.
    """
    x = np.atleast_2d(np.asarray(series, dtype=float))
    length = x.shape[1]
    upper = np.triu(np.ones((length, length), dtype=bool), k=1)
    differences = x[:, None, :] - x[:, :, None]  # [r, i, j] = x[r, j] - x[r, i]
    s = np.sign(differences)[:, upper].sum(axis=1)
    tie_terms = np.zeros(x.shape[0])
    for row, values in enumerate(x):
        _, counts = np.unique(values, return_counts=True)
        tie_terms[row] = np.sum(counts * (counts - 1) * (2 * counts + 5))
    variance = (length * (length - 1) * (2 * length + 5) - tie_terms) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0, (s - np.sign(s)) / np.sqrt(variance), 0.0)
    p = 2.0 * stats.norm.sf(np.abs(z))
    return MannKendall(s=s, variance=variance, z=z, p=p)
