"""Nearest-neighbour angles (Viswanathan et al. 2025, arXiv 2501.10573).

For token i with first and second nearest neighbours a and b (Euclidean, self excluded),

    θ_i = arccos( (x_a − x_i)·(x_b − x_i) / (‖x_a − x_i‖ ‖x_b − x_i‖) ),   in degrees.

Small angles mean the two neighbours lie on the same side of the token (a locally
one-dimensional, "stringy" cloud); in high-dimensional isotropic noise θ concentrates near 60°.
An exact duplicate of x_i makes x_a − x_i the zero vector and the angle undefined, so exact
duplicates are removed first when the neighbours are computed here (the result says which rows
were kept), and precomputed neighbours with zero distances are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.duplicates import remove_duplicates
from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.validation import check_points

ANGLES_VERSION = 1
_BLOCK_BYTES = 512 * 2**10  # difference vectors of one block of rows


@dataclass(frozen=True)
class NeighborAngles:
    """Angle at each distinct token between its two nearest neighbours.

    angles:       (m,) degrees in [0, 180], one per distinct point.
    indices:      (m,) row of the input cloud each angle belongs to (first occurrence of a
                  repeated vector; all rows when precomputed neighbours were given).
    n_duplicates: exact duplicate rows dropped before the neighbour search.
    """

    angles: np.ndarray
    indices: np.ndarray
    n_duplicates: int = 0

    @property
    def mean(self) -> float:
        """Mean angle in degrees (the per-prompt summary)."""
        return float(np.mean(self.angles))


def angles_from_neighbors(points: np.ndarray, neighbors: Neighbors) -> np.ndarray:
    """θ_i in degrees for every row of a duplicate-free cloud from its neighbours.

    The difference vectors are formed from the points in float64 (not from the neighbour
    distances), and the cosine is clipped to [−1, 1] before arccos.

    Parameters
    ----------
    points : numpy.ndarray, shape (n, d)
        The cloud, free of exact duplicates.
    neighbors : Neighbors
        At least 2 neighbours of each row of ``points``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        The angle at each point between the vectors to its two nearest neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> from geometry.neighbors import nearest_neighbors
    >>> triangle = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [3.0, 3.0]])
    >>> angles_from_neighbors(triangle, nearest_neighbors(triangle, k=2)).round(1).tolist()
    [90.0, 26.6, 63.4, 37.9]
    """
    x = check_points(points, min_points=3, what="nearest-neighbour angles")
    if neighbors.n_points != x.shape[0]:
        raise GeometryError(
            f"neighbors were computed for {neighbors.n_points} points but points has {x.shape[0]} rows; "
            "pass the (duplicate-free) cloud the neighbours were computed on."
        )
    if neighbors.k < 2:
        raise TooFewPointsError(f"nearest-neighbour angles need 2 neighbours per point; got {neighbors.k}.")
    n = x.shape[0]
    cosine = np.empty(n)
    n_bad = 0
    # Blocks of rows keep the difference vectors in cache (every operation is per row, so the
    # numbers do not depend on the block size).
    rows_per_block = max(1, _BLOCK_BYTES // (8 * x.shape[1]))
    for start in range(0, n, rows_per_block):
        stop = min(n, start + rows_per_block)
        va = x[neighbors.indices[start:stop, 0]]
        va -= x[start:stop]
        vb = x[neighbors.indices[start:stop, 1]]
        vb -= x[start:stop]
        # Euclidean row norms computed exactly as np.linalg.norm(v, axis=1) does, without its copies.
        na, nb = np.sqrt(np.add.reduce(va * va, axis=1)), np.sqrt(np.add.reduce(vb * vb, axis=1))
        bad = (na == 0.0) | (nb == 0.0)
        n_bad += int(bad.sum())
        with np.errstate(divide="ignore", invalid="ignore"):  # such rows raise below
            cosine[start:stop] = np.einsum("ij,ij->i", va, vb) / (na * nb)
    if n_bad:
        raise DegenerateCloudError(
            f"{n_bad} points coincide with one of their two nearest neighbours, so the angle is "
            "undefined; remove exact duplicates (geometry.duplicates.remove_duplicates) first."
        )
    return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


def nearest_neighbor_angles(points, *, neighbors: Neighbors | None = None) -> NeighborAngles:
    """Angle between x_a − x_i and x_b − x_i (a, b the two nearest neighbours of i), in degrees.

    Parameters
    ----------
    points : array_like, shape (n, d)
        The cloud (at least 3 distinct rows).
    neighbors : Neighbors, optional
        Precomputed neighbours (k ≥ 2) of ``points`` itself, which must then be free of exact
        duplicates. Without it, duplicates are removed and the search is made here.

    Returns
    -------
    NeighborAngles
        ``angles`` (m,) in degrees, one per distinct point, ``indices`` (m,) their rows in
        ``points``, and ``n_duplicates``.

    Raises
    ------
    TooFewPointsError
        Fewer than 3 distinct points.
    DegenerateCloudError
        A point coincides with one of its two nearest neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> corner = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    >>> nearest_neighbor_angles(corner).angles.round(1).tolist()  # a right angle at the origin
    [90.0, 45.0, 45.0, 12.7]
    """
    x = check_points(points, min_points=3, what="nearest-neighbour angles")
    if neighbors is not None:
        angles = angles_from_neighbors(x, neighbors)
        return NeighborAngles(angles=angles, indices=np.arange(x.shape[0]), n_duplicates=0)
    dedup = remove_duplicates(x)
    if dedup.points.shape[0] < 3:
        raise TooFewPointsError(
            f"nearest-neighbour angles need at least 3 distinct points; got {dedup.points.shape[0]} "
            f"after removing {dedup.n_removed} exact duplicates."
        )
    angles = angles_from_neighbors(dedup.points, nearest_neighbors(dedup.points, k=2))
    return NeighborAngles(angles=angles, indices=dedup.keep, n_duplicates=dedup.n_removed)
