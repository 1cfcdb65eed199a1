"""Exact Euclidean nearest neighbours, computed once per cloud and shared by every statistic.

Exact at float32 speed: a float32 distance product with a proven error bound picks, per point, the
few candidates that can be among its k nearest, and only those get float64 distances
(:func:`nearest_neighbors`).

DADApy habit: estimators accept precomputed neighbour distances and indices, so a layer's
neighbour search is paid once and reused by TwoNN, GRIDE, overlap, angles and local ID.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from geometry.errors import GeometryError, TooFewPointsError
from geometry.exact_distances import certified_rows
from geometry.validation import check_points, check_positive_int

_BLOCK_BYTES = 64 * 2**20  # memory for one block of the (float32) distance matrix
_CHUNK_BYTES = 512 * 2**10  # rows of a block turned into bounds and a k-th smallest at a time
_U32 = 2.0**-24  # unit round-off of float32


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


@dataclass(frozen=True)
class Float32Cloud:
    """A cloud prepared for the float32 candidate search, and the error bound of that search.

    scaled (n, d) float32:  y = fl32((x − x̄)·2⁻ᵉ), the centred cloud scaled by a power of two so that
                            |y| < 1 (no float32 overflow or underflow of the squares);
    squared_norms (n,):     q = ‖y_i‖² in float64;
    exponent:               e, the scale's power of two;
    exact (n, d):           the cloud as the exact kernels read it (geometry.exact_distances.exact_storage:
                            float32 when every value is one, else float64);
    tau, eta:               the bound |G_ij + τ·q_j − 2⁻²ᵉ·ŝ(i, j)| ≤ τ·(q_i + q_j) + η holds for the
                            float32 G_ij = fl32(fl32(q_i) + fl32((1 − τ)·q_j)) − 2·sgemm(y, yᵀ)_ij
                            (see :func:`nearest_neighbors`).
    """

    scaled: np.ndarray
    squared_norms: np.ndarray
    exact: np.ndarray
    exponent: int
    tau: float
    eta: float


@numba.njit(nogil=True, cache=True)
def _column_summary(x):  # pragma: no cover - compiled
    n, d = x.shape
    sums, highest, lowest = np.zeros(d), x[0].copy(), x[0].copy()
    narrow = True  # every value exactly a float32?
    for i in range(n):
        for t in range(d):
            value = x[i, t]
            sums[t] += value
            highest[t] = max(highest[t], value)
            lowest[t] = min(lowest[t], value)
            if narrow and np.float64(np.float32(value)) != value:
                narrow = False
    return sums, highest, lowest, narrow


@numba.njit(nogil=True, cache=True)
def _scaled_float32(x, mean, scale, narrow, scaled, squared_norms, exact32):  # pragma: no cover - compiled
    n, d = x.shape
    for i in range(n):
        total = 0.0
        for t in range(d):
            value = np.float32((x[i, t] - mean[t]) * scale)  # fl32(fl64(x − x̄)·2⁻ᵉ): the scaling is exact
            scaled[i, t] = value
            total += np.float64(value) * np.float64(value)
            if narrow:
                exact32[i, t] = np.float32(x[i, t])
        squared_norms[i] = total


def float32_cloud(x: np.ndarray) -> Float32Cloud:
    """Centre (float64), scale by a power of two (exact) and round to float32, in two compiled passes
    over the cloud; also the cloud as the exact kernels read it (float32 when that is exact). See
    Float32Cloud. Any centre works (distances do not depend on it): the column means, summed in order."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    n, d = x.shape
    sums, highest, lowest, narrow = _column_summary(x)
    mean = sums / n
    peak = float(max(np.max(highest - mean), np.max(mean - lowest)))
    exponent = int(np.frexp(peak)[1]) if peak > 0 else 0
    scaled, squared_norms = np.empty((n, d), dtype=np.float32), np.empty(n)
    exact32 = np.empty((n, d) if narrow else (0, d), dtype=np.float32)
    _scaled_float32(x, mean, 2.0**-exponent, narrow, scaled, squared_norms, exact32)
    return Float32Cloud(scaled=scaled, squared_norms=squared_norms, exact=exact32 if narrow else x,
                        exponent=exponent, tau=1.05 * (d + 32) * _U32, eta=(d + 4) * 2.0**-120)


def candidate_threshold(lowest: np.ndarray, lowest_norms: np.ndarray, row_norms: np.ndarray, *, tau: float,
                        eta: float) -> np.ndarray:
    """Per row, the float32 value T_i such that every true neighbour j has G_ij ≤ T_i.

    ``lowest`` (R, k): G at any k columns of each row (the k smallest, for a tight bound);
    ``lowest_norms`` (R, k): q at those columns; ``row_norms`` (R,): q_i. T_i = max over those k of
    (G_il + 2τ·q_l) + 2τ·q_i + 2η, rounded up to float32.
    """
    upper = np.max(lowest.astype(np.float64) + 2.0 * tau * lowest_norms, axis=1) + 2.0 * tau * row_norms + 2.0 * eta
    threshold = upper.astype(np.float32)
    return np.where(threshold < upper, np.nextafter(threshold, np.float32(np.inf)), threshold)


