"""Exact Euclidean nearest neighbours, computed once per cloud and shared by every statistic.

DADApy habit: estimators accept precomputed neighbour distances and indices, so a layer's
neighbour search is paid once and reused by TwoNN, GRIDE, overlap, angles and local ID.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.errors import TooFewPointsError
from geometry.validation import check_points, check_positive_int

_BLOCK_BYTES = 64 * 2**20  # memory for one block of the distance matrix
_CHUNK_BYTES = 512 * 2**10  # rows of a block turned into squared distances and a top-k at a time


@dataclass(frozen=True)
class Neighbors:
    """The k nearest neighbours of every point, the point itself excluded.

    Attributes
    ----------
    distances: (n, k) float64, Euclidean distances, ascending along each row.
    indices:   (n, k) int64, row index of each neighbour in the cloud.
    """

    distances: np.ndarray
    indices: np.ndarray

    @property
    def n_points(self) -> int:
        return int(self.distances.shape[0])

    @property
    def k(self) -> int:
        return int(self.distances.shape[1])

    def first(self, k: int) -> "Neighbors":
        """The first ``k`` neighbours only (a view, no copy)."""
        if k > self.k:
            raise TooFewPointsError(f"asked for {k} neighbours but only {self.k} were computed.")
        return Neighbors(distances=self.distances[:, :k], indices=self.indices[:, :k])


def _refine_small_distances(x, start, candidates, candidate_d2, squared_norms) -> None:
    """Recompute, by explicit differences, squared distances too small for the dot-product trick.

    ||x||² + ||y||² − 2x·y carries an absolute error of a few ε·(||x||² + ||y||²); below 1e-8 of
    that sum the result has fewer than ~6 correct digits (near-duplicate tokens), so those few
    entries are computed exactly. Updates ``candidate_d2`` in place.
    """
    rows = np.arange(candidates.shape[0])[:, None] + start
    suspicious = candidate_d2 < 1e-8 * (squared_norms[rows] + squared_norms[candidates])
    if suspicious.any():
        i, j = np.nonzero(suspicious)
        difference = x[i + start] - x[candidates[i, j]]
        candidate_d2[i, j] = np.einsum("ij,ij->i", difference, difference)


def nearest_neighbors(points, *, k: int, block_bytes: int = _BLOCK_BYTES) -> Neighbors:
    """Exact k nearest neighbours (self excluded) by blocked float64 distance products.

    Squared distances use ||x||² + ||y||² − 2 x·y on the *centred* cloud (translation does not
    change distances but centring keeps the norms small, so the subtraction loses little
    precision), clipped at 0; entries too small for that formula are recomputed exactly. Cost:
    one (n × n × d) matrix product plus a top-k per row.

    Parameters
    ----------
    points: (n, d) array.
    k:      number of neighbours; needs n ≥ k + 1.
    """
    k = check_positive_int(k, name="k")
    x = check_points(points, min_points=k + 1, what=f"a {k}-nearest-neighbour search")
    x = x - x.mean(axis=0)
    n = x.shape[0]
    squared_norms = np.einsum("ij,ij->i", x, x)
    rows_per_block = max(1, min(n, block_bytes // (8 * n)))
    rows_per_chunk = max(1, min(rows_per_block, _CHUNK_BYTES // (8 * n)))
    distances = np.empty((n, k), dtype=np.float64)
    indices = np.empty((n, k), dtype=np.int64)
    chunk_buffer = np.empty((rows_per_chunk, n))
    for start in range(0, n, rows_per_block):
        stop = min(n, start + rows_per_block)
        # One large product per block (BLAS syrk when the block is the whole cloud) …
        products = x[start:stop] @ x.T
        products *= 2.0  # exact
        # … then everything else by small chunks of rows that stay in cache. Every step is per row,
        # so the numbers are those of the one-line (‖x_i‖² + ‖x_j‖²) − 2·(x_i·x_j) and one top-k.
        for first in range(start, stop, rows_per_chunk):
            last = min(stop, first + rows_per_chunk)
            rows = np.arange(last - first)[:, None]
            block = np.add(squared_norms[first:last, None], squared_norms[None, :], out=chunk_buffer[: last - first])
            np.subtract(block, products[first - start : last - start], out=block)
            block[rows[:, 0], np.arange(first, last)] = np.inf  # exclude self
            if k < n - 1:
                candidates = np.argpartition(block, k - 1, axis=1)[:, :k]
            else:
                candidates = np.broadcast_to(np.arange(n), block.shape)
            candidate_d2 = block[rows, candidates]
            _refine_small_distances(x, first, candidates, candidate_d2, squared_norms)
            order = np.argsort(candidate_d2, axis=1, kind="stable")[:, :k]
            indices[first:last] = candidates[rows, order]
            distances[first:last] = np.sqrt(np.maximum(candidate_d2[rows, order], 0.0))
        del products
    return Neighbors(distances=distances, indices=indices)
