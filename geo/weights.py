"""Spatial weights for local statistics: queen contiguity of polygons and distance bands of points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

METRIC_CRS = "EPSG:32648"  # WGS 84 / UTM zone 48N, metres, covers Hà Nội


@dataclass(frozen=True, eq=False)
class SpatialWeights:
    """A neighbour relation between ``n`` units, without self weights.

    Attributes
    ----------
    ids
        Unit identifiers in matrix order.
    matrix
        ``n × n`` sparse CSR matrix; ``matrix[i, j]`` is the weight of ``j`` as a neighbour of ``i``
        (zero diagonal).
    """

    ids: tuple[str, ...]
    matrix: sp.csr_array

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.matrix.shape != (n, n):
            msg = f"weights matrix has shape {self.matrix.shape} but there are {n} ids"
            raise ValueError(msg)
        if np.any(self.matrix.diagonal() != 0):
            msg = "weights matrix must have a zero diagonal (self weights are added by Gi*, not stored)"
            raise ValueError(msg)
        if len(set(self.ids)) != n:
            msg = "weights ids must be unique"
            raise ValueError(msg)

    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.ids)

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each unit."""
        return np.diff(self.matrix.indptr)

    @property
    def islands(self) -> tuple[str, ...]:
        """Units without any neighbour."""
        return tuple(self.ids[i] for i in np.flatnonzero(self.cardinalities == 0))

    def subset(self, ids: Sequence[str]) -> SpatialWeights:
        """The relation restricted to ``ids`` (in that order); neighbours outside are dropped."""
        position = {unit: i for i, unit in enumerate(self.ids)}
        missing = [unit for unit in ids if unit not in position]
        if missing:
            msg = f"ids not in the weights: {missing[:5]}"
            raise KeyError(msg)
        index = np.array([position[unit] for unit in ids], dtype=int)
        return SpatialWeights(tuple(ids), sp.csr_array(self.matrix[index][:, index]))


def from_sparse(matrix: ArrayLike | sp.sparray | sp.spmatrix, ids: Sequence[str] | None = None) -> SpatialWeights:
    """Weights from any square (sparse or dense) matrix; a diagonal, if present, is removed."""
    csr = sp.csr_array(matrix, dtype=float)
    csr.setdiag(0)
    csr.eliminate_zeros()
    labels = tuple(str(i) for i in range(csr.shape[0])) if ids is None else tuple(str(i) for i in ids)
    return SpatialWeights(labels, csr)


def _binary_from_pairs(left: np.ndarray, right: np.ndarray, n: int) -> sp.csr_array:
    keep = left != right
    rows = np.concatenate([left[keep], right[keep]])
    cols = np.concatenate([right[keep], left[keep]])
    matrix = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))
    matrix.data[:] = 1.0  # duplicate pairs are summed by the constructor; weights stay binary
    return matrix


def queen_weights(polygons: gpd.GeoDataFrame, id_column: str = "code", *, tolerance_m: float = 0.0) -> SpatialWeights:
    """Queen contiguity with binary weights: polygons sharing an edge, a vertex or an overlap are neighbours.

    Boundary data digitised separately often overlaps or leaves slivers, so ``touches`` alone misses real
    neighbours; ``intersects`` (or, with ``tolerance_m`` > 0, any polygons within that many metres in UTM 48N)
    is used instead.

    Parameters
    ----------
    polygons
        Units with a CRS.
    id_column
        Column with the unit identifiers (unique).
    tolerance_m
        Gap in metres still counted as contiguity; 0 means the geometries must intersect.
    """
    if id_column not in polygons.columns:
        msg = f"column {id_column!r} missing from the polygons (columns: {list(polygons.columns)})"
        raise KeyError(msg)
    if polygons.crs is None:
        msg = "polygons have no CRS; set one before computing contiguity"
        raise ValueError(msg)
    geometry = polygons.geometry.reset_index(drop=True)
    if tolerance_m > 0:
        geometry = geometry.to_crs(METRIC_CRS)
        left, right = geometry.sindex.query(geometry, predicate="dwithin", distance=tolerance_m)
    else:
        left, right = geometry.sindex.query(geometry, predicate="intersects")
    ids = tuple(str(code) for code in polygons[id_column])
    return SpatialWeights(ids, _binary_from_pairs(left, right, len(ids)))


def distance_band_weights(coordinates: ArrayLike, threshold: float, ids: Sequence[str] | None = None) -> SpatialWeights:
    """Binary weights linking points at most ``threshold`` apart (coordinates in a metric or planar CRS)."""
    points = np.asarray(coordinates, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        msg = f"coordinates must be an (n, 2) array, got shape {points.shape}"
        raise ValueError(msg)
    pairs = cKDTree(points).query_pairs(threshold, output_type="ndarray")
    n = points.shape[0]
    labels = tuple(str(i) for i in range(n)) if ids is None else tuple(str(i) for i in ids)
    return SpatialWeights(labels, _binary_from_pairs(pairs[:, 0], pairs[:, 1], n))
