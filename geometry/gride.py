"""GRIDE intrinsic dimension (Denti, Doimo, Laio & Mira 2022, Sci. Rep. 12:20005).

For ranks n1 < n2, μ_i = r_{n2}/r_{n1} (distances to the n2-th and n1-th neighbours) has density

    f(μ) = d (μ^d − 1)^(n2−n1−1) / (B(n2−n1, n1) μ^((n2−1)d+1)),   μ > 1.

The maximum-likelihood d solves the score equation (with DADApy's (N−1) in place of N, so that
at n1 = 1, n2 = 2 it is the TwoNN MLE (N−1)/Σ log μ over the ratios that the outlier rule below
keeps — not the TwoNN MLE over all ratios, which has no outlier rule)

    (N−1)/d + Σ_i [ (n2−n1−1)/(1 − μ_i^(−d)) − (n2−1) ] log μ_i = 0,

which has a single root; it is bracketed on [1e-3, 1e3] and solved there (DADApy bisects to
1e-7; we use a safeguarded Newton iteration to ~1e-14, every range scaling at once, so values
agree to ~1e-7). The error bar is the inverse
square root of the Fisher information, on all N ratios (as DADApy):
    I(d) = N/d² + (n2−n1−1) Σ_i μ_i^(−d) (log μ_i)² / (1 − μ_i^(−d))².
"Range scaling" r uses n1 = r/2, n2 = r (r = 2, 4, 8, …).
Ties and outliers as DADApy 0.3.4 (``_utils/utils.py``: ``_filter_mus``, ``_neg_dloglik_did``,
``_fisher_info_scaling``): ratios equal to 1 (tied distances) are raised by 10·eps(float64)
≈ 2.2e-15; in the score, 1 − μ^(−d) is clamped from below at 2e-7 (twice DADApy's bisection
precision 1e-7), so a tied ratio adds ≈ 0 to the sum but still counts in N; in the Fisher
information it is clamped at 5·eps(float64). Ratios not below q50 + 20·(q95 − q50) are dropped as
outliers before the fit (not for the error); the reported scale is the mean over points of
(r_n1 + r_n2)/2, a distance.
Exact duplicate points are removed first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.duplicates import remove_duplicates
from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.statistic import Measurement, Statistic
from geometry.validation import check_points, check_positive_int

GRIDE_VERSION = 2  # 2: DADApy's tie rule (was: ties raised by 1e-6, no clamp)
_BRACKET = (1e-3, 1e3)
_TIE_LIFT = 10 * np.finfo(np.float64).eps  # DADApy: mus[mus == 1] += 10·eps(float64)
_SCORE_FLOOR = 2e-7  # DADApy: 1 − μ^(−d) < 2·eps is set to 2·eps, with its precision eps = 1e-7
_FISHER_FLOOR = 5 * np.finfo(np.float64).eps  # DADApy: the Fisher information's floor, 5·eps(float64)


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


def _gride_mles(mu: np.ndarray, n1: np.ndarray, n2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GRIDE at m (n1, n2) pairs at once: ``mu`` is (m, N), one row of ratios per pair.

    Returns the estimates d (m,), their errors (m,) and the number of outlier ratios dropped (m,).
    Ratios equal to 1 are raised as DADApy does; raises unless all ratios are ≥ 1.
    """
    mu = np.where(mu == 1.0, 1.0 + _TIE_LIFT, mu)
    log_mu_all = np.log(mu)
    if log_mu_all.shape[1] < 2 or np.any(log_mu_all <= 0):
        raise DegenerateCloudError("GRIDE needs at least 2 distance ratios, all at least 1.")
    kept = mu < _outlier_limits(mu)[:, None]
    # Dropped ratios stay in place with weight 0 (their log μ > 0 keeps every term finite).
    d = _solve_scores(log_mu_all, kept.astype(np.float64), n1.astype(np.float64), n2.astype(np.float64))
    a = (n2 - n1 - 1).astype(np.float64)
    # As DADApy: 1 − μ^(−d) computed as written (a power, not expm1), which for a tied ratio
    # μ = 1 + 2.2e-15 keeps its rounding (~1 % per term); the golden values hold DADApy's numbers.
    power = mu ** -d[:, None]
    one_minus = np.maximum(1.0 - power, _FISHER_FLOOR)
    fisher = log_mu_all.shape[1] / d**2 + a * np.sum(power * log_mu_all**2 / one_minus**2, axis=1)
    return d, 1.0 / np.sqrt(fisher), mu.shape[1] - kept.sum(axis=1)


