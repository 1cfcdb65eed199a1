"""TwoNN intrinsic dimension (Facco, d'Errico, Rodriguez & Laio 2017, Sci. Rep. 7:12140).

For each point, μ_i = r2/r1, the ratio of the distances to its second and first nearest
neighbours. Under local uniformity μ follows a Pareto law F(μ) = 1 − μ^(−d), so

* linear fit ("linear"): sort log μ ascending, keep the smallest ⌊fraction·N⌋ values
  x_i, set y_i = −log(1 − i/N) (i = 1..n_eff) and fit y = d·x through the origin:
  d = Σxy / Σx²  (DADApy ``compute_id_2NN(algorithm="base", mu_fraction=fraction)``);
* maximum likelihood ("mle"): d = (N − 1) / Σ log μ over all N points
  (DADApy ``algorithm="ml"``), with asymptotic standard error d / √N.

DADApy 0.3.4 reports an error of 0 for both; we report d/√N for the MLE and, for the linear fit,
the standard error of the slope of the least-squares line through the origin.

Exact duplicate points are removed first (they give r1 = 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from geometry.duplicates import remove_duplicates
from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.statistic import Measurement, Statistic
from geometry.validation import check_points

TWONN_VERSION = 1
TwoNNMethod = Literal["linear", "mle"]


@dataclass(frozen=True)
class TwoNNResult:
    """TwoNN estimate.

    id:           the intrinsic dimension.
    error:        its standard error (MLE: d/√N; linear fit: standard error of the slope).
    method:       "linear" or "mle".
    n_points:     distinct points used.
    n_duplicates: exact duplicates removed before estimating.
    """

    id: float
    error: float
    method: str
    n_points: int
    n_duplicates: int = 0


def twonn_ratios(neighbors: Neighbors) -> np.ndarray:
    """μ_i = r2/r1 for every point: the distances to its second and first nearest neighbours.

    Parameters
    ----------
    neighbors : Neighbors
        At least 2 neighbours per point (``distances`` shape (n, k ≥ 2)).

    Returns
    -------
    numpy.ndarray, shape (n,)
        The ratios, all ≥ 1.

    Raises
    ------
    DegenerateCloudError
        A first-neighbour distance is zero (an exact duplicate).

    Examples
    --------
    >>> import numpy as np
    >>> from geometry.neighbors import nearest_neighbors
    >>> twonn_ratios(nearest_neighbors(np.array([[0.0], [1.0], [3.0], [7.0]]), k=2)).tolist()
    [3.0, 2.0, 1.5, 1.5]
    """
    r1, r2 = neighbors.distances[:, 0], neighbors.distances[:, 1]
    if np.any(r1 <= 0.0):
        raise DegenerateCloudError(
            f"{int(np.sum(r1 <= 0))} points have a zero distance to their nearest neighbour; "
            "remove exact duplicates before a ratio-based ID estimate."
        )
    return r2 / r1


def twonn_from_neighbors(
    neighbors: Neighbors, *, method: TwoNNMethod = "linear", fraction: float = 0.9, n_duplicates: int = 0
) -> TwoNNResult:
    """TwoNN from precomputed neighbours of a duplicate-free cloud (see the module docstring).

    Parameters
    ----------
    neighbors : Neighbors
        At least 2 neighbours of each of the n ≥ 3 points (``distances`` shape (n, k ≥ 2)).
    method : {"linear", "mle"}
        Linear fit of the ratios' Pareto law (DADApy's default) or maximum likelihood.
    fraction : float
        Share (0, 1] of the smallest ratios the linear fit keeps.
    n_duplicates : int
        Recorded in the result (duplicates the caller removed before the search).

    Returns
    -------
    TwoNNResult
        The ID, its standard error, the points used and ``n_duplicates``.

    Raises
    ------
    TooFewPointsError
        Fewer than 3 points or 2 neighbours.
    DegenerateCloudError
        A zero first-neighbour distance (duplicates left in), or every ratio equal to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from geometry.neighbors import nearest_neighbors
    >>> t = np.random.default_rng(0).uniform(0, 6, size=1000)
    >>> helix = np.column_stack([np.cos(t), np.sin(t), t])  # a curve: one dimension
    >>> round(twonn_from_neighbors(nearest_neighbors(helix, k=2)).id, 2)
    0.98
    """
    if method not in ("linear", "mle"):
        raise GeometryError(f"method must be 'linear' or 'mle'; got {method!r}.")
    if not 0.0 < fraction <= 1.0:
        raise GeometryError(f"fraction must be in (0, 1]; got {fraction!r}.")
    n = neighbors.n_points
    if n < 3 or neighbors.k < 2:
        raise TooFewPointsError(f"TwoNN needs at least 3 distinct points with 2 neighbours each; got {n}.")
    log_mu = np.log(twonn_ratios(neighbors))
    if method == "mle":
        total = float(np.sum(log_mu))
        if total <= 0.0:
            raise DegenerateCloudError("all TwoNN ratios equal 1; the cloud has no measurable dimension.")
        d = (n - 1) / total
        return TwoNNResult(id=d, error=float(d / np.sqrt(n)), method=method, n_points=n, n_duplicates=n_duplicates)
    n_eff = int(n * fraction)
    if n_eff < 2:
        raise TooFewPointsError(f"TwoNN linear fit keeps {n_eff} ratios with fraction={fraction}; need ≥ 2.")
    x = np.sort(log_mu)[:n_eff]
    y = -np.log(1.0 - np.arange(1, n_eff + 1) / n)
    sxx = float(np.dot(x, x))
    if sxx <= 0.0:
        raise DegenerateCloudError("all TwoNN ratios equal 1; the cloud has no measurable dimension.")
    d = float(np.dot(x, y)) / sxx
    residual = y - d * x
    error = float(np.sqrt(np.dot(residual, residual) / max(n_eff - 1, 1) / sxx))
    return TwoNNResult(id=d, error=error, method=method, n_points=n, n_duplicates=n_duplicates)


def twonn(points, *, method: TwoNNMethod = "linear", fraction: float = 0.9) -> TwoNNResult:
    """TwoNN intrinsic dimension of a cloud; exact duplicates are removed first.

    Parameters
    ----------
    points : array_like, shape (n, d)
        The cloud (at least 3 distinct rows).
    method : {"linear", "mle"}
        Linear fit of the ratios' Pareto law (DADApy's default) or maximum likelihood.
    fraction : float
        Share (0, 1] of the smallest ratios the linear fit keeps.

    Returns
    -------
    TwoNNResult
        The ID, its standard error, the distinct points used and the duplicates removed.

    Raises
    ------
    TooFewPointsError
        Fewer than 3 distinct points.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> plane = rng.uniform(size=(1000, 2)) @ rng.normal(size=(2, 5))  # a 2-D plane in 5-D
    >>> round(twonn(plane).id, 2), round(twonn(plane, method="mle").id, 2)
    (1.95, 2.0)
    """
    array = check_points(points, min_points=3, what="TwoNN")
    dedup = remove_duplicates(array)
    if dedup.points.shape[0] < 3:
        raise TooFewPointsError(
            f"TwoNN needs at least 3 distinct points; got {dedup.points.shape[0]} "
            f"after removing {dedup.n_removed} exact duplicates."
        )
    neighbors = nearest_neighbors(dedup.points, k=2)
    return twonn_from_neighbors(neighbors, method=method, fraction=fraction, n_duplicates=dedup.n_removed)


def _twonn_statistic(cloud, *, settings) -> Measurement:
    """Both TwoNN estimates of one layer's prepared cloud (``cloud.neighbors``: its distinct points)."""
    try:
        linear = twonn_from_neighbors(cloud.neighbors, method="linear", fraction=settings.twonn_fraction)
        mle = twonn_from_neighbors(cloud.neighbors, method="mle")
    except GeometryError as error:
        return Measurement(values={}, problems=(str(error),))
    return Measurement(values={"twonn_linear": linear.id, "twonn_mle": mle.id},
                       errors={"twonn_linear": linear.error, "twonn_mle": mle.error})


_TWONN_LABELS = {"twonn_linear": "TwoNN (linear fit)", "twonn_mle": "TwoNN (MLE)"}
STATISTIC = Statistic(
    name="twonn", label="TwoNN", version=TWONN_VERSION, needs="cloud", compute=_twonn_statistic,
    columns=lambda settings: tuple(_TWONN_LABELS), column_label=_TWONN_LABELS.__getitem__, with_error=True,
    dimension=True, axis="intrinsic dimension",
    description="TwoNN (Facco et al. 2017): the ratios r2/r1 of each distinct token's two nearest neighbours.")
