"""Global similarity of two models' token clouds (Lee et al. 2025, arXiv 2503.21073:
"token embeddings often share similar relative orientations").

For the same N tokens in model A (width d_a) and model B (width d_b), form each model's N×N
cosine-similarity matrix of the raw vectors and correlate their strict upper triangles:

    ρ(A, B) = Pearson( {cos(a_i, a_j)}_{i<j}, {cos(b_i, b_j)}_{i<j} ).

ρ is invariant to rotations and uniform scaling of either cloud and needs no alignment, so the
widths may differ. Cost O(N²) memory: meant for prompts and token subsets, not whole vocabularies.
No p-value is reported: the N(N − 1)/2 pairs are not independent, so the usual one is invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.cosine import ZeroVectors, cosine_similarity_matrix
from geometry.errors import DegenerateCloudError, GeometryError
from geometry.validation import check_points


@dataclass(frozen=True)
class GlobalSimilarity:
    """Pearson correlation of two clouds' pairwise cosine similarities.

    pearson:  ρ in [−1, 1].
    n_tokens: N; n_pairs: N(N − 1)/2 pairs correlated.
    """

    pearson: float
    n_tokens: int
    n_pairs: int


def global_similarity(points_a, points_b, *, zero_vectors: ZeroVectors = "raise") -> GlobalSimilarity:
    """Pearson ρ between the upper triangles of the cosine matrices of two clouds of the same tokens.

    Parameters
    ----------
    points_a, points_b : array_like, shapes (N, d_a) and (N, d_b)
        The same N ≥ 3 tokens in the two models.
    zero_vectors : {"raise", "zero"}
        See :mod:`geometry.cosine`.

    Returns
    -------
    GlobalSimilarity
        ``pearson`` ρ and the numbers of tokens and pairs.

    Raises
    ------
    GeometryError
        Different numbers of tokens.
    TooFewPointsError
        N < 3 (fewer than 3 pairs).
    DegenerateCloudError
        A cloud's pairwise cosines are all equal (ρ undefined), or zero vectors under
        ``zero_vectors="raise"``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).normal(size=(100, 6))
    >>> same = global_similarity(a, 2 * a)  # a scaled copy has the same cosines
    >>> round(same.pearson, 12), same.n_tokens, same.n_pairs
    (1.0, 100, 4950)
    """
    a = check_points(points_a, min_points=3, name="points_a", what="a cross-model similarity")
    b = check_points(points_b, min_points=3, name="points_b", what="a cross-model similarity")
    if a.shape[0] != b.shape[0]:
        raise GeometryError(
            f"points_a and points_b must hold the same tokens in the same order; got {a.shape[0]} and {b.shape[0]} rows."
        )
    n = a.shape[0]
    upper = np.triu_indices(n, k=1)
    ca = cosine_similarity_matrix(a, zero_vectors=zero_vectors)[upper]
    cb = cosine_similarity_matrix(b, zero_vectors=zero_vectors)[upper]
    ca, cb = ca - ca.mean(), cb - cb.mean()
    na, nb = np.linalg.norm(ca), np.linalg.norm(cb)
    # Cosines equal up to round-off (RMS spread ≤ 1e-12) count as constant: ρ would be noise.
    if na <= 1e-12 * np.sqrt(ca.size):
        raise DegenerateCloudError("all pairwise cosines of points_a are equal; the correlation is undefined.")
    if nb <= 1e-12 * np.sqrt(cb.size):
        raise DegenerateCloudError("all pairwise cosines of points_b are equal; the correlation is undefined.")
    rho = float(np.clip(np.dot(ca, cb) / (na * nb), -1.0, 1.0))
    return GlobalSimilarity(pearson=rho, n_tokens=n, n_pairs=int(ca.size))
