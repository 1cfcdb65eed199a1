"""GRIDE intrinsic dimension (Denti, Doimo, Laio & Mira 2022, Sci. Rep. 12:20005).

For ranks n1 < n2, μ_i = r_{n2}/r_{n1} (distances to the n2-th and n1-th neighbours) has density

    f(μ) = d (μ^d − 1)^(n2−n1−1) / (B(n2−n1, n1) μ^((n2−1)d+1)),   μ > 1.

The maximum-likelihood d solves the score equation (with DADApy's (N−1) in place of N, which
makes n1 = 1, n2 = 2 equal the TwoNN MLE (N−1)/Σ log μ)

    (N−1)/d + Σ_i [ (n2−n1−1)/(1 − μ_i^(−d)) − (n2−1) ] log μ_i = 0,

which has a single root; it is bracketed on [1e-3, 1e3] and solved there (DADApy bisects to
1e-7; we use Brent's method to 1e-12, so values agree to ~1e-7). The error bar is the inverse
square root of the Fisher information, on all N ratios (as DADApy):
    I(d) = N/d² + (n2−n1−1) Σ_i μ_i^(−d) (log μ_i)² / (1 − μ_i^(−d))².
"Range scaling" r uses n1 = r/2, n2 = r (r = 2, 4, 8, …).
Following DADApy 0.3.4 exactly: ratios equal to 1 (tied distances) are raised by 1e-6, and
ratios not below q50 + 20·(q95 − q50) are dropped as outliers before the fit (not for the error);
the reported scale is the mean over points of (r_n1 + r_n2)/2, a distance.
Exact duplicate points are removed first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.duplicates import remove_duplicates
from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.validation import check_points, check_positive_int

GRIDE_VERSION = 1
_BRACKET = (1e-3, 1e3)


@dataclass(frozen=True)
class GrideResult:
    """GRIDE estimate at one range scaling.

    id, error:     intrinsic dimension and its standard error.
    range_scaling: n2 (with n1 = n2/2).
    scale:         mean over points of (r_n1 + r_n2)/2, the length scale probed (a distance).
    n_points:      distinct points used; n_duplicates: exact duplicates removed first;
    n_outliers:    ratios dropped by the outlier rule.
    """

    id: float
    error: float
    range_scaling: int
    scale: float
    n_points: int
    n_duplicates: int = 0
    n_outliers: int = 0


def _score(d: float, log_mu: np.ndarray, n1: int, n2: int) -> float:
    one_minus = -np.expm1(-d * log_mu)  # 1 − μ^(−d), accurate for small d·log μ
    return (log_mu.size - 1) / d + float(np.sum(((n2 - n1 - 1) / one_minus - (n2 - 1)) * log_mu))


def _fisher_information(d: float, log_mu: np.ndarray, n1: int, n2: int) -> float:
    one_minus = -np.expm1(-d * log_mu)
    return log_mu.size / d**2 + (n2 - n1 - 1) * float(np.sum(np.exp(-d * log_mu) * log_mu**2 / one_minus**2))


def gride_mle(mu: np.ndarray, *, n1: int, n2: int) -> tuple[float, float]:
    """Maximum-likelihood d (on outlier-filtered ratios) and its error (on all ratios).

    ``mu`` = r_{n2}/r_{n1} for every point, all ≥ 1.
    """
    mu, log_mu_all = _checked_ratios(mu)
    return _gride_mle(log_mu_all, drop_outlier_ratios(mu), n1=n1, n2=n2)


def _checked_ratios(mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ratios equal to 1 raised as DADApy does, and their logarithms; raises unless all are ≥ 1."""
    mu = np.where(mu == 1.0, 1.0 + 1e-6, mu)  # DADApy: mus == 1 get += 10·eps (eps = 1e-7)
    log_mu_all = np.log(mu)
    if log_mu_all.size < 2 or np.any(log_mu_all <= 0):
        raise DegenerateCloudError("GRIDE needs at least 2 distance ratios, all at least 1.")
    return mu, log_mu_all


