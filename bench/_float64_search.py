"""The previous neighbour search (until the certified float32 search replaced it), kept as a
reference for bench/geometry_suite.py: blocked float64 products ‖x‖² + ‖y‖² − 2x·y on the centred
cloud, an argpartition to the k nearest, tiny distances recomputed by explicit differences. Its
distances agree with geometry.neighbors to ~1e-13 relative; which of two exactly tied neighbours
comes first was left to argpartition.
"""

from __future__ import annotations

import numpy as np

from geometry.neighbors import Neighbors
from geometry.validation import check_points, check_positive_int

_BLOCK_BYTES = 64 * 2**20  # memory for one block of the distance matrix
_CHUNK_BYTES = 512 * 2**10  # rows of a block turned into squared distances and a top-k at a time


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


def float64_nearest_neighbors(points, *, k: int, block_bytes: int = _BLOCK_BYTES) -> Neighbors:
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
