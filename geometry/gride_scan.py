"""GRIDE intrinsic dimension across range scalings (Denti et al. 2022; used per layer by
Viswanathan et al. 2025, arXiv 2501.10573).

For each range scaling r = 2, 4, 8, … ≤ ``max_range_scaling`` (n1 = r/2, n2 = r) the GRIDE
maximum-likelihood estimate is computed from the ratios μ_i = r_{n2}/r_{n1} — see
:mod:`geometry.gride` for the likelihood, the score equation and DADApy's outlier rule. The scale
probed at r is :attr:`geometry.gride.GrideResult.scale` (mean over points of (r_n1 + r_n2)/2,
as DADApy), so plotting ``ids`` against ``scales`` shows how the ID changes with the length
scale. One neighbour search (k = largest r) serves every scaling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.duplicates import remove_duplicates
from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.gride import available_range_scalings, gride_scan_from_neighbors
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.validation import check_points, check_positive_int


@dataclass(frozen=True)
class GrideScan:
    """GRIDE estimates at successive range scalings.

    range_scalings: (m,) int, n2 of each estimate (2, 4, 8, …).
    ids, errors:    (m,) float, intrinsic dimension and its standard error at each scaling.
    scales:         (m,) float, length scale probed: mean over points of (r_n1 + r_n2)/2.
    n_points:       distinct points used; n_duplicates: exact duplicates removed first.
    """

    range_scalings: np.ndarray
    ids: np.ndarray
    errors: np.ndarray
    scales: np.ndarray
    n_points: int
    n_duplicates: int = 0


def gride_scan(
    points,
    *,
    max_range_scaling: int = 64,
    neighbors: Neighbors | None = None,
    n_duplicates: int = 0,
) -> GrideScan:
    """GRIDE ID of a cloud at range scalings 2, 4, …, ``max_range_scaling``.

    Parameters
    ----------
    points : array_like, shape (n, d)
        The cloud. Without ``neighbors``, exact duplicates are removed first (docs/design.md)
        and counted in the result.
    max_range_scaling : int
        Largest n2 (a power of two ≥ 2); scalings the cloud cannot support (n2 > n_distinct − 1)
        are skipped.
    neighbors : Neighbors, optional
        Precomputed neighbours of ``points`` (which must then be duplicate-free); scalings
        above ``neighbors.k`` are skipped.
    n_duplicates : int
        Recorded in the result when ``neighbors`` is given (how many duplicates the caller
        removed before the search); ignored otherwise.

    Returns
    -------
    GrideScan
        ``range_scalings`` (m,), ``ids`` (m,), ``errors`` (m,), ``scales`` (m,) and the counts.

    Raises
    ------
    TooFewPointsError
        Fewer than 3 distinct points (no scaling is possible).
    DegenerateCloudError
        Zero neighbour distances in precomputed neighbours (duplicates left in).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> plane = rng.uniform(size=(1000, 2)) @ rng.normal(size=(2, 5))  # a 2-D plane in 5-D
    >>> scan = gride_scan(plane, max_range_scaling=16)
    >>> scan.range_scalings.tolist(), scan.ids.round(2).tolist()
    ([2, 4, 8, 16], [2.0, 2.02, 1.86, 1.93])
    """
    top = check_positive_int(max_range_scaling, name="max_range_scaling", minimum=2)
    if top & (top - 1):
        raise GeometryError(f"max_range_scaling must be a power of two (2, 4, 8, …); got {max_range_scaling}.")
    array = check_points(points, min_points=3, what="a GRIDE scan")
    if neighbors is None:
        dedup = remove_duplicates(array)
        n_distinct, n_duplicates = dedup.points.shape[0], dedup.n_removed
        scalings = available_range_scalings(n_distinct, max_range_scaling=top)
        if not scalings:
            raise TooFewPointsError(
                f"a GRIDE scan needs at least 3 distinct points; got {n_distinct} "
                f"after removing {n_duplicates} exact duplicates."
            )
        neighbors = nearest_neighbors(dedup.points, k=scalings[-1])
    else:
        if neighbors.n_points != array.shape[0]:
            raise GeometryError(
                f"neighbors were computed for {neighbors.n_points} points but points has {array.shape[0]} rows; "
                "pass the (duplicate-free) cloud the neighbours were computed on."
            )
        if np.any(neighbors.distances[:, 0] <= 0):
            raise DegenerateCloudError(
                "precomputed neighbours contain zero distances: compute them on the cloud after "
                "geometry.duplicates.remove_duplicates."
            )
        n_distinct = neighbors.n_points
        scalings = available_range_scalings(n_distinct, max_range_scaling=min(top, neighbors.k))
        if not scalings:
            raise TooFewPointsError(
                f"a GRIDE scan needs at least 2 neighbours per point and 3 points; got k={neighbors.k}, n={n_distinct}."
            )
    results = gride_scan_from_neighbors(neighbors, range_scalings=scalings, n_duplicates=n_duplicates)
    return GrideScan(
        range_scalings=np.array(scalings, dtype=np.int64),
        ids=np.array([r.id for r in results]),
        errors=np.array([r.error for r in results]),
        scales=np.array([r.scale for r in results]),
        n_points=n_distinct,
        n_duplicates=int(n_duplicates),
    )
