"""Intrinsic dimension of a whole input-embedding matrix (Kataiwa, Hakaze & Ohki 2025,
arXiv 2503.02142).

The V rows of the (V × D) embedding matrix (e.g. 49152 × 576 for SmolLM2-135M) are the cloud.

1. Cleaning (every drop is counted): rows whose norm is ≤ ``zero_tolerance`` × median row norm
   are "zero/unused" (padding, never-trained rows); exact duplicate rows are removed (the first
   occurrence kept); then near duplicates: rows equal after rounding every coordinate to a grid
   of step ``duplicate_tolerance`` × median norm (rows straddling a grid line can escape; exact
   duplicates never do).
2. Optional seeded subsample of ``max_points`` rows (``numpy.random.default_rng(seed)``, without
   replacement) — it makes the cloud sparser, so the ID is probed at a coarser scale.
3. One exact k-nearest-neighbour search (:func:`geometry.neighbors.nearest_neighbors`, blocked,
   memory O(V·D + block), never V × V) with k = ``k_local`` feeds:
   * TwoNN (Facco et al. 2017), linear fit on the smallest 90 % of log μ and MLE (N − 1)/Σ log μ
     — see :mod:`geometry.twonn`; the linear fit is Kataiwa et al.'s estimator and the headline;
   * the harmonic mean of local Levina–Bickel MLEs with ``k_local`` neighbours
     (k − 1 normalisation, see :mod:`geometry.local_id`).
4. Redundancy = 1 − ID / D (with the TwoNN linear ID).
5. Suggested LoRA rank (Kataiwa et al. propose the ID as a guide for the rank of low-rank
   adapters): the smallest power of two ≥ the TwoNN linear ID, r = 2^⌈log2 ID⌉ (at least 1,
   at most D). Powers of two are the ranks practitioners sweep; rounding up keeps r ≥ ID.

Time and memory: the search costs one V × V × D float64 matrix product plus a top-k per row;
peak memory stays ~1.6 GB for 49152 × 576. Measured on 2 CPU cores: the full 49152 × 576
matrix takes ~100 s (~150 s when the cores are shared), ``max_points=16384`` ~12 s (~35 s
shared). Use the full matrix in batch runs (CLI, cached) and a subsample for interactive use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geometry.duplicates import remove_duplicates
from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.local_id import harmonic_mean_id, mle_from_neighbors
from geometry.neighbors import nearest_neighbors
from geometry.twonn import twonn_from_neighbors
from geometry.validation import check_points, check_positive_int

EMBEDDING_ID_VERSION = 1


@dataclass(frozen=True)
class EmbeddingID:
    """Intrinsic dimension of an embedding matrix.

    id_twonn, error_twonn:           TwoNN linear-fit ID and its error (the headline).
    id_twonn_mle, error_twonn_mle:   TwoNN maximum-likelihood ID and its error.
    id_local_mle:                    harmonic mean of local Levina–Bickel MLEs (k = k_local).
    n_features:                      D.
    redundancy:                      1 − id_twonn / D.
    lora_rank:                       smallest power of two ≥ id_twonn (clipped to [1, D]).
    n_rows:                          V, rows received; n_used: rows in the estimate.
    n_zero_rows, n_exact_duplicates, n_near_duplicates: rows dropped by each cleaning rule.
    n_subsampled_out:                distinct rows left out by the subsample (0 without one).
    k_local, seed:                   settings.
    """

    id_twonn: float
    error_twonn: float
    id_twonn_mle: float
    error_twonn_mle: float
    id_local_mle: float
    n_features: int
    redundancy: float
    lora_rank: int
    n_rows: int
    n_used: int
    n_zero_rows: int
    n_exact_duplicates: int
    n_near_duplicates: int
    n_subsampled_out: int
    k_local: int
    seed: int


def suggested_lora_rank(intrinsic_dimension: float, *, n_features: int | None = None) -> int:
    """2^⌈log2 ID⌉: the smallest power of two not below the ID (≥ 1, ≤ n_features when given)."""
    if not (np.isfinite(intrinsic_dimension) and intrinsic_dimension > 0):
        raise GeometryError(f"the intrinsic dimension must be finite and > 0; got {intrinsic_dimension!r}.")
    rank = 1 if intrinsic_dimension <= 1 else 2 ** math.ceil(math.log2(intrinsic_dimension) - 1e-12)
    return int(min(rank, n_features)) if n_features is not None else int(rank)


def embedding_matrix_id(
    matrix,
    *,
    k_local: int = 20,
    max_points: int | None = None,
    seed: int = 0,
    zero_tolerance: float = 1e-6,
    duplicate_tolerance: float = 1e-6,
    fraction: float = 0.9,
) -> EmbeddingID:
    """ID, redundancy and suggested LoRA rank of a (V, D) embedding matrix (see module docstring).

    Parameters
    ----------
    matrix:              (V, D) embedding rows (float32 is fine; computed in float64).
    k_local:             neighbours for the local-MLE variant (≥ 2).
    max_points:          seeded subsample size after cleaning (None = all rows).
    zero_tolerance:      rows with norm ≤ this × median norm are dropped as zero/unused.
    duplicate_tolerance: grid step (× median norm) for near-duplicate detection; 0 disables it.
    fraction:            share of the smallest log μ kept by the TwoNN linear fit.

    Raises
    ------
    TooFewPointsError     fewer than k_local + 1 rows left after cleaning.
    DegenerateCloudError  every row is zero.
    """
    k_local = check_positive_int(k_local, name="k_local", minimum=2)
    if not (zero_tolerance >= 0 and duplicate_tolerance >= 0):
        raise GeometryError("zero_tolerance and duplicate_tolerance must be ≥ 0.")
    x = check_points(matrix, min_points=3, name="matrix", what="an embedding-matrix ID")
    n_rows, n_features = x.shape
    norms = np.linalg.norm(x, axis=1)
    median = float(np.median(norms))
    if median == 0 and not np.any(norms > 0):
        raise DegenerateCloudError("every row of the embedding matrix is zero.")
    if median == 0:
        median = float(np.median(norms[norms > 0]))
    nonzero = norms > zero_tolerance * median
    n_zero = int(n_rows - nonzero.sum())
    x = x[nonzero]
    exact = remove_duplicates(x)
    x = exact.points
    n_near = 0
    if duplicate_tolerance > 0 and x.shape[0] > 1:
        grid = np.floor(x / (duplicate_tolerance * median) + 0.5)
        near = remove_duplicates(grid)
        n_near = near.n_removed
        x = x[near.keep]
    n_distinct = x.shape[0]
    n_left_out = 0
    if max_points is not None:
        max_points = check_positive_int(max_points, name="max_points", minimum=k_local + 1)
        if n_distinct > max_points:
            pick = np.sort(np.random.default_rng(seed).choice(n_distinct, size=max_points, replace=False))
            x = x[pick]
            n_left_out = n_distinct - max_points
    if x.shape[0] < k_local + 1:
        raise TooFewPointsError(
            f"an embedding-matrix ID with k_local={k_local} needs at least {k_local + 1} distinct rows; "
            f"{x.shape[0]} are left after dropping {n_zero} zero rows, {exact.n_removed} exact and "
            f"{n_near} near duplicates."
        )
    neighbors = nearest_neighbors(x, k=k_local)
    linear = twonn_from_neighbors(neighbors.first(2), method="linear", fraction=fraction)
    mle = twonn_from_neighbors(neighbors.first(2), method="mle")
    local = harmonic_mean_id(mle_from_neighbors(neighbors, k=k_local))
    return EmbeddingID(
        id_twonn=linear.id,
        error_twonn=linear.error,
        id_twonn_mle=mle.id,
        error_twonn_mle=mle.error,
        id_local_mle=local,
        n_features=int(n_features),
        redundancy=float(1.0 - linear.id / n_features),
        lora_rank=suggested_lora_rank(linear.id, n_features=n_features),
        n_rows=int(n_rows),
        n_used=int(x.shape[0]),
        n_zero_rows=n_zero,
        n_exact_duplicates=int(exact.n_removed),
        n_near_duplicates=int(n_near),
        n_subsampled_out=int(n_left_out),
        k_local=int(k_local),
        seed=int(seed),
    )
