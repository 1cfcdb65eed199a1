"""Intrinsic dimension of a whole input-embedding matrix (Kataiwa, Hakaze & Ohki 2025,
arXiv 2503.02142).

The V rows of the (V × D) embedding matrix (e.g. 49152 × 576 for SmolLM2-135M) are the cloud:
every row, not a sample, unless a sample is asked for.

1. Cleaning (every drop is counted, :func:`clean_embedding_rows`): the rows the caller marks as
   reserved (``exclude``: placeholder tokens such as Gemma's 6,242 ``<unused…>`` rows and the
   tokenizer's control tokens, recognised by name in :mod:`pipeline.vocabulary`); rows whose norm
   is ≤ ``zero_tolerance`` × median row norm ("zero/unused": padding, never-trained rows); exact
   duplicate rows (the first occurrence kept); then near duplicates: rows equal after rounding
   every coordinate to a grid of step ``duplicate_tolerance`` × median norm (rows straddling a
   grid line can escape; exact duplicates never do).
2. Optional seeded subsample of ``max_points`` rows (``numpy.random.default_rng(seed)``, without
   replacement) — it makes the cloud sparser, so the ID is probed at a coarser scale (SmolLM2:
   TwoNN 10.50 on 16,384 rows against 8.89 on the whole cleaned matrix).
3. One exact k-nearest-neighbour search (:func:`geometry.neighbors.nearest_neighbors`, blocked,
   memory O(V·D + block), never V × V) with k = ``k_local`` feeds:
   * TwoNN (Facco et al. 2017), linear fit on the smallest 90 % of log μ and MLE (N − 1)/Σ log μ
     — see :mod:`geometry.twonn`; the linear fit is Kataiwa et al.'s estimator and the headline;
   * the harmonic mean of local Levina–Bickel MLEs with ``k_local`` neighbours
     (k − 1 normalisation, see :mod:`geometry.local_id`); the per-row values are Lee et al.'s
     per-token local ID over the vocabulary (:func:`row_summary` keeps them).
   The search can be made by blocks of rows (:func:`row_summary` of each block, then
   :func:`embedding_id_from_rows`), which gives the same numbers as one search.
4. Redundancy = 1 − ID / D (with the TwoNN linear ID).
5. Suggested LoRA rank (Kataiwa et al. propose the ID as a guide for the rank of low-rank
   adapters): the smallest power of two ≥ the TwoNN linear ID, r = 2^⌈log2 ID⌉ (at least 1,
   at most D). Powers of two are the ranks practitioners sweep; rounding up keeps r ≥ ID.

Time and memory: the search costs one V × V × D matrix product plus a top-k per row, by blocks
of rows (memory O(V·D + block)); bench/vocabulary_id.py measures it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geometry.duplicates import remove_duplicates
from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.local_id import harmonic_mean_id, mle_from_neighbors
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.twonn import twonn_from_neighbors
from geometry.validation import check_points, check_positive_int

EMBEDDING_ID_VERSION = 2  # 2: reserved rows dropped, per-row summaries


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
    n_reserved_rows, n_zero_rows, n_exact_duplicates, n_near_duplicates: rows dropped by each
                                     cleaning rule (reserved: marked by the caller).
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
    n_reserved_rows: int = 0


@dataclass(frozen=True)
class CleanRows:
    """The rows of an embedding matrix that enter its ID, and how many each rule dropped.

    rows: (n,) ascending indices of the rows kept (the first of each group of duplicates).
    """

    rows: np.ndarray
    n_rows: int
    n_reserved: int
    n_zero: int
    n_exact_duplicates: int
    n_near_duplicates: int


@dataclass(frozen=True)
class RowSummary:
    """What the ID needs from a neighbour search of some rows (one block or all of them).

    r1, r2:     (b,) distances to the first and second neighbour (TwoNN's μ = r2/r1).
    local_ids:  (b,) Levina–Bickel local ID of each row with k_local neighbours (k − 1 norm).
    indices:    (b, k_show) positions (in the searched cloud) of each row's nearest neighbours.
    """

    r1: np.ndarray
    r2: np.ndarray
    local_ids: np.ndarray
    indices: np.ndarray


def suggested_lora_rank(intrinsic_dimension: float, *, n_features: int | None = None) -> int:
    """2^⌈log2 ID⌉: the smallest power of two not below the ID (≥ 1, ≤ n_features when given).

    Parameters
    ----------
    intrinsic_dimension : float
        The ID of the embedding matrix.
    n_features : int, optional
        D, the rank's upper bound.

    Returns
    -------
    int
        The suggested LoRA rank.

    Examples
    --------
    >>> suggested_lora_rank(11.3), suggested_lora_rank(0.4), suggested_lora_rank(300.0, n_features=256)
    (16, 1, 256)
    """
    if not (np.isfinite(intrinsic_dimension) and intrinsic_dimension > 0):
        raise GeometryError(f"the intrinsic dimension must be finite and > 0; got {intrinsic_dimension!r}.")
    rank = 1 if intrinsic_dimension <= 1 else 2 ** math.ceil(math.log2(intrinsic_dimension) - 1e-12)
    return int(min(rank, n_features)) if n_features is not None else int(rank)


def clean_embedding_rows(matrix, *, exclude=None, zero_tolerance: float = 1e-6,
                         duplicate_tolerance: float = 1e-6) -> CleanRows:
    """Rows kept after dropping reserved, zero and (near-)duplicate rows (module docstring, step 1).

    ``exclude``: (V,) boolean mask of reserved rows, or None.
    """
    if not (zero_tolerance >= 0 and duplicate_tolerance >= 0):
        raise GeometryError("zero_tolerance and duplicate_tolerance must be ≥ 0.")
    x = check_points(matrix, min_points=3, name="matrix", what="an embedding-matrix ID")
    n_rows = x.shape[0]
    reserved = np.zeros(n_rows, dtype=bool) if exclude is None else np.asarray(exclude, dtype=bool)
    if reserved.shape != (n_rows,):
        raise GeometryError(f"exclude must be a boolean mask of the {n_rows} rows; got shape {reserved.shape}.")
    candidates = np.flatnonzero(~reserved)
    norms = np.linalg.norm(x[candidates], axis=1)
    if not np.any(norms > 0):
        raise DegenerateCloudError("every row of the embedding matrix is zero (or reserved).")
    median = float(np.median(norms))
    if median == 0:
        median = float(np.median(norms[norms > 0]))
    nonzero = candidates[norms > zero_tolerance * median]
    exact = remove_duplicates(x[nonzero])
    kept = nonzero[exact.keep]
    n_near = 0
    if duplicate_tolerance > 0 and kept.size > 1:
        near = remove_duplicates(np.floor(x[kept] / (duplicate_tolerance * median) + 0.5))
        n_near = near.n_removed
        kept = kept[near.keep]
    return CleanRows(rows=np.sort(kept), n_rows=int(n_rows), n_reserved=int(reserved.sum()),
                     n_zero=int(candidates.size - nonzero.size), n_exact_duplicates=int(exact.n_removed),
                     n_near_duplicates=int(n_near))


def row_summary(neighbors: Neighbors, *, k_local: int, k_show: int = 10) -> RowSummary:
    """The per-row numbers of :class:`RowSummary` from a search with at least ``k_local`` neighbours."""
    return RowSummary(r1=neighbors.distances[:, 0].copy(), r2=neighbors.distances[:, 1].copy(),
                      local_ids=mle_from_neighbors(neighbors, k=k_local),
                      indices=neighbors.indices[:, : min(k_show, neighbors.k)].astype(np.int32))


def embedding_id_from_rows(summary: RowSummary, *, clean: CleanRows, n_features: int, k_local: int,
                           seed: int = 0, n_subsampled_out: int = 0, fraction: float = 0.9) -> EmbeddingID:
    """The :class:`EmbeddingID` of a cloud from the row summaries of all its rows."""
    pair = Neighbors(distances=np.column_stack([summary.r1, summary.r2]),
                     indices=np.zeros((summary.r1.size, 2), dtype=np.int64))
    linear = twonn_from_neighbors(pair, method="linear", fraction=fraction)
    mle = twonn_from_neighbors(pair, method="mle")
    return EmbeddingID(
        id_twonn=linear.id,
        error_twonn=linear.error,
        id_twonn_mle=mle.id,
        error_twonn_mle=mle.error,
        id_local_mle=harmonic_mean_id(summary.local_ids),
        n_features=int(n_features),
        redundancy=float(1.0 - linear.id / n_features),
        lora_rank=suggested_lora_rank(linear.id, n_features=n_features),
        n_rows=clean.n_rows,
        n_used=int(summary.r1.size),
        n_zero_rows=clean.n_zero,
        n_exact_duplicates=clean.n_exact_duplicates,
        n_near_duplicates=clean.n_near_duplicates,
        n_subsampled_out=int(n_subsampled_out),
        k_local=int(k_local),
        seed=int(seed),
        n_reserved_rows=clean.n_reserved,
    )


def sample_rows(rows: np.ndarray, *, max_points: int | None, seed: int, minimum: int) -> np.ndarray:
    """A seeded, sorted subsample of ``max_points`` of ``rows`` (all of them when None or fewer)."""
    if max_points is None:
        return rows
    max_points = check_positive_int(max_points, name="max_points", minimum=minimum)
    if rows.size <= max_points:
        return rows
    return rows[np.sort(np.random.default_rng(seed).choice(rows.size, size=max_points, replace=False))]


def check_enough_rows(n_used: int, *, k_local: int, clean: CleanRows) -> None:
    if n_used < k_local + 1:
        raise TooFewPointsError(
            f"an embedding-matrix ID with k_local={k_local} needs at least {k_local + 1} distinct rows; "
            f"{n_used} are left after dropping {clean.n_reserved} reserved and {clean.n_zero} zero rows, "
            f"{clean.n_exact_duplicates} exact and {clean.n_near_duplicates} near duplicates."
        )


def embedding_matrix_id(
    matrix,
    *,
    k_local: int = 20,
    max_points: int | None = None,
    seed: int = 0,
    zero_tolerance: float = 1e-6,
    duplicate_tolerance: float = 1e-6,
    fraction: float = 0.9,
    exclude=None,
) -> EmbeddingID:
    """ID, redundancy and suggested LoRA rank of an embedding matrix (see module docstring).

    Parameters
    ----------
    matrix : array_like, shape (V, D)
        Embedding rows (float32 is fine; computed in float64).
    k_local : int
        Neighbours for the local-MLE variant (≥ 2).
    max_points : int, optional
        Seeded subsample size after cleaning (None = every row, the default).
    seed : int
        Seed of the subsample.
    zero_tolerance : float
        Rows with norm ≤ this × median norm are dropped as zero/unused.
    duplicate_tolerance : float
        Grid step (× median norm) for near-duplicate detection; 0 disables it.
    fraction : float
        Share of the smallest log μ kept by the TwoNN linear fit.
    exclude : array_like of bool, shape (V,), optional
        Reserved rows to drop (counted).

    Returns
    -------
    EmbeddingID
        The TwoNN ID (linear fit and MLE) with errors, the local-MLE ID, the redundancy
        1 − ID/D, the suggested LoRA rank and the row counts.

    Raises
    ------
    TooFewPointsError
        Fewer than k_local + 1 rows left after cleaning.
    DegenerateCloudError
        Every row is zero.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> matrix = rng.normal(size=(2000, 4)) @ rng.normal(size=(4, 64))  # rank 4 in 64 columns
    >>> found = embedding_matrix_id(matrix)
    >>> round(found.id_twonn, 1), found.lora_rank, round(found.redundancy, 2)
    (4.1, 8, 0.94)
    """
    k_local = check_positive_int(k_local, name="k_local", minimum=2)
    x = check_points(matrix, min_points=3, name="matrix", what="an embedding-matrix ID")
    clean = clean_embedding_rows(x, exclude=exclude, zero_tolerance=zero_tolerance,
                                 duplicate_tolerance=duplicate_tolerance)
    rows = sample_rows(clean.rows, max_points=max_points, seed=seed, minimum=k_local + 1)
    check_enough_rows(rows.size, k_local=k_local, clean=clean)
    summary = row_summary(nearest_neighbors(x[rows], k=k_local), k_local=k_local)
    return embedding_id_from_rows(summary, clean=clean, n_features=x.shape[1], k_local=k_local, seed=seed,
                                  n_subsampled_out=clean.rows.size - rows.size, fraction=fraction)