def nearest_neighbors(points, *, k: int, block_bytes: int = _BLOCK_BYTES,
                      query_rows: tuple[int, int] | None = None) -> Neighbors:
    """Exact k nearest neighbours (self excluded): a certified float32 search, float64 results.

    The result is, by definition, the float64 one: for each point i the k points j ≠ i with the
    smallest (ŝ(i, j), j), where ŝ is the float64 squared distance of
    :mod:`geometry.exact_distances` (explicit differences, fixed summation order; ties go to the
    smaller index), and the distances √ŝ. It is computed without the (n × n) float64 product:

    1. Centre the cloud, scale it by a power of two and round it to float32 (y, with q_i = ‖y_i‖²),
       then by blocks of rows G_ij = fl32(q_i) + fl32((1 − τ)·q_j) − 2·(y_i·y_j) in float32 (sgemm).
    2. Error bound (standard forward analysis): the float32 inner product of length d errs by at
       most γ_d·‖y_i‖‖y_j‖ ≤ ½·d·u·(q_i + q_j) (u = 2⁻²⁴, any summation order, FMA or not); the
       rounding of the cloud to float32, of the norms, the sum and the difference add about 9u·(q_i
       + q_j), the float64 centring and ŝ's own rounding far less. So with τ = 1.05·(d + 32)·u and a
       tiny η for float32 underflow, G_ij + τ·q_j − τ·(q_i + q_j) − η ≤ ŝ ≤ G_ij + τ·q_j + τ·(q_i + q_j)
       + η (in the scaled units).
    3. Certificate: the columns of row i whose G is at most its k-th smallest G (``np.partition``,
       values only; k or more columns) give an upper bound of its k-th neighbour's ŝ; every j
       whose lower bound does not exceed it — G_ij ≤ T_i, :func:`candidate_threshold` — is a
       candidate, and every true neighbour is one. On real hidden states that is k + 0…10 columns.
    4. ŝ of the candidates only (n·(k + a few)·d float64 operations instead of n²·d), sorted by
       (ŝ, index). Steps 3 and 4 are one compiled pass per row
       (:func:`geometry.exact_distances.certified_rows`).

    Parameters
    ----------
    points : array_like, shape (n, d)
        The cloud.
    k : int
        Number of neighbours; needs n ≥ k + 1.
    block_bytes : int
        Memory for one block of the float32 distance matrix.
    query_rows : (int, int), optional
        (start, stop): the neighbours (among all n points) of these rows only — the same as those
        rows of the full search (a long search made by blocks that are saved and resumed, e.g. a
        whole vocabulary).

    Returns
    -------
    Neighbors
        ``distances`` (m, k) float64 ascending along each row and ``indices`` (m, k) int64, for
        the m = n rows (or the ``query_rows``).

    Examples
    --------
    >>> import numpy as np
    >>> line = np.array([[0.0], [1.0], [3.0], [7.0]])
    >>> found = nearest_neighbors(line, k=2)
    >>> found.indices.tolist(), found.distances.tolist()
    ([[1, 2], [0, 2], [1, 0], [2, 1]], [[1.0, 3.0], [1.0, 2.0], [2.0, 3.0], [4.0, 6.0]])
    """
    k = check_positive_int(k, name="k")
    x = check_points(points, min_points=k + 1, what=f"a {k}-nearest-neighbour search")
    n = x.shape[0]
    cloud = float32_cloud(x)
    storage = cloud.exact
    y, q = cloud.scaled, cloud.squared_norms
    row_norms32 = q.astype(np.float32)
    column_norms32 = ((1.0 - cloud.tau) * q).astype(np.float32)
    rows_per_block = max(1, min(n, block_bytes // (4 * n)))
    rows_per_chunk = max(1, min(rows_per_block, _CHUNK_BYTES // (4 * n)))
    begin, end = (0, n) if query_rows is None else (int(query_rows[0]), int(query_rows[1]))
    if not 0 <= begin <= end <= n:
        raise GeometryError(f"query_rows must be (start, stop) with 0 ≤ start ≤ stop ≤ {n}; got {query_rows!r}.")
    distances = np.empty((end - begin, k), dtype=np.float64)
    indices = np.empty((end - begin, k), dtype=np.int64)
    chunk_buffer = np.empty((rows_per_chunk, n), dtype=np.float32)
    for start in range(begin, end, rows_per_block):
        stop = min(end, start + rows_per_block)
        products = y[start:stop] @ y.T  # one float32 product per block (BLAS sgemm)
        products *= np.float32(2.0)  # exact
        for first in range(start, stop, rows_per_chunk):
            last = min(stop, first + rows_per_chunk)
            rows = np.arange(last - first)
            block = np.add(row_norms32[first:last, None], column_norms32[None, :], out=chunk_buffer[: last - first])
            np.subtract(block, products[first - start : last - start], out=block)
            block[rows, rows + first] = np.inf  # exclude self
            kth = np.partition(block, k - 1, axis=1)[:, k - 1]  # values only: a copy, the block stays in place
            distances[first - begin : last - begin], indices[first - begin : last - begin] = certified_rows(
                storage, first_row=first, bounds=block, kth=kth, squared_norms=q, tau=cloud.tau, eta=cloud.eta, k=k)
        del products
    return Neighbors(distances=distances, indices=indices)
