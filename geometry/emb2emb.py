"""Emb2Emb: a linear map between two models' embeddings and steering-vector transfer
(Lee et al. 2025, arXiv 2503.21073).

Map. On the same tokens, rows x_i of model A (width d_a) and y_i of model B (width d_b), fit

    min_{W, b}  Σ_i ‖y_i − x_i W − b‖² + λ ‖W‖_F²     (bias not penalised)

on a seeded training split. With centred training data X_c = X − x̄, Y_c = Y − ȳ, W is the
least-squares solution of the stacked system [X_c; √λ I] W = [Y_c; 0] (``numpy.linalg.lstsq``),
i.e. W = V diag(s/(s² + λ)) Uᵀ Y_c for the thin SVD X_c = U S Vᵀ, and b = ȳ − x̄ W. λ = 0 gives
ordinary least squares (minimum-norm when d_a ≥ n_train; singular values below
max(n, d)·eps·s_max are dropped, lstsq's default cutoff).
Quality is the pooled coefficient of determination on the held-out tokens,

    R² = 1 − Σ_i ‖y_i − ŷ_i‖² / Σ_i ‖y_i − ȳ_test‖²,

(the "variance-weighted" R² of scikit-learn: every coordinate counts by its variance, so
near-constant hidden dimensions do not dominate).

Steering transfer. For two token groups P and Q, A's steering vector is v_A = mean_P x − mean_Q x.
Its image under the map is v_A W (the bias cancels in a difference); it is compared with B's own
steering vector v_B = mean_P y − mean_Q y by cosine similarity. Fit the map on tokens other than
P ∪ Q when the transfer should be a genuine prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.validation import check_points


@dataclass(frozen=True)
class Emb2EmbMap:
    """Affine map y ≈ x W + b from model A's space to model B's.

    weights:        (d_a, d_b); bias: (d_b,).
    ridge:          λ used.
    r2_train:       pooled R² on the training tokens.
    r2_test:        pooled R² on the held-out tokens (nan when test_fraction = 0).
    train_indices, test_indices: rows used for fitting and for R².
    seed:           seed of the split.
    """

    weights: np.ndarray
    bias: np.ndarray
    ridge: float
    r2_train: float
    r2_test: float
    train_indices: np.ndarray
    test_indices: np.ndarray
    seed: int

    def apply(self, points) -> np.ndarray:
        """Map (n, d_a) rows of model A into model B's space: x W + b."""
        x = check_points(points, what="applying an Emb2Emb map")
        if x.shape[1] != self.weights.shape[0]:
            raise GeometryError(f"the map expects {self.weights.shape[0]} features; got {x.shape[1]}.")
        return x @ self.weights + self.bias


@dataclass(frozen=True)
class SteeringTransfer:
    """A's steering vector mapped into B, compared with B's own.

    cosine:        cos(v_A W, v_B) in [−1, 1].
    mapped:        (d_b,) v_A W; target: (d_b,) v_B.
    norm_ratio:    ‖v_A W‖ / ‖v_B‖.
    """

    cosine: float
    mapped: np.ndarray
    target: np.ndarray
    norm_ratio: float


def pooled_r2(y: np.ndarray, prediction: np.ndarray) -> float:
    """1 − Σ‖y − ŷ‖² / Σ‖y − ȳ‖² over all rows and coordinates (scikit-learn's "variance_weighted" R²).

    Parameters
    ----------
    y, prediction : numpy.ndarray, shape (n, d)
        The targets and their predictions.

    Returns
    -------
    float
        The pooled coefficient of determination.

    Raises
    ------
    DegenerateCloudError
        The target rows are all identical (R² undefined).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    >>> pooled_r2(y, y), pooled_r2(y, np.broadcast_to(y.mean(axis=0), y.shape))
    (1.0, 0.0)
    """
    total = float(np.sum((y - y.mean(axis=0)) ** 2))
    if total <= 0:
        raise DegenerateCloudError("the target tokens are all identical; R² is undefined.")
    return 1.0 - float(np.sum((y - prediction) ** 2)) / total