def _gride_mle(log_mu_all: np.ndarray, kept: np.ndarray, *, n1: int, n2: int) -> tuple[float, float]:
    """:func:`gride_mle` from the logs of all checked ratios and the outlier-filtered ratios."""
    log_mu = np.log(kept)
    low, high = _BRACKET
    if n2 - n1 == 1:  # n1 = 1, n2 = 2: the score is (N−1)/d − Σ log μ, solved in closed form
        d = (log_mu.size - 1) / float(np.sum(log_mu))
    elif _score(low, log_mu, n1, n2) <= 0:  # the score decreases in d: clamp to the bracket
        d = low
    elif _score(high, log_mu, n1, n2) >= 0:
        d = high
    else:
        from scipy.optimize import brentq  # here, not at import: scipy.optimize takes ~0.3 s to import

        d = brentq(_score, low, high, args=(log_mu, n1, n2), xtol=1e-12, rtol=1e-14, maxiter=500)
    return float(d), float(1.0 / np.sqrt(_fisher_information(d, log_mu_all, n1, n2)))


def drop_outlier_ratios(mu: np.ndarray) -> np.ndarray:
    """Keep ratios below q50 + 20·(q95 − q50) (linear-interpolated percentiles), DADApy's rule."""
    q95, q50 = np.percentile(mu, [95, 50])
    return mu[mu < 20.0 * (q95 - q50) + q50]


def gride_from_neighbors(neighbors: Neighbors, *, range_scaling: int = 2, n_duplicates: int = 0) -> GrideResult:
    """GRIDE at n2 = range_scaling, n1 = range_scaling/2, from neighbours of a duplicate-free cloud."""
    n2 = check_positive_int(range_scaling, name="range_scaling", minimum=2)
    if n2 & (n2 - 1):
        raise GeometryError(f"range_scaling must be a power of two (2, 4, 8, …); got {range_scaling}.")
    n1 = n2 // 2
    if neighbors.k < n2:
        raise TooFewPointsError(
            f"GRIDE at range scaling {n2} needs {n2} neighbours per point (≥ {n2 + 1} distinct points); "
            f"got {neighbors.k} neighbours."
        )
    r_n1, r_n2 = neighbors.distances[:, n1 - 1], neighbors.distances[:, n2 - 1]
    if np.any(r_n1 <= 0):
        raise DegenerateCloudError("zero neighbour distances: remove exact duplicates before GRIDE.")
    mu, log_mu_all = _checked_ratios(r_n2 / r_n1)
    kept = drop_outlier_ratios(mu)
    d, error = _gride_mle(log_mu_all, kept, n1=n1, n2=n2)
    return GrideResult(
        id=d,
        error=error,
        range_scaling=n2,
        scale=float(np.mean((r_n1 + r_n2) / 2.0)),
        n_points=neighbors.n_points,
        n_duplicates=n_duplicates,
        n_outliers=int(mu.size - kept.size),
    )


def available_range_scalings(n_points: int, *, max_range_scaling: int) -> list[int]:
    """Range scalings 2, 4, … up to ``max_range_scaling`` that a cloud of ``n_points`` supports."""
    scalings, r = [], 2
    while r <= max_range_scaling and r <= n_points - 1:
        scalings.append(r)
        r *= 2
    return scalings


def _deduplicated_neighbors(points, *, k: int, what: str):
    array = check_points(points, min_points=k + 1, what=what)
    dedup = remove_duplicates(array)
    if dedup.points.shape[0] < k + 1:
        raise TooFewPointsError(
            f"{what} needs at least {k + 1} distinct points; got {dedup.points.shape[0]} "
            f"after removing {dedup.n_removed} exact duplicates."
        )
    return nearest_neighbors(dedup.points, k=k), dedup.n_removed


def gride(points, *, range_scaling: int = 2) -> GrideResult:
    """GRIDE intrinsic dimension of an (n, d) cloud at one range scaling; duplicates removed first."""
    neighbors, n_duplicates = _deduplicated_neighbors(points, k=range_scaling, what=f"GRIDE at range scaling {range_scaling}")
    return gride_from_neighbors(neighbors, range_scaling=range_scaling, n_duplicates=n_duplicates)