def _solve_scores(log_mu: np.ndarray, weights: np.ndarray, n1: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """The root in d of each row's score equation, clamped to the bracket [1e-3, 1e3].

    score(d)  = (N−1)/d + Σ_i w_i [a/max(1 − μ_i^(−d), 2e-7) − b] log μ_i,   a = n2−n1−1, b = n2−1,
                N = Σ w_i (the floor is DADApy's; a clamped term does not depend on d)
    score'(d) = −(N−1)/d² − a Σ_i w_i μ_i^(−d) (log μ_i)² / (1 − μ_i^(−d))² [unclamped terms]  < 0

    The score decreases in d, so each row has one root. Newton's method from a lower bound of it
    (below), kept inside a shrinking bracket (a step that leaves it is replaced by the bracket's
    geometric midpoint), stops when a step or the bracket is below 1e-14·d (about 5 steps) — all
    rows at once (a few dozen array operations per layer instead of ~100 scalar score calls). For
    a = 0 (n1 = 1, n2 = 2) the root is (N−1)/Σ w log μ, exactly: the TwoNN MLE.
    """
    a, b = (n2 - n1 - 1)[:, None], (n2 - 1)[:, None]
    count = weights.sum(axis=1)

    def score_and_slope(d: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = -d[:, None] * log_mu[rows]
        exact_one_minus = -np.expm1(x)  # 1 − μ^(−d), accurate for small d·log μ
        unclamped = exact_one_minus >= _SCORE_FLOOR
        one_minus = np.where(unclamped, exact_one_minus, _SCORE_FLOOR)
        w, ell, aa = weights[rows], log_mu[rows], a[rows]
        score = (count[rows] - 1) / d + np.sum(w * (aa / one_minus - b[rows]) * ell, axis=1)
        slope = -(count[rows] - 1) / d**2 - aa[:, 0] * np.sum(
            np.where(unclamped, w * np.exp(x) * ell**2 / one_minus**2, 0.0), axis=1)
        return score, slope

    low, high = _BRACKET
    everything = np.arange(log_mu.shape[0])
    lo, hi = np.full(everything.size, low), np.full(everything.size, high)
    at_low, _ = score_and_slope(lo, everything)
    at_high, _ = score_and_slope(hi, everything)
    # Two lower bounds of the root, from 1/(1 − e^(−t)) ≥ 1 and ≥ 1/t + 1/2 (t > 0; the second is
    # coth(t/2) ≥ 2/t): the score is at least the score with either in its place, whose roots are
    # these. The score is convex, so Newton's steps from below stay below the root and rise to it.
    total = np.sum(weights * log_mu, axis=1)
    large_t = (count - 1) / (n1 * total)
    guess = np.maximum(large_t, (count - 1 + a[:, 0] * count) / ((b[:, 0] - a[:, 0] / 2) * total))
    exact = n2 - n1 == 1  # n1 = 1, n2 = 2: (N−1)/Σ log μ is the root (not clamped, as DADApy)
    d = np.where(exact, large_t, np.where(at_low <= 0, low, np.where(at_high >= 0, high, np.clip(guess, low, high))))
    active = np.flatnonzero((at_low > 0) & (at_high < 0) & ~exact)
    for _ in range(200):
        if active.size == 0:
            break
        x = d[active]
        score, slope = score_and_slope(x, active)
        lo[active] = np.where(score > 0, x, lo[active])
        hi[active] = np.where(score < 0, x, hi[active])
        newton = x - score / slope
        # Converged: a tiny step (even one that round-off put past the bracket), or no bracket left.
        tiny = 1e-14 * x
        converged = (score == 0) | (np.abs(newton - x) <= tiny) | (hi[active] - lo[active] <= tiny)
        outside = ~((newton > lo[active]) & (newton < hi[active]))
        d[active] = np.where(score == 0, x, np.where(outside & ~converged, np.sqrt(lo[active] * hi[active]), newton))
        active = active[~converged]
    return d


def _outlier_limits(mu: np.ndarray) -> np.ndarray:
    """Per row: q50 + 20·(q95 − q50) (linear-interpolated percentiles), DADApy's outlier limit."""
    q95, q50 = np.percentile(mu, [95, 50], axis=-1)
    return 20.0 * (q95 - q50) + q50


def drop_outlier_ratios(mu: np.ndarray) -> np.ndarray:
    """Keep ratios below q50 + 20·(q95 − q50) (linear-interpolated percentiles), DADApy's rule."""
    return mu[mu < _outlier_limits(mu)]


def gride_from_neighbors(neighbors: Neighbors, *, range_scaling: int = 2, n_duplicates: int = 0) -> GrideResult:
    """GRIDE at n2 = range_scaling, n1 = range_scaling/2, from neighbours of a duplicate-free cloud.

    Parameters
    ----------
    neighbors : Neighbors
        At least ``range_scaling`` neighbours of each point (``distances`` shape (n, k)).
    range_scaling : int
        n2, a power of two ≥ 2.
    n_duplicates : int
        Recorded in the result (duplicates the caller removed before the search).

    Returns
    -------
    GrideResult
        The ID, its error, the scale (mean distance to the n2-th neighbour) and the counts.

    Examples
    --------
    >>> import numpy as np
    >>> from geometry.neighbors import nearest_neighbors
    >>> rng = np.random.default_rng(0)
    >>> cube = rng.uniform(size=(800, 3)) @ rng.normal(size=(3, 6))  # a 3-D box in 6-D
    >>> round(gride_from_neighbors(nearest_neighbors(cube, k=8), range_scaling=8).id, 2)
    2.85
    """
    return gride_scan_from_neighbors(neighbors, range_scalings=[range_scaling], n_duplicates=n_duplicates)[0]


def gride_scan_from_neighbors(neighbors: Neighbors, *, range_scalings, n_duplicates: int = 0) -> list[GrideResult]:
    """GRIDE at several range scalings from one neighbour set of a duplicate-free cloud.

    The scalings are solved together (see :func:`_solve_scores`).

    Parameters
    ----------
    neighbors : Neighbors
        Neighbours of the duplicate-free cloud (``distances`` shape (n, k)).
    range_scalings : iterable of int
        Powers of two, each ≤ ``neighbors.k``.
    n_duplicates : int
        Recorded in every result.

    Returns
    -------
    list of GrideResult
        One a scaling, in the order given.

    Examples
    --------
    >>> import numpy as np
    >>> from geometry.neighbors import nearest_neighbors
    >>> box = np.random.default_rng(11).uniform(size=(600, 3))  # a filled cube
    >>> [round(r.id, 2) for r in gride_scan_from_neighbors(nearest_neighbors(box, k=8), range_scalings=[2, 4, 8])]
    [2.97, 2.7, 2.86]
    """
    scalings = [check_positive_int(r, name="range_scaling", minimum=2) for r in range_scalings]
    for n2 in scalings:
        if n2 & (n2 - 1):
            raise GeometryError(f"range_scaling must be a power of two (2, 4, 8, …); got {n2}.")
        if neighbors.k < n2:
            raise TooFewPointsError(
                f"GRIDE at range scaling {n2} needs {n2} neighbours per point (≥ {n2 + 1} distinct points); "
                f"got {neighbors.k} neighbours."
            )
    if not scalings:
        return []
    n2 = np.array(scalings)
    n1 = n2 // 2
    r_n1, r_n2 = neighbors.distances[:, n1 - 1].T, neighbors.distances[:, n2 - 1].T  # (m, N)
    if np.any(r_n1 <= 0):
        raise DegenerateCloudError("zero neighbour distances: remove exact duplicates before GRIDE.")
    ids, errors, outliers = _gride_mles(r_n2 / r_n1, n1, n2)
    scales = np.mean((r_n1 + r_n2) / 2.0, axis=1)
    return [GrideResult(id=float(ids[i]), error=float(errors[i]), range_scaling=int(n2[i]), scale=float(scales[i]),
                        n_points=neighbors.n_points, n_duplicates=n_duplicates, n_outliers=int(outliers[i]))
            for i in range(n2.size)]


def available_range_scalings(n_points: int, *, max_range_scaling: int) -> list[int]:
    """Range scalings 2, 4, … up to ``max_range_scaling`` that a cloud of ``n_points`` supports.

    Parameters
    ----------
    n_points : int
        Distinct points of the cloud (a scaling n2 needs n2 + 1 of them).
    max_range_scaling : int
        The largest scaling wanted.

    Returns
    -------
    list of int
        The powers of two n2 with 2 ≤ n2 ≤ max_range_scaling and n2 < n_points.

    Examples
    --------
    >>> available_range_scalings(100, max_range_scaling=64), available_range_scalings(20, max_range_scaling=64)
    ([2, 4, 8, 16, 32, 64], [2, 4, 8, 16])
    """
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
    """GRIDE intrinsic dimension of a cloud at one range scaling; duplicates removed first.

    Parameters
    ----------
    points : array_like, shape (n, d)
        The cloud (more than ``range_scaling`` distinct rows).
    range_scaling : int
        n2, a power of two ≥ 2 (n1 = n2/2).

    Returns
    -------
    GrideResult
        The ID, its error, the scale, the distinct points used and the duplicates removed.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> plane = rng.uniform(size=(1000, 2)) @ rng.normal(size=(2, 5))  # a 2-D plane in 5-D
    >>> round(gride(plane, range_scaling=4).id, 2)
    2.02
    """
    neighbors, n_duplicates = _deduplicated_neighbors(points, k=range_scaling, what=f"GRIDE at range scaling {range_scaling}")
    return gride_from_neighbors(neighbors, range_scaling=range_scaling, n_duplicates=n_duplicates)


def _gride_statistic(cloud, *, settings) -> Measurement:
    """GRIDE at range scalings 2, 4, … up to ``settings.max_range_scaling`` on one layer's distinct
    points (the scalings the layer has too few distinct points for are left out, with a note)."""
    scalings = available_range_scalings(10**9, max_range_scaling=settings.max_range_scaling)
    skipped = [s for s in scalings if s > cloud.neighbors.k]
    problems = [f"GRIDE at range scaling {', '.join(map(str, skipped))} needs {skipped[0] + 1} distinct tokens "
                "or more, so it is left out"] if skipped else []
    try:
        results = gride_scan_from_neighbors(cloud.neighbors, range_scalings=[s for s in scalings if s not in skipped])
    except GeometryError as error:
        return Measurement(values={}, problems=(*problems, f"GRIDE: {error}"))
    return Measurement(values={f"gride_{r.range_scaling}": r.id for r in results},
                       errors={f"gride_{r.range_scaling}": r.error for r in results}, problems=tuple(problems))


STATISTIC = Statistic(
    name="gride", label="GRIDE", version=GRIDE_VERSION, needs="cloud", compute=_gride_statistic,
    columns=lambda settings: tuple(f"gride_{r}" for r in available_range_scalings(
        10**9, max_range_scaling=settings.max_range_scaling)),
    column_label=lambda column: f"GRIDE r={column.removeprefix('gride_')}",
    selectable=("gride_2", "gride_4", "gride_8"), with_error=True, dimension=True, axis="intrinsic dimension",
    description="GRIDE (Denti et al. 2022): the ratios r_{2n}/r_n of each distinct token's neighbours, "
                "at range scaling 2n.")
