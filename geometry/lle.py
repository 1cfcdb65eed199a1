"""Locally linear embedding (LLE) reconstruction weights and their transfer between models
(Roweis & Saul 2000, Science 290:2323; used by Lee et al. 2025, arXiv 2503.21073 to show that
token embeddings of different models share local geometry).

For token i with neighbours j ∈ N_k(i) (k nearest, self excluded, Euclidean), the weights
minimise ‖x_i − Σ_j w_ij x_j‖² subject to Σ_j w_ij = 1. With the local Gram matrix
G_jl = (x_j − x_i)·(x_l − x_i), regularised as G + R·I with R = reg·trace(G) (R = reg when the
trace is 0), the solution is w = G⁻¹1 / (1ᵀG⁻¹1) — exactly scikit-learn's
``sklearn.manifold._locally_linear.barycenter_weights``. The regulariser is needed when
k > d or when x_i lies in the affine hull of its neighbours (G singular); as reg → 0 the weights
then tend to the exact affine coefficients.

Transfer check: learn (neighbours, weights) in cloud A, apply them to the same tokens in cloud B
(any width), and measure the normalised reconstruction error

    E = Σ_i ‖y_i − Σ_j w_ij y_j‖² / Σ_i ‖y_i − ȳ‖²   (0 = perfect, ~1 = no better than the mean),

against B's own LLE weights (the best case), uniform weights on A's neighbours (are the weights
informative beyond the neighbourhood?) and uniform weights on k random other tokens (chance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.validation import check_points, check_positive_int

LLE_VERSION = 1
_BLOCK_BYTES = 2 * 2**20  # differences of one block of tokens in barycenter_weights


@dataclass(frozen=True)
class LLEWeights:
    """Barycentric reconstruction weights of each token from its k nearest neighbours.

    indices: (n, k) int, neighbours of each token (self excluded).
    weights: (n, k) float, each row sums to 1.
    reg:     regularisation used (R = reg · trace of the local Gram matrix).
    """

    indices: np.ndarray
    weights: np.ndarray
    reg: float

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])

    def reconstruct(self, points) -> np.ndarray:
        """Σ_j w_ij y_{n(i,j)} for a cloud ``points`` (n, d') of the same tokens."""
        y = check_points(points, min_points=self.indices.shape[0], what="an LLE reconstruction")
        if y.shape[0] != self.indices.shape[0]:
            raise GeometryError(
                f"the weights are for {self.indices.shape[0]} tokens but points has {y.shape[0]} rows."
            )
        return np.einsum("ik,ikd->id", self.weights, y[self.indices])


@dataclass(frozen=True)
class LLETransfer:
    """Reconstruction of cloud B with weights learnt in cloud A (same tokens).

    error_transfer: E with A's neighbours and weights applied in B.
    error_own:      E with B's own LLE weights (best case).
    error_uniform:  E with uniform weights 1/k on A's neighbours.
    error_random:   E with uniform weights on k random other tokens (chance level).
    token_errors:   (n,) ‖y_i − Σ_j w_ij y_j‖² / mean_i ‖y_i − ȳ‖² for the transferred weights.
    k, reg, seed:   settings (seed drives the random baseline).
    """

    error_transfer: float
    error_own: float
    error_uniform: float
    error_random: float
    token_errors: np.ndarray
    k: int
    reg: float
    seed: int


@numba.njit(nogil=True, cache=True)
def _neighbor_differences(x, indices, start, out):  # pragma: no cover - compiled
    # out[r, a] = x_j − x_i for i = start + r and j its a-th neighbour: one pass, no gathered copy.
    for r in range(out.shape[0]):
        for a in range(out.shape[1]):
            j = indices[start + r, a]
            for t in range(x.shape[1]):
                out[r, a, t] = x[j, t] - x[start + r, t]


def barycenter_weights(points: np.ndarray, indices: np.ndarray, *, reg: float = 1e-3) -> np.ndarray:
    """Weights w_i = (G_i + R_i I)⁻¹1 normalised to sum 1, for each point's neighbours.

    G_i is the Gram matrix of the neighbours' differences x_j − x_i and R_i = reg · trace(G_i).

    Parameters
    ----------
    points : numpy.ndarray, shape (n, d)
        The cloud.
    indices : numpy.ndarray of int, shape (n, k)
        The neighbours of each point (self excluded).
    reg : float
        Regulariser, relative to the trace.

    Returns
    -------
    numpy.ndarray, shape (n, k)
        Each row sums to 1.

    Examples
    --------
    >>> import numpy as np
    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [1.0, 1.0]])
    >>> barycenter_weights(points, np.array([[1, 3], [0, 2], [1, 3], [1, 0]]))[1].round(3).tolist()
    [0.5, 0.5]
    """
    x = np.ascontiguousarray(points, dtype=np.float64)
    indices = np.ascontiguousarray(indices, dtype=np.int64)
    n, k = indices.shape
    if indices.size and not (0 <= indices.min() and indices.max() < x.shape[0]):
        raise GeometryError(f"neighbour indices must lie in 0..{x.shape[0] - 1}; got {indices.min()}..{indices.max()}.")
    out = np.empty((n, k))
    ones = np.ones((k, 1))
    # Small blocks: the (b, k, d) differences stay in cache and their buffer is reused, which
    # halves the time against one big block; every number is computed exactly as before.
    rows_per_block = max(1, _BLOCK_BYTES // (8 * k * max(k, x.shape[1])))
    buffer = np.empty((min(n, rows_per_block), k, x.shape[1]))
    for start in range(0, n, rows_per_block):
        stop = min(n, start + rows_per_block)
        z = buffer[: stop - start]
        _neighbor_differences(x, indices, start, z)  # (b, k, d) differences x_j − x_i
        gram = z @ z.transpose(0, 2, 1)  # (b, k, k)
        trace = np.trace(gram, axis1=1, axis2=2)
        ridge = np.where(trace > 0, reg * trace, reg)
        gram[:, np.arange(k), np.arange(k)] += ridge[:, None]
        w = np.linalg.solve(gram, np.broadcast_to(ones, (stop - start, k, 1)))[:, :, 0]
        out[start:stop] = w / w.sum(axis=1, keepdims=True)
    return out


def lle_weights(points, *, k: int = 10, reg: float = 1e-3, neighbors: Neighbors | None = None) -> LLEWeights:
    """LLE weights of every row of a cloud from its k nearest neighbours.

    No de-duplication: a duplicate neighbour simply gets weight (it reconstructs x_i exactly).

    Parameters
    ----------
    points : array_like, shape (n, d)
        The cloud (n ≥ k + 1).
    k : int
        Neighbours per row.
    reg : float
        Regularisation > 0 of the local Gram matrix (scikit-learn's default 1e-3).
    neighbors : Neighbors, optional
        Precomputed neighbours (≥ k columns) that replace the search.

    Returns
    -------
    LLEWeights
        ``indices`` (n, k) the neighbours and ``weights`` (n, k) their weights, each row summing to 1.

    Raises
    ------
    TooFewPointsError
        n < k + 1.
    GeometryError
        reg ≤ 0 or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> line = np.arange(6.0)[:, None]  # each inner point is the midpoint of its two neighbours
    >>> lle_weights(line, k=2).weights[2].round(3).tolist()
    [0.5, 0.5]
    """
    k = check_positive_int(k, name="k")
    if not (np.isfinite(reg) and reg > 0):
        raise GeometryError(f"reg must be a finite number > 0 (e.g. 1e-3); got {reg!r}.")
    x = check_points(points, min_points=k + 1, what=f"LLE weights with k={k}")
    if neighbors is None:
        neighbors = nearest_neighbors(x, k=k)
    elif neighbors.n_points != x.shape[0]:
        raise GeometryError(f"neighbors were computed for {neighbors.n_points} points but points has {x.shape[0]} rows.")
    elif neighbors.k < k:
        raise TooFewPointsError(f"LLE with k={k} needs {k} neighbours per point; got {neighbors.k}.")
    indices = neighbors.indices[:, :k]
    return LLEWeights(indices=indices, weights=barycenter_weights(x, indices, reg=reg), reg=float(reg))


def _normalised_error(y: np.ndarray, reconstruction: np.ndarray, spread: float) -> tuple[float, np.ndarray]:
    residual = np.sum((y - reconstruction) ** 2, axis=1)
    return float(residual.sum() / (spread * y.shape[0])), residual / spread


def lle_transfer(
    points_a,
    points_b,
    *,
    k: int = 10,
    reg: float = 1e-3,
    neighbors_a: Neighbors | None = None,
    neighbors_b: Neighbors | None = None,
    seed: int = 0,
) -> LLETransfer:
    """Reconstruct cloud B with LLE weights learnt in cloud A (the same tokens).

    Returns the normalised error E (see module docstring) of the transferred weights and of three
    references: B's own weights, uniform weights on A's neighbours, uniform weights on k random
    other tokens drawn with ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    points_a, points_b : array_like, shapes (n, d_a) and (n, d_b)
        The two clouds of the same n tokens.
    k, reg : int, float
        As in :func:`lle_weights`.
    neighbors_a, neighbors_b : Neighbors, optional
        Precomputed neighbours (≥ k columns, of the full clouds) that replace the two searches.
    seed : int
        Seed of the random-neighbour reference.

    Returns
    -------
    LLETransfer
        ``error_transfer``, ``error_own``, ``error_uniform``, ``error_random`` and the
        per-token errors ``token_errors`` (n,).

    Raises
    ------
    GeometryError
        The clouds hold different numbers of tokens.
    DegenerateCloudError
        Cloud B has all tokens identical (E undefined).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(200, 3))
    >>> result = lle_transfer(a, a @ rng.normal(size=(3, 7)), k=5)  # a linear image of A
    >>> round(result.error_transfer, 4), round(result.error_random, 2)  # A's weights fit B
    (0.0018, 1.19)
    """
    k = check_positive_int(k, name="k")
    a = check_points(points_a, min_points=k + 1, name="points_a", what=f"LLE transfer with k={k}")
    b = check_points(points_b, min_points=k + 1, name="points_b", what=f"LLE transfer with k={k}")
    if a.shape[0] != b.shape[0]:
        raise GeometryError(
            f"points_a and points_b must hold the same tokens in the same order; got {a.shape[0]} and {b.shape[0]} rows."
        )
    n = b.shape[0]
    spread = float(np.mean(np.sum((b - b.mean(axis=0)) ** 2, axis=1)))
    if spread <= 0:
        raise DegenerateCloudError("all tokens of points_b are identical; the reconstruction error is undefined.")
    learnt = lle_weights(a, k=k, reg=reg, neighbors=neighbors_a)
    own = lle_weights(b, k=k, reg=reg, neighbors=neighbors_b)
    error_transfer, token_errors = _normalised_error(b, learnt.reconstruct(b), spread)
    error_own, _ = _normalised_error(b, own.reconstruct(b), spread)
    error_uniform, _ = _normalised_error(b, b[learnt.indices].mean(axis=1), spread)
    rng = np.random.default_rng(seed)
    random_indices = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        pick = rng.choice(n - 1, size=k, replace=False)
        random_indices[i] = pick + (pick >= i)  # skip token i itself
    error_random, _ = _normalised_error(b, b[random_indices].mean(axis=1), spread)
    return LLETransfer(
        error_transfer=error_transfer,
        error_own=error_own,
        error_uniform=error_uniform,
        error_random=error_random,
        token_errors=token_errors,
        k=int(k),
        reg=float(reg),
        seed=int(seed),
    )
