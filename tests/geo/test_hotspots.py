"""Tests for geo.hotspots (Gi*) and geo._stats (FDR, Mann–Kendall) against esda and worked examples."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import box

from geo._stats import bh_adjust, mann_kendall
from geo.hotspots import TooFewUnitsError, gi_star, ward_hotspots, ward_values
from geo.weights import distance_band_weights, from_sparse, queen_weights

UTC = dt.UTC

# esda G_Local docstring example (conventions.md §3): six points, distance band 15, binary weights, star=True
ESDA_POINTS = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
ESDA_Y = [2, 3, 3.2, 5, 8, 7]
ESDA_GI_STAR_Z = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331]


def lattice(side: int) -> gpd.GeoDataFrame:
    """A side × side grid of 500 m squares in UTM 48N, codes in row-major order."""
    cells = [box(c * 500, r * 500, (c + 1) * 500, (r + 1) * 500) for r in range(side) for c in range(side)]
    return gpd.GeoDataFrame({"code": [f"w{i:03d}" for i in range(side * side)]}, geometry=cells, crs="EPSG:32648")


def block(side: int, row: int, col: int, size: int) -> np.ndarray:
    """Row-major indexes of a size × size block with top-left cell (row, col)."""
    return np.array([(row + r) * side + col + c for r in range(size) for c in range(size)])


def test_matches_esda_documented_example() -> None:
    weights = distance_band_weights(ESDA_POINTS, 15.0)
    result = gi_star(ESDA_Y, weights, min_units=0)
    np.testing.assert_allclose(result.z, ESDA_GI_STAR_Z, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(result.p_norm, 2 * (1 - stats.norm.cdf(np.abs(ESDA_GI_STAR_Z))), rtol=1e-6)


def test_matches_esda_on_lattice() -> None:
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    rng = np.random.default_rng(11)
    y = rng.poisson(3, 225).astype(float)
    y[block(15, 3, 3, 3)] += 8
    w = libpysal.weights.lat2W(15, 15, rook=False)
    oracle = esda.G_Local(y, w, transform="B", star=True, permutations=999, seed=7)
    weights = from_sparse(w.sparse, [str(i) for i in w.id_order])
    ours = gi_star(y, weights, permutations=999, seed=7)
    np.testing.assert_allclose(ours.statistic, oracle.Gs, rtol=1e-10)
    np.testing.assert_allclose(ours.expected, oracle.EGs, rtol=1e-10)
    np.testing.assert_allclose(ours.variance, oracle.VGs, rtol=1e-10)
    np.testing.assert_allclose(ours.z, oracle.Zs, rtol=1e-10)
    # different random streams: pseudo p-values agree within Monte Carlo error (sd ≈ 0.016 at p = 0.5)
    assert np.max(np.abs(ours.p_sim - oracle.p_sim)) < 0.07
    assert np.corrcoef(ours.p_sim, oracle.p_sim)[0, 1] > 0.98


def test_permutations_are_reproducible_per_seed() -> None:
    rng = np.random.default_rng(1)
    y = rng.poisson(4, 100).astype(float)
    weights = queen_weights(lattice(10))
    first, again = gi_star(y, weights, seed=3), gi_star(y, weights, seed=3)
    other = gi_star(y, weights, seed=4)
    np.testing.assert_array_equal(first.p_sim, again.p_sim)
    assert not np.array_equal(first.p_sim, other.p_sim)
    assert first.seed == 3 and first.permutations == 999 and first.fdr


def test_planted_hot_and_cold_blocks_are_found() -> None:
    side = 12
    rng = np.random.default_rng(2026)
    y = rng.poisson(10, side * side).astype(float)
    hot, cold = block(side, 1, 1, 3), block(side, 7, 7, 3)
    y[hot] += 25
    y[cold] = 0
    result = gi_star(y, queen_weights(lattice(side)), seed=0)
    classes = result.classes
    centre_hot, centre_cold = hot[4], cold[4]
    # 999 permutations floor the two-sided pseudo p at 0.002, so 99 % after FDR needs many such units
    assert classes[centre_hot] in {"hot_99", "hot_95"}
    assert gi_star(y, queen_weights(lattice(side)), inference="analytic").classes[centre_hot] == "hot_99"
    if classes[centre_hot] != "hot_99":
        assert "smallest p-value 999 permutations can give" in result.note and "understate" in result.note
    finer = gi_star(y, queen_weights(lattice(side)), permutations=9999, seed=0)
    assert finer.classes[centre_hot] == "hot_99" and finer.note == ""
    assert classes[centre_cold].startswith("cold_")
    assert all(c.startswith("hot_") for c in classes[hot])
    assert sum(c.startswith("cold_") for c in classes[cold]) >= 5
    far_away = block(side, 0, 8, 3)
    assert all(c == "none" for c in classes[far_away])
    assert result.significant.sum() == sum(c != "none" for c in classes)


def test_ties_at_zero_are_not_significant() -> None:
    # most wards have no complaints: a zero ward among zero neighbours ties with nearly every simulation
    y = np.zeros(100)
    y[block(10, 2, 2, 2)] = [40, 30, 30, 25]
    result = gi_star(y, queen_weights(lattice(10)), seed=0, inference="permutation")
    quiet = block(10, 6, 6, 3)
    assert np.all(result.p_sim[quiet] <= 0.01)  # esda's folded pseudo p is at its minimum here …
    assert np.all(result.p[quiet] == 1.0)  # … but the two-sided p sees the ties
    assert all(c == "none" for c in result.classes[quiet])
    analytic = gi_star(y, queen_weights(lattice(10)), seed=0)
    assert all(c == "none" for c in analytic.classes[quiet])


def test_pure_noise_flags_no_more_than_the_fdr_rate() -> None:
    weights = queen_weights(lattice(10))
    flagged = []
    for seed in range(20):
        y = np.random.default_rng(seed).poisson(5, 100).astype(float)
        flagged.append(gi_star(y, weights, seed=seed, permutations=499).significant.mean())
    assert np.mean(flagged) <= 0.10  # the weakest class is FDR 10 %
    assert sum(share > 0 for share in flagged) <= 4  # under the global null BH controls the familywise rate


def test_fdr_off_flags_more_than_fdr_on() -> None:
    y = np.random.default_rng(8).poisson(5, 100).astype(float)
    weights = queen_weights(lattice(10))
    raw = gi_star(y, weights, fdr=False, inference="analytic", permutations=0)
    controlled = gi_star(y, weights, fdr=True, inference="analytic", permutations=0)
    assert raw.significant.sum() >= controlled.significant.sum()
    np.testing.assert_array_equal(raw.q, raw.p)
    assert np.all(np.isnan(raw.p_sim))


def test_refuses_fewer_than_30_units() -> None:
    weights = queen_weights(lattice(5))
    with pytest.raises(TooFewUnitsError, match="at least 30 units"):
        gi_star(np.ones(25), weights)


def test_rejects_negative_values_naming_the_unit() -> None:
    y = np.ones(36)
    y[4] = -1
    with pytest.raises(ValueError, match="w004=-1.0"):
        gi_star(y, queen_weights(lattice(6)))


def test_constant_values_give_no_pattern_with_a_note() -> None:
    result = gi_star(np.zeros(36), queen_weights(lattice(6)))
    assert set(result.classes) == {"none"}
    assert "no spatial pattern" in result.note
    assert result.to_records()[0]["z"] == 0.0


def test_island_uses_itself_only_and_is_reported() -> None:
    grid = lattice(6)
    island = gpd.GeoDataFrame({"code": ["isle"]}, geometry=[box(10_000, 10_000, 10_500, 10_500)], crs=grid.crs)
    wards = pd.concat([grid, island], ignore_index=True)
    y = np.r_[np.full(36, 2.0), 30.0]
    result = gi_star(y, queen_weights(wards), seed=1)
    assert result.islands == ("isle",)
    n, total = 37, y.sum()
    mean, var = total / n, (y**2).sum() / n - (total / n) ** 2
    expected_z = (30 / total - 1 / n) / np.sqrt(1 * (n - 1) / (n - 1) / n**2 * var / mean**2)
    assert result.z[-1] == pytest.approx(expected_z)
    assert result.to_frame()["island"].tolist() == [False] * 36 + [True]


def _cases(codes: list[str], when: dt.datetime, category: str = "rac_thai") -> pd.DataFrame:
    return pd.DataFrame({"ward_code": codes, "category_code": category, "opened_at": when})


def test_ward_values_window_category_and_rate() -> None:
    wards = lattice(6).assign(population=2000)
    march, april = dt.datetime(2026, 3, 5, tzinfo=UTC), dt.datetime(2026, 4, 5, tzinfo=UTC)
    cases = pd.concat(
        [
            _cases(["w000", "w000", "w001"], march),
            _cases(["w000"], april),
            _cases(["w002"], march, "mui_hoi"),
            _cases([None], march),
        ]
    )
    counts = ward_values(
        cases, wards, since=dt.datetime(2026, 3, 1, tzinfo=UTC), until=dt.datetime(2026, 4, 1, tzinfo=UTC)
    )
    assert counts["w000"] == 2 and counts["w001"] == 1 and counts["w002"] == 1 and counts.sum() == 4
    assert len(counts) == 36
    rates = ward_values(cases, wards, category="rac_thai", rate=True)
    assert rates["w000"] == pytest.approx(3 / 2000 * 1000)
    with pytest.raises(ValueError, match="population"):
        ward_values(cases, wards.assign(population=0), rate=True)


def test_ward_hotspots_on_rates_finds_planted_block() -> None:
    side = 8
    wards = lattice(side).assign(population=1000)
    when = dt.datetime(2026, 5, 1, tzinfo=UTC)
    rng = np.random.default_rng(4)
    per_ward = rng.poisson(2, side * side)
    per_ward[block(side, 2, 2, 3)] += 12
    codes = [code for code, k in zip(wards["code"], per_ward, strict=True) for _ in range(k)]
    result = ward_hotspots(_cases(codes, when), wards, rate=True, seed=0)
    assert result.value_kind == "rate_per_1000"
    records = {r["ward_code"]: r for r in result.to_records()}
    assert records["w027"]["class"].startswith("hot_") and records["w027"]["significant"]
    assert records["w000"]["class"] == "none"
    assert set(records["w027"]) >= {"ward_code", "value", "z", "p", "significant", "class"}


def test_bh_adjust_worked_example() -> None:
    # p = (0.01, 0.04, 0.03, 0.005), m = 4: sorted 0.005·4/1=0.02, 0.01·4/2=0.02, 0.03·4/3=0.04, 0.04·4/4=0.04
    np.testing.assert_allclose(bh_adjust([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02])
    assert np.isnan(bh_adjust([np.nan, 0.5])[0])


def test_mann_kendall_worked_example_with_ties() -> None:
    # x = 1, 2, 2, 3: S = 5; Var = (4·3·13 − 2·1·9) / 18 = 7.667; Z = (5 − 1) / sqrt(7.667)
    result = mann_kendall([1, 2, 2, 3])
    assert result.s[0] == 5
    assert result.variance[0] == pytest.approx(138 / 18)
    assert result.z[0] == pytest.approx(4 / np.sqrt(138 / 18))
    assert mann_kendall([3, 2, 1, 0]).z[0] < 0
    assert mann_kendall([1, 1, 1]).p[0] == pytest.approx(1.0)


def test_a_single_strong_hotspot_reaches_the_99_class_by_default() -> None:
    # classes follow the analytic p (as ArcGIS Gi_Bin); 999 permutations alone cannot go below p = 0.002
    y = np.ones(100)
    y[block(10, 4, 4, 2)] = 30
    result = gi_star(y, queen_weights(lattice(10)), seed=0)
    assert result.inference == "analytic"
    assert "hot_99" in set(result.classes[block(10, 4, 4, 2)])
    assert np.all(result.p_sim[block(10, 4, 4, 2)] <= 0.01)  # the permutation p is still reported
