"""Local (per-token) intrinsic dimension (Lee et al. 2025, arXiv 2503.21073; Levina & Bickel
2005, NeurIPS 17; MacKay & Ghahramani 2005, "Comments on Levina & Bickel").

Two estimators of the ID around each token i, both from its k nearest neighbours (self excluded):

* ``"mle"`` — Levina–Bickel maximum likelihood with distances T_1 ≤ … ≤ T_k:

      m_i = (k − 1) / Σ_{j=1}^{k−1} log(T_k / T_j).

  Normalisation: **k − 1** (Levina & Bickel's original; scikit-dimension ``skdim.id.MLE`` with
  ``unbiased=False``). Because Σ_j log(T_k/T_j) ~ Gamma(k − 1, rate d) for a locally uniform
  d-dimensional cloud, E[1/m_i] = 1/d exactly, while E[m_i] = d (k − 1)/(k − 2): each pointwise
  value is biased upward by (k − 1)/(k − 2) (the "k − 2" variant removes that, but then its
  harmonic mean is biased low by (k − 2)/(k − 1)). With k − 1 the harmonic mean below is
  MacKay & Ghahramani's consistent global estimate and equals skdim's ``comb="mle"``.
* ``"pca"`` — local PCA: the point and its k neighbours (k + 1 points) are centred on their own
  mean; the ID is the number of principal components needed to explain at least
  ``variance_threshold`` of their variance, m_i = #{m : C_m < threshold} + 1 with C_m the
  cumulative explained-variance fraction (skdim ``lPCA(ver="ratio", alphaRatio=threshold)`` on
  that neighbourhood) — the kind of "simple per-token measure" Lee et al. use (their exact
  definition was not checked here: state the estimator on screen). Note: skdim's pointwise
  lPCA (``fit_pw``) uses the k neighbours *without* the point itself; here it is included.

Aggregate with :func:`harmonic_mean_id`, not the arithmetic mean: the estimator is unbiased for
1/d, not d, and E[m_i] = d (k − 1)/(k − 2) diverges at k = 2 (pointwise TwoNN), so a few tiny
log-ratios make the arithmetic mean explode while the harmonic mean stays consistent.

Exact duplicate points (zero distances) are removed before the neighbour search when it is made
here; every duplicate row then receives the local ID of its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from geometry.duplicates import remove_duplicates
from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.validation import check_points, check_positive_int

LOCAL_ID_VERSION = 1
LocalIDMethod = Literal["mle", "pca"]
_BLOCK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class LocalID:
    """Per-token local intrinsic dimension.

    ids:                (n,) float, one value per input row (duplicates share their first
                        occurrence's value); integers stored as floats for "pca".
    method:             "mle" (Levina–Bickel, k − 1 normalisation) or "pca".
    k:                  neighbours used per token.
    variance_threshold: explained-variance fraction for "pca" (None for "mle").
    distinct_rows:      (m,) rows holding the first occurrence of each distinct vector (all rows
                        when there are no duplicates); the estimates were made on these.
    n_duplicates:       exact duplicate rows removed before the neighbour search (n − m).
    """

    ids: np.ndarray
    method: str
    k: int
    variance_threshold: float | None
    distinct_rows: np.ndarray
    n_duplicates: int = 0

    @property
    def harmonic_mean(self) -> float:
        """Harmonic mean of the per-token IDs over distinct points (see :func:`harmonic_mean_id`)."""
        return harmonic_mean_id(self.ids[self.distinct_rows])


def harmonic_mean_id(ids) -> float:
    """n / Σ_i 1/m_i — the aggregate of pointwise ID estimates.

    For Levina–Bickel with the k − 1 normalisation this is the MacKay–Ghahramani global estimate
    (k − 1)·n / Σ_i Σ_j log(T_k/T_j); the arithmetic mean is biased by (k − 1)/(k − 2) and
    diverges at k = 2.

    Parameters
    ----------
    ids : array_like, shape (n,)
        Pointwise ID estimates m_i > 0.

    Returns
    -------
    float
        The harmonic mean.

    Examples
    --------
    >>> harmonic_mean_id([1.0, 2.0, 4.0])
    1.7142857142857142
    """
    values = np.asarray(ids, dtype=np.float64).ravel()
    if values.size == 0:
        raise TooFewPointsError("the harmonic mean needs at least one local ID; got none.")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise GeometryError("local IDs must be finite and positive to take their harmonic mean.")
    return float(values.size / np.sum(1.0 / values))


def mle_from_neighbors(neighbors: Neighbors, *, k: int) -> np.ndarray:
    """Levina–Bickel m_i = (k − 1) / Σ_{j<k} log(T_k/T_j) from the first k neighbour distances.

    Parameters
    ----------
    neighbors : Neighbors
        At least k neighbours of each point of a duplicate-free cloud.
    k : int
        Neighbours used (≥ 2).

    Returns
    -------
    numpy.ndarray, shape (n,)
        One local ID a point.

    Examples
    --------
    >>> import numpy as np
    >>> from geometry.neighbors import nearest_neighbors
    >>> square = np.random.default_rng(12).uniform(size=(500, 2))
    >>> ids = mle_from_neighbors(nearest_neighbors(square, k=10), k=10)
    >>> ids.shape, round(float(np.median(ids)), 2)
    ((500,), 1.98)
    """
    k = check_positive_int(k, name="k", minimum=2)
    if neighbors.k < k:
        raise TooFewPointsError(f"the local MLE with k={k} needs {k} neighbours per point; got {neighbors.k}.")
    distances = neighbors.distances[:, :k]
    if np.any(distances[:, 0] <= 0):
        raise DegenerateCloudError(
            f"{int(np.sum(distances[:, 0] <= 0))} points have a zero distance to their nearest neighbour; "
            "remove exact duplicates before the local MLE."
        )
    total = np.sum(np.log(distances[:, -1:] / distances[:, :-1]), axis=1)
    if np.any(total <= 0):
        raise DegenerateCloudError(
            f"{int(np.sum(total <= 0))} points have all {k} neighbours at the same distance; "
            "the local MLE is infinite there. Use a larger k."
        )
    return (k - 1) / total


def pca_from_neighbors(points: np.ndarray, neighbors: Neighbors, *, k: int, variance_threshold: float) -> np.ndarray:
    """Components needed to explain ``variance_threshold`` of the variance of each point's
    (k + 1)-point neighbourhood (the point and its k neighbours, centred on their mean).

    Parameters
    ----------
    points : numpy.ndarray, shape (n, d)
        A duplicate-free cloud.
    neighbors : Neighbors
        At least k neighbours of each point.
    k : int
        Neighbours used (≥ 2).
    variance_threshold : float
        Share (0, 1] of the neighbourhood's variance the components must explain.

    Returns
    -------
    numpy.ndarray, shape (n,)
        The number of components at each point (as floats).

    Examples
    --------
    >>> import numpy as np
    >>> from geometry.neighbors import nearest_neighbors
    >>> sheet = np.random.default_rng(13).uniform(size=(400, 2)) @ np.eye(2, 3)  # flat, in 3-D
    >>> counts = pca_from_neighbors(sheet, nearest_neighbors(sheet, k=8), k=8, variance_threshold=0.9)
    >>> float(counts.max()), int((counts == 2).sum())
    (2.0, 396)
    """
    k = check_positive_int(k, name="k", minimum=2)
    if not 0.0 < variance_threshold <= 1.0:
        raise GeometryError(f"variance_threshold must be in (0, 1]; got {variance_threshold!r}.")
    if neighbors.k < k:
        raise TooFewPointsError(f"local PCA with k={k} needs {k} neighbours per point; got {neighbors.k}.")
    x = points
    n, d = x.shape
    out = np.empty(n)
    rows_per_block = max(1, _BLOCK_BYTES // (8 * (k + 1) * d))
    for start in range(0, n, rows_per_block):
        stop = min(n, start + rows_per_block)
        members = np.concatenate([np.arange(start, stop)[:, None], neighbors.indices[start:stop, :k]], axis=1)
        hood = x[members]  # (b, k + 1, d)
        hood = hood - hood.mean(axis=1, keepdims=True)
        # Squared singular values = eigenvalues of the (k + 1) × (k + 1) Gram matrix (cheaper than
        # an SVD of the (k + 1) × d block when d is large); descending, negatives are round-off.
        gram = hood @ hood.transpose(0, 2, 1)
        variances = np.maximum(np.linalg.eigvalsh(gram)[:, ::-1][:, : min(k + 1, d)], 0.0)
        totals = variances.sum(axis=1, keepdims=True)
        if np.any(totals <= 0):
            raise DegenerateCloudError("a neighbourhood has zero variance; remove exact duplicates before local PCA.")
        cumulative = np.cumsum(variances, axis=1) / totals
        out[start:stop] = np.minimum(np.sum(cumulative < variance_threshold, axis=1) + 1, variances.shape[1])
    return out


def local_id(
    points,
    *,
    k: int,
    method: LocalIDMethod = "mle",
    variance_threshold: float = 0.9,
    neighbors: Neighbors | None = None,
) -> LocalID:
    """Per-token local ID of a cloud from each token's k nearest neighbours.

    Parameters
    ----------
    points : array_like, shape (n, d)
        The cloud.
    k : int
        Neighbours per token (≥ 2); state it on screen with the method.
    method : {"mle", "pca"}
        Levina–Bickel MLE (k − 1 normalisation) or local PCA.
    variance_threshold : float
        For "pca", the fraction of variance the components must explain.
    neighbors : Neighbors, optional
        Precomputed neighbours (≥ k columns) of ``points`` itself, which must then be
        duplicate-free; otherwise duplicates are removed and the search is made here.

    Returns
    -------
    LocalID
        ``ids`` (n,) one estimate per row (duplicates share their first occurrence's),
        ``distinct_rows`` (m,) the rows of the distinct vectors, and the method's parameters.

    Raises
    ------
    TooFewPointsError
        Fewer than k + 1 distinct points.
    DegenerateCloudError
        Zero neighbour distances (duplicates) in precomputed neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.random.default_rng(0).uniform(0, 6, size=1000)
    >>> helix = np.column_stack([np.cos(t), np.sin(t), t])  # a curve: one dimension
    >>> result = local_id(helix, k=10)
    >>> result.ids.shape, round(harmonic_mean_id(result.ids), 2)
    ((1000,), 1.0)
    """
    k = check_positive_int(k, name="k", minimum=2)
    if method not in ("mle", "pca"):
        raise GeometryError(f"method must be 'mle' or 'pca'; got {method!r}.")
    if method == "pca" and not 0.0 < variance_threshold <= 1.0:
        raise GeometryError(f"variance_threshold must be in (0, 1]; got {variance_threshold!r}.")
    x = check_points(points, min_points=k + 1, what=f"a local ID with k={k}")
    if neighbors is not None:
        if neighbors.n_points != x.shape[0]:
            raise GeometryError(
                f"neighbors were computed for {neighbors.n_points} points but points has {x.shape[0]} rows; "
                "pass the (duplicate-free) cloud the neighbours were computed on."
            )
        distinct, keep, inverse = x, np.arange(x.shape[0]), np.arange(x.shape[0])
    else:
        dedup = remove_duplicates(x)
        distinct, keep, inverse = dedup.points, dedup.keep, dedup.inverse
        if distinct.shape[0] < k + 1:
            raise TooFewPointsError(
                f"a local ID with k={k} needs at least {k + 1} distinct points; got {distinct.shape[0]} "
                f"after removing {x.shape[0] - distinct.shape[0]} exact duplicates. Use a smaller k or a longer prompt."
            )
        neighbors = nearest_neighbors(distinct, k=k)
    if method == "mle":
        ids = mle_from_neighbors(neighbors, k=k)
    else:
        if np.any(neighbors.distances[:, 0] <= 0):
            raise DegenerateCloudError("zero neighbour distances: remove exact duplicates before local PCA.")
        ids = pca_from_neighbors(distinct, neighbors, k=k, variance_threshold=variance_threshold)
    return LocalID(
        ids=ids[inverse],
        method=method,
        k=k,
        variance_threshold=float(variance_threshold) if method == "pca" else None,
        distinct_rows=keep,
        n_duplicates=int(x.shape[0] - distinct.shape[0]),
    )