@dataclass(frozen=True)
class CentredSVD:
    """x̄ and the thin SVD U S Vᵀ of X − x̄, computed once and reused for many targets Y (the
    layer grid of :mod:`geometry.layer_map`)."""

    mean: np.ndarray
    u: np.ndarray
    s: np.ndarray
    vt: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> "CentredSVD":
        mean = x.mean(axis=0)
        u, s, vt = np.linalg.svd(x - mean, full_matrices=False)
        return cls(mean=mean, u=u, s=s, vt=vt)

    def factors(self, *, ridge: float = 0.0) -> np.ndarray:
        """f_k = s_k / (s_k² + ridge), or 1/s_k for ridge = 0 (0 below the rank cutoff)."""
        s = self.s
        if ridge > 0:
            return s / (s**2 + ridge)
        cutoff = max(self.u.shape[0], self.vt.shape[1]) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
        return np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)


def fit_linear_map(x: np.ndarray, y: np.ndarray, *, ridge: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) minimising ‖Y − XW − b‖² + ridge·‖W‖² (see the module docstring).

    Parameters
    ----------
    x, y : numpy.ndarray, shapes (n, d_a) and (n, d_b)
        Inputs and targets.
    ridge : float
        λ ≥ 0 (the bias is not penalised).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        W (d_a, d_b) and b (d_b,).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0], [4.0]])
    >>> weights, bias = fit_linear_map(x, 3 * x + 1)
    >>> weights.round(12).tolist(), bias.round(12).tolist()
    ([[3.0]], [1.0])
    """
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - x_mean, y - y_mean
    if ridge > 0:  # ridge as least squares: √λ I below X_c, zeros below Y_c
        xc = np.vstack([xc, np.sqrt(ridge) * np.eye(x.shape[1])])
        yc = np.vstack([yc, np.zeros((x.shape[1], y.shape[1]))])
    weights = np.linalg.lstsq(xc, yc, rcond=None)[0]
    return weights, y_mean - x_mean @ weights


def split_indices(n: int, *, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (train, test) row indices of a seeded split, each sorted.

    ``default_rng(seed).permutation(n)`` orders the rows and the first round(test_fraction·n) are
    held out.

    Parameters
    ----------
    n : int
        Rows to split.
    test_fraction : float
        Share [0, 1) held out.
    seed : int
        Seed of the permutation.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The training rows (n − n_test,) and the held-out rows (n_test,).

    Raises
    ------
    GeometryError
        test_fraction outside [0, 1).
    TooFewPointsError
        Fewer than 2 training or (when test_fraction > 0) 2 test rows.

    Examples
    --------
    >>> train, test = split_indices(10, test_fraction=0.3, seed=0)
    >>> train.tolist(), test.tolist()
    ([0, 1, 3, 5, 7, 8, 9], [2, 4, 6])
    """
    if not 0.0 <= test_fraction < 1.0:
        raise GeometryError(f"test_fraction must be in [0, 1); got {test_fraction!r}.")
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test_fraction * n))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    if train.size < 2 or (test_fraction > 0 and test.size < 2):
        raise TooFewPointsError(
            f"an Emb2Emb map needs at least 2 training and 2 held-out tokens; got {train.size} and {test.size} "
            f"from {n} tokens with test_fraction={test_fraction}."
        )
    return train, test


