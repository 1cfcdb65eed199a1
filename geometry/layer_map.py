"""Emb2Emb between hidden states: which layer of model A maps best onto which layer of model B
(Lee et al. 2025, arXiv 2503.21073, §Emb2Emb on the residual stream).

Input: the hidden states of the same aligned tokens (n rows) at every layer of A, shape
(L_a + 1, n, d_a), and of B, (L_b + 1, n, d_b). For every pair (i, j) the affine map
y ≈ x W + b from A's layer i to B's layer j is fitted by ridge regression on a seeded training
split exactly as :func:`geometry.emb2emb.fit_emb2emb` does, and scored by the pooled held-out R²
(:func:`geometry.emb2emb.pooled_r2`).

Ridge on a common scale. Hidden states of different layers and models differ in norm by orders of
magnitude, so the penalty is given relative to the training cloud's total variance:

    λ = α · ‖X_train − x̄_train‖²_F / d_a        (α = ``relative_ridge``; λ = α × mean eigenvalue × n)

which makes the fit invariant to rescaling X (W scales by the inverse, predictions are unchanged).

Cost. With the SVD X_train − x̄ = U S Vᵀ of one of A's layers, the held-out predictions for any
target are P (Y_train − ȳ) + ȳ with P = (X_test − x̄) V diag(s/(s² + λ)) Uᵀ (n_test × n_train),
so one SVD and one product with all of B's layers stacked side by side fill a row of the grid.
BLAS runs on one thread: these matrices are small, and OpenBLAS's two threads waiting for each
other on a busy 2-core machine made the SVD 20× slower (6 s instead of 0.3 s for 462 × 576).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.blas import one_blas_thread
from geometry.emb2emb import CentredSVD, Emb2EmbMap, fit_emb2emb, split_indices
from geometry.errors import GeometryError

LAYER_MAP_VERSION = 1


@dataclass(frozen=True)
class LayerGrid:
    """Held-out R² of the Emb2Emb map for every pair of layers.

    r2_test:        (L_a + 1, L_b + 1); r2_test[i, j] maps A's hidden_states[i] to B's hidden_states[j].
    n_tokens:       aligned tokens; n_train of them fit the maps, the rest are held out.
    relative_ridge: α (see the module docstring); test_fraction, seed: the split.
    """

    r2_test: np.ndarray
    n_tokens: int
    n_train: int
    relative_ridge: float
    test_fraction: float
    seed: int

    def best_target(self, layer_a: int) -> int:
        """B's layer whose held-out R² from A's ``layer_a`` is highest."""
        return int(np.nanargmax(self.r2_test[layer_a]))


def absolute_ridge(x_train: np.ndarray, *, relative_ridge: float) -> float:
    """λ = α · ‖X_train − x̄‖²_F / d (the module docstring's scale-free ridge).

    Parameters
    ----------
    x_train : numpy.ndarray, shape (n, d)
        The training rows of A's layer.
    relative_ridge : float
        α ≥ 0.

    Returns
    -------
    float
        λ for :func:`geometry.emb2emb.fit_emb2emb`.

    Examples
    --------
    >>> import numpy as np
    >>> corners = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])  # ‖X − x̄‖²_F = 8
    >>> absolute_ridge(corners, relative_ridge=0.1)
    0.4
    """
    if not (np.isfinite(relative_ridge) and relative_ridge >= 0):
        raise GeometryError(f"relative_ridge must be a finite number ≥ 0; got {relative_ridge!r}.")
    centred = x_train - x_train.mean(axis=0)
    return float(relative_ridge * np.sum(centred**2) / x_train.shape[1])


def _stack(states, name: str) -> np.ndarray:
    array = np.asarray(states, dtype=np.float64)
    if array.ndim != 3 or array.shape[1] < 4 or array.shape[2] < 1:
        raise GeometryError(f"{name} must have shape (layers, tokens ≥ 4, features); got {array.shape}.")
    if not np.isfinite(array).all():
        raise GeometryError(f"{name} holds NaN or infinite values; use float32 or wider for the model.")
    return array


def layer_r2_grid(states_a, states_b, *, relative_ridge: float = 0.1, test_fraction: float = 0.25,
                  seed: int = 0) -> LayerGrid:
    """Held-out R² of the ridge map from every layer of A to every layer of B (the same tokens).

    Parameters
    ----------
    states_a, states_b : array_like, shapes (L_a + 1, n, d_a) and (L_b + 1, n, d_b)
        The hidden states of the same n tokens at every layer of A and of B.
    relative_ridge : float
        α: λ = α · ‖X_train − x̄‖²_F / d_a at each of A's layers (see the module docstring).
    test_fraction : float
        Share (0, 1) of the tokens held out.
    seed : int
        Seed of the split (as :func:`geometry.emb2emb.split_indices`).

    Returns
    -------
    LayerGrid
        ``r2_test`` (L_a + 1, L_b + 1) and the fit's parameters.

    Raises
    ------
    GeometryError
        Shapes that do not match, non-finite values, a bad ridge or test fraction.
    TooFewPointsError
        Too few tokens for the split.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(3, 60, 5))
    >>> b = np.stack([2 * a[0], a[1] @ rng.normal(size=(5, 5)), rng.normal(size=(60, 5))])
    >>> layer_r2_grid(a, b).r2_test.diagonal().round(2).tolist()  # B's last layer is noise
    [0.99, 0.99, -0.08]
    """
    a, b = _stack(states_a, "states_a"), _stack(states_b, "states_b")
    if a.shape[1] != b.shape[1]:
        raise GeometryError(f"states_a and states_b must hold the same tokens; got {a.shape[1]} and {b.shape[1]}.")
    train, test = split_indices(a.shape[1], test_fraction=test_fraction, seed=seed)
    if test.size == 0:
        raise GeometryError("the grid reports held-out R²: test_fraction must be above 0.")
    n_layers_b, d_b = b.shape[0], b.shape[2]
    target_means = b[:, train].mean(axis=1)                                      # (L_b + 1, d_b)
    targets = (b[:, train] - target_means[:, None]).transpose(1, 0, 2).reshape(train.size, -1)
    held_out = b[:, test].transpose(1, 0, 2)                                     # (n_test, L_b + 1, d_b)
    total = np.sum((held_out - held_out.mean(axis=0)) ** 2, axis=(0, 2))
    if np.any(total <= 0):
        raise GeometryError("a layer of B is constant on the held-out tokens; R² is undefined there.")
    r2_test = np.empty((a.shape[0], n_layers_b))
    with one_blas_thread():
        for i, x in enumerate(a):
            svd = CentredSVD.of(x[train])
            factors = svd.factors(ridge=absolute_ridge(x[train], relative_ridge=relative_ridge))
            hat = ((x[test] - svd.mean) @ svd.vt.T * factors) @ svd.u.T          # (n_test, n_train)
            prediction = (hat @ targets).reshape(test.size, n_layers_b, d_b) + target_means
            r2_test[i] = 1.0 - np.sum((held_out - prediction) ** 2, axis=(0, 2)) / total
    return LayerGrid(r2_test=r2_test, n_tokens=int(a.shape[1]), n_train=int(train.size),
                     relative_ridge=float(relative_ridge), test_fraction=float(test_fraction), seed=int(seed))


def fit_layer_map(points_a, points_b, *, relative_ridge: float = 0.1, test_fraction: float = 0.25,
                  seed: int = 0) -> Emb2EmbMap:
    """The map of one cell of :func:`layer_r2_grid` (same split, same λ), as an Emb2EmbMap.

    Parameters
    ----------
    points_a, points_b : array_like, shapes (n, d_a) and (n, d_b)
        The same n tokens at one layer of A and one of B.
    relative_ridge, test_fraction, seed
        As :func:`layer_r2_grid`.

    Returns
    -------
    Emb2EmbMap
        ``weights`` (d_a, d_b) and ``bias`` (d_b,), with the pooled R² on the training tokens
        and on the held-out ones.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(8).normal(size=(80, 4))
    >>> fitted = fit_layer_map(x, x @ np.random.default_rng(9).normal(size=(4, 3)), relative_ridge=1e-8)
    >>> round(fitted.r2_test, 6), fitted.weights.shape
    (1.0, (4, 3))
    """
    x = np.asarray(points_a, dtype=np.float64)
    if x.ndim != 2:
        raise GeometryError(f"points_a must be a 2-D array (tokens, features); got shape {x.shape}.")
    train, _ = split_indices(x.shape[0], test_fraction=test_fraction, seed=seed)
    ridge = absolute_ridge(x[train], relative_ridge=relative_ridge)
    with one_blas_thread():
        return fit_emb2emb(x, points_b, ridge=ridge, test_fraction=test_fraction, seed=seed)
