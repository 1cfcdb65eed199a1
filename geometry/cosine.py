"""Cosine similarity of raw (uncentred) token vectors (Viswanathan et al. 2025, arXiv 2501.10573;
Lee et al. 2025, arXiv 2503.21073, "global" geometry).

    cos(x_i, x_j) = x_i · x_j / (‖x_i‖ ‖x_j‖)

The mean of the full N×N matrix (diagonal included, as in the reference code) needs no matrix:
with unit vectors u_i = x_i/‖x_i‖,

    Σ_ij cos(x_i, x_j) = ‖Σ_i u_i‖²,   so   mean_full = ‖Σ u_i‖² / N²,
    mean_offdiag = (‖Σ u_i‖² − Σ_i u_i·u_i) / (N (N − 1)),

which costs O(N·D) and works for whole vocabularies.

Zero vectors: the cosine with a zero vector is undefined. By default (``zero_vectors="raise"``)
a :class:`DegenerateCloudError` says how many rows are zero. With ``zero_vectors="zero"`` the
convention of scikit-learn's ``cosine_similarity`` (which the reference code uses) applies: a
zero vector has cosine 0 with every vector, itself included (so its diagonal entry is 0, not 1);
the number of such rows is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from geometry.errors import DegenerateCloudError, GeometryError
from geometry.statistic import Measurement, Statistic
from geometry.validation import check_points

COSINE_VERSION = 1
ZeroVectors = Literal["raise", "zero"]


@dataclass(frozen=True)
class MeanCosine:
    """Mean pairwise cosine similarity of a cloud.

    value:            the mean, in [−1, 1].
    include_diagonal: True → mean of the full N×N matrix (the reference's number);
                      False → mean over the N(N − 1) pairs i ≠ j.
    n_points:         N; n_zero_vectors: rows of zero norm (cosine 0 with everything).
    """

    value: float
    include_diagonal: bool
    n_points: int
    n_zero_vectors: int = 0


def _check_zero_vectors(zero_vectors) -> None:
    if zero_vectors not in ("raise", "zero"):
        raise GeometryError(f"zero_vectors must be 'raise' or 'zero'; got {zero_vectors!r}.")


def _zero_vectors_error(name: str, n_zero: int, n: int) -> DegenerateCloudError:
    return DegenerateCloudError(
        f"{name} has {n_zero} zero vectors (of {n}); their cosine similarity is undefined. "
        "Drop those rows, or pass zero_vectors='zero' to give them cosine 0 with everything."
    )


def unit_rows(points, *, zero_vectors: ZeroVectors = "raise", name: str = "points") -> tuple[np.ndarray, int]:
    """Rows scaled to unit norm (float64) and the number of zero rows (left as zeros).

    Parameters
    ----------
    points : array_like, shape (N, D)
        The rows.
    zero_vectors : {"raise", "zero"}
        A zero row raises, or stays zero.
    name : str
        How the rows are called in an error message.

    Returns
    -------
    (numpy.ndarray, int)
        The unit rows (N, D) and how many rows were zero.

    Examples
    --------
    >>> import numpy as np
    >>> units, n_zero = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]), zero_vectors="zero")
    >>> units.tolist(), n_zero
    ([[0.6, 0.8], [0.0, 0.0]], 1)
    """
    _check_zero_vectors(zero_vectors)
    x = check_points(points, min_points=1, name=name, what="a cosine similarity")
    # Scale each row by its largest entry first so the norm neither overflows nor underflows.
    peak = np.max(np.abs(x), axis=1, keepdims=True)
    zero = peak[:, 0] == 0.0
    n_zero = int(zero.sum())
    if n_zero and zero_vectors == "raise":
        raise _zero_vectors_error(name, n_zero, x.shape[0])
    scaled = x / np.where(zero[:, None], 1.0, peak)
    # The row norms exactly as np.linalg.norm(scaled, axis=1) computes them, without its copies.
    norms = np.sqrt(np.add.reduce(scaled * scaled, axis=1, keepdims=True))
    scaled /= np.where(zero[:, None], 1.0, norms)
    return scaled, n_zero


def cosine_similarity_matrix(points, *, zero_vectors: ZeroVectors = "raise") -> np.ndarray:
    """The matrix of cos(x_i, x_j), float64, clipped to [−1, 1], diagonal exactly 1.

    Memory O(N²): for prompts, not vocabularies.

    Parameters
    ----------
    points : array_like, shape (N, D)
        The rows.
    zero_vectors : {"raise", "zero"}
        A zero row raises, or has cosine 0 with every row (itself included).

    Returns
    -------
    numpy.ndarray, shape (N, N)
        The cosine similarities.

    Examples
    --------
    >>> cosine_similarity_matrix([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]).round(3).tolist()
    [[1.0, 0.707, 0.0], [0.707, 1.0, 0.707], [0.0, 0.707, 1.0]]
    """
    u, _ = unit_rows(points, zero_vectors=zero_vectors)
    matrix = np.clip(u @ u.T, -1.0, 1.0)
    np.fill_diagonal(matrix, np.where(np.any(u != 0.0, axis=1), 1.0, 0.0))
    return matrix


def mean_cosine_similarity(
    points, *, include_diagonal: bool = True, zero_vectors: ZeroVectors = "raise"
) -> MeanCosine:
    """Mean cosine similarity of the raw (uncentred) rows of a cloud, in O(N·D).

    ``include_diagonal=True`` gives ‖Σ u_i‖²/N² (the reference code's mean of the full matrix,
    always ≥ 0); ``False`` the off-diagonal mean (‖Σ u_i‖² − N_nonzero)/(N(N − 1)), which needs N ≥ 2.

    Parameters
    ----------
    points : array_like, shape (N, D)
        The rows.
    include_diagonal : bool
        Average the full N × N matrix (True) or its off-diagonal entries only.
    zero_vectors : {"raise", "zero"}
        A zero row raises, or counts with cosine 0.

    Returns
    -------
    MeanCosine
        The mean (``value``) and the numbers of rows and of zero rows.

    Examples
    --------
    >>> orthogonal = [[1.0, 0.0], [0.0, 1.0]]
    >>> mean_cosine_similarity(orthogonal).value, mean_cosine_similarity(orthogonal, include_diagonal=False).value
    (0.5, 0.0)
    """
    return _mean_from_sums(*_unit_sums(points, zero_vectors), include_diagonal=include_diagonal)


def mean_cosine_similarities(points, *, zero_vectors: ZeroVectors = "raise") -> tuple[MeanCosine, MeanCosine]:
    """Both means (diagonal included, then off-diagonal) from one pass over the rows.

    The same numbers as two calls of :func:`mean_cosine_similarity`, for half the work.

    Parameters
    ----------
    points : array_like, shape (N, D)
        The rows (N ≥ 2).
    zero_vectors : {"raise", "zero"}
        As :func:`mean_cosine_similarity`.

    Returns
    -------
    (MeanCosine, MeanCosine)
        The mean over the full matrix, then over its off-diagonal entries.

    Examples
    --------
    >>> full, off_diagonal = mean_cosine_similarities([[1.0, 0.0], [1.0, 1.0], [0.0, 3.0]])
    >>> round(full.value, 4), round(off_diagonal.value, 4)
    (0.6476, 0.4714)
    """
    sums = _unit_sums(points, zero_vectors)
    return _mean_from_sums(*sums, include_diagonal=True), _mean_from_sums(*sums, include_diagonal=False)


_SAFE_SQUARED_NORM = 1e-280  # squared norms above this lost no digits to underflow in x_ij²


def _unit_sums(points, zero_vectors: ZeroVectors) -> tuple[np.ndarray, float, int, int]:
    """(Σ u_i, Σ u_i·u_i, N, number of zero rows) for the unit rows u_i = x_i/‖x_i‖.

    When no squared row norm overflows or comes near underflow (any float32 cloud), the unit
    vectors are never formed: Σ u_i = Σ_i x_i/‖x_i‖ is one matrix-vector product and Σ u_i·u_i =
    Σ_i ‖x_i‖²/‖x_i‖². Otherwise the rows are rescaled first (:func:`unit_rows`).
    """
    _check_zero_vectors(zero_vectors)
    x = check_points(points, min_points=1, what="a cosine similarity")
    squared = np.einsum("ij,ij->i", x, x)
    nonzero = squared[squared > 0]
    if not (np.isfinite(squared).all() and (nonzero.size == 0 or nonzero.min() > _SAFE_SQUARED_NORM)):
        u, n_zero = unit_rows(x, zero_vectors=zero_vectors)
        return u.sum(axis=0), float(np.sum(u * u)), x.shape[0], n_zero
    zero = squared == 0
    n_zero = int(zero.sum())
    if n_zero and zero_vectors == "raise":
        raise _zero_vectors_error("points", n_zero, x.shape[0])
    inverse = np.where(zero, 0.0, 1.0 / np.sqrt(np.where(zero, 1.0, squared)))
    return inverse @ x, float(np.sum(squared * inverse**2)), x.shape[0], n_zero


def _mean_from_sums(unit_sum: np.ndarray, self_sum: float, n: int, n_zero: int, *, include_diagonal: bool) -> MeanCosine:
    """The mean from Σ u_i and Σ u_i·u_i (the diagonal's sum)."""
    total = float(np.sum(unit_sum**2))
    if include_diagonal:
        value = total / n**2
    else:
        if n < 2:
            raise DegenerateCloudError(f"the off-diagonal mean needs at least 2 points; got {n}.")
        value = (total - self_sum) / (n * (n - 1))
    return MeanCosine(
        value=float(np.clip(value, -1.0, 1.0)),
        include_diagonal=bool(include_diagonal),
        n_points=n,
        n_zero_vectors=n_zero,
    )


def _cosine_statistic(points, *, settings) -> Measurement:
    """Both means of one layer's token cloud (zero vectors: cosine 0, as scikit-learn does)."""
    with_diagonal, without_diagonal = mean_cosine_similarities(points, zero_vectors="zero")
    return Measurement(values={"cosine": with_diagonal.value, "cosine_offdiagonal": without_diagonal.value})


_COSINE_LABELS = {"cosine": "mean cosine similarity", "cosine_offdiagonal": "mean cosine similarity (off-diagonal)"}
STATISTIC = Statistic(
    name="cosine", label="mean cosine similarity", version=COSINE_VERSION, needs="points", compute=_cosine_statistic,
    columns=lambda settings: tuple(_COSINE_LABELS), column_label=_COSINE_LABELS.__getitem__, selectable=("cosine",),
    at_embeddings=True, axis="mean cosine similarity",
    description="The mean cosine similarity of the raw token vectors, full N×N matrix (or off-diagonal pairs).")