def fit_emb2emb(
    points_a,
    points_b,
    *,
    ridge: float = 0.0,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Emb2EmbMap:
    """Fit the Emb2Emb affine map y ≈ x W + b from model A's tokens to model B's (the same tokens).

    ``numpy.random.default_rng(seed).permutation(n)`` orders the tokens; the first
    round(test_fraction·n) are held out for R².

    Parameters
    ----------
    points_a, points_b : array_like, shapes (n, d_a) and (n, d_b)
        The same n tokens in the two models.
    ridge : float
        λ ≥ 0 (0: least squares, minimum-norm when d_a ≥ n_train).
    test_fraction : float
        Share [0, 1) of the tokens held out.
    seed : int
        Seed of the split.

    Returns
    -------
    Emb2EmbMap
        ``weights`` (d_a, d_b), ``bias`` (d_b,), pooled R² on the training and held-out tokens,
        and the split's row indices.

    Raises
    ------
    GeometryError
        Mismatched token counts, ridge < 0, test_fraction outside [0, 1).
    TooFewPointsError
        Fewer than 2 training or (when test_fraction > 0) 2 test tokens.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(100, 6))
    >>> fitted = fit_emb2emb(a, a @ rng.normal(size=(6, 4)) + 0.5, test_fraction=0.2, seed=0)
    >>> fitted.weights.shape, round(fitted.r2_test, 6)
    ((6, 4), 1.0)
    """
    a = check_points(points_a, min_points=2, name="points_a", what="an Emb2Emb map")
    b = check_points(points_b, min_points=2, name="points_b", what="an Emb2Emb map")
    if a.shape[0] != b.shape[0]:
        raise GeometryError(
            f"points_a and points_b must hold the same tokens in the same order; got {a.shape[0]} and {b.shape[0]} rows."
        )
    if not (np.isfinite(ridge) and ridge >= 0):
        raise GeometryError(f"ridge must be a finite number ≥ 0; got {ridge!r}.")
    train, test = split_indices(a.shape[0], test_fraction=test_fraction, seed=seed)
    weights, bias = fit_linear_map(a[train], b[train], ridge=float(ridge))
    r2_train = pooled_r2(b[train], a[train] @ weights + bias)
    r2_test = pooled_r2(b[test], a[test] @ weights + bias) if test.size else float("nan")
    return Emb2EmbMap(
        weights=weights,
        bias=bias,
        ridge=float(ridge),
        r2_train=r2_train,
        r2_test=r2_test,
        train_indices=train,
        test_indices=test,
        seed=int(seed),
    )


def _group(selector, n: int, name: str) -> np.ndarray:
    sel = np.asarray(selector)
    if sel.dtype == bool:
        if sel.shape != (n,):
            raise GeometryError(f"{name} as a boolean mask must have shape ({n},); got {sel.shape}.")
        sel = np.flatnonzero(sel)
    elif sel.ndim != 1 or not np.issubdtype(sel.dtype, np.integer):
        raise GeometryError(f"{name} must be a 1-D array of token indices or a boolean mask.")
    if sel.size == 0:
        raise TooFewPointsError(f"{name} selects no tokens; a steering vector needs at least one per group.")
    if sel.min() < -n or sel.max() >= n:
        raise GeometryError(f"{name} holds an index outside 0..{n - 1}.")
    return sel


def steering_transfer(points_a, points_b, *, positive, negative, linear_map: Emb2EmbMap) -> SteeringTransfer:
    """Map A's steering vector through ``linear_map`` and compare it with B's own.

    A's steering vector is the mean of the ``positive`` tokens minus the mean of the ``negative``
    ones; B's is the same difference in B.

    Parameters
    ----------
    points_a, points_b : array_like, shapes (n, d_a) and (n, d_b)
        The same n tokens in the two models.
    positive, negative : array_like of int or bool
        Token indices, or boolean masks of shape (n,).
    linear_map : Emb2EmbMap
        A map from A's space (d_a) to B's (d_b).

    Returns
    -------
    SteeringTransfer
        ``cosine`` of the mapped and B's vectors, both vectors (d_b,), and their norm ratio.

    Raises
    ------
    DegenerateCloudError
        A steering vector (or its image) is zero, so the cosine is undefined.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(100, 6))
    >>> b = a @ rng.normal(size=(6, 4))
    >>> fitted = fit_emb2emb(a, b)
    >>> transfer = steering_transfer(a, b, positive=np.arange(50), negative=np.arange(50, 100), linear_map=fitted)
    >>> round(transfer.cosine, 6), round(transfer.norm_ratio, 6)
    (1.0, 1.0)
    """
    a = check_points(points_a, name="points_a", what="a steering vector")
    b = check_points(points_b, name="points_b", what="a steering vector")
    if a.shape[0] != b.shape[0]:
        raise GeometryError(f"points_a and points_b must hold the same tokens; got {a.shape[0]} and {b.shape[0]} rows.")
    if a.shape[1] != linear_map.weights.shape[0] or b.shape[1] != linear_map.weights.shape[1]:
        raise GeometryError(
            f"the map goes from {linear_map.weights.shape[0]} to {linear_map.weights.shape[1]} features; "
            f"got clouds of {a.shape[1]} and {b.shape[1]}."
        )
    pos, neg = _group(positive, a.shape[0], "positive"), _group(negative, a.shape[0], "negative")
    mapped = (a[pos].mean(axis=0) - a[neg].mean(axis=0)) @ linear_map.weights
    target = b[pos].mean(axis=0) - b[neg].mean(axis=0)
    nm, nt = np.linalg.norm(mapped), np.linalg.norm(target)
    if nm == 0 or nt == 0:
        raise DegenerateCloudError(
            "a steering vector is zero (the two groups have the same mean, or the map sends it to zero); "
            "choose groups that differ."
        )
    return SteeringTransfer(
        cosine=float(np.clip(np.dot(mapped, target) / (nm * nt), -1.0, 1.0)),
        mapped=mapped,
        target=target,
        norm_ratio=float(nm / nt),
    )
