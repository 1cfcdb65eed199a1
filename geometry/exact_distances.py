"""The exact squared distance of a pair of points, and the k nearest among a row's candidates.

Every neighbour search of the project ends here, so every search (numpy, torch on a GPU, any
block size) returns the same float64 numbers and the same order:

    ŝ(i, j) = Σ_t (x_it − x_jt)²,  in float64, summed in 32 interleaved lanes
              (lane l takes t ≡ l mod 32 over the first 32·⌊d/32⌋ features, in order), the
              32 lanes combined pairwise, ((a₀ + a₁) + (a₂ + a₃)) + …, then the remaining d mod 32
              features added in order;
    distance  = √ŝ;   neighbours of i = the k candidates j ≠ i with the smallest (ŝ(i, j), j):
              ties in ŝ go to the smaller row index.

Explicit differences, unlike ‖x‖² + ‖y‖² − 2x·y, lose nothing to cancellation: for float32 inputs
(hidden states) each difference is exact in float64 and ŝ is within (d/32 + 6)·2⁻⁵³ of the true
squared distance, relatively. The summation order is fixed in the source (independent lanes, no
reassociation allowed: the compiler vectorises the lanes but may not reorder a sum), so the numbers
do not depend on the CPU's vector width, on how many rows a call holds or on which search
produced the candidates.

Compiled with numba (a dependency of umap-learn), cached on disk after the first compilation.
"""

from __future__ import annotations

import numba
import numpy as np

from geometry.errors import GeometryError


@numba.njit(nogil=True, cache=True)
def _pair(xi, xj, lanes):  # pragma: no cover - compiled
    # xi: the row already in float64 (converted once per row), xj: the candidate (float32 or float64).
    d = xi.size
    full = d - d % 32
    lanes[:] = 0.0
    for start in range(0, full, 32):
        for lane in range(32):  # 32 independent sums: vectorised without reordering any of them
            e = xi[start + lane] - np.float64(xj[start + lane])
            lanes[lane] += e * e
    return _combine(lanes, xi, xj, full)


@numba.njit(nogil=True, cache=True, inline="always")
def _combine(lanes, xi, xj, full):  # pragma: no cover - compiled
    width = 32
    while width > 1:  # pairwise: ((a0 + a1) + (a2 + a3)) + …
        width //= 2
        for lane in range(width):
            lanes[lane] = lanes[2 * lane] + lanes[2 * lane + 1]
    total = lanes[0]
    for t in range(full, xi.size):
        e = xi[t] - np.float64(xj[t])
        total += e * e
    return total


@numba.njit(nogil=True, cache=True)
def _two_pairs(xi, xa, xb, lanes_a, lanes_b):  # pragma: no cover - compiled
    # ŝ(i, a) and ŝ(i, b) at once, each summed exactly as _pair sums it: xi is read once for both,
    # and two 32-element steps per pass keep each lane's running sum in a register between them
    # (lane l still adds t = l, l + 32, l + 64, … in that order).
    d = xi.size
    full = d - d % 32
    lanes_a[:] = 0.0
    lanes_b[:] = 0.0
    start = 0
    while start + 64 <= full:
        for lane in range(32):
            a, b = lanes_a[lane], lanes_b[lane]
            v = xi[start + lane]
            e = v - np.float64(xa[start + lane])
            a += e * e
            f = v - np.float64(xb[start + lane])
            b += f * f
            v = xi[start + 32 + lane]
            e = v - np.float64(xa[start + 32 + lane])
            a += e * e
            f = v - np.float64(xb[start + 32 + lane])
            b += f * f
            lanes_a[lane], lanes_b[lane] = a, b
        start += 64
    if start < full:
        for lane in range(32):
            v = xi[start + lane]
            e = v - np.float64(xa[start + lane])
            lanes_a[lane] += e * e
            f = v - np.float64(xb[start + lane])
            lanes_b[lane] += f * f
    return _combine(lanes_a, xi, xa, full), _combine(lanes_b, xi, xb, full)


@numba.njit(nogil=True, cache=True)
def _k_nearest(x, row, columns, count, k, xi, lanes, squared, order, distances, indices):  # pragma: no cover - compiled
    # ŝ of every candidate (two at a time), then an insertion sort by (ŝ, column): columns arrive
    # ascending and only a strictly smaller ŝ moves an entry forward, so ties keep index order. A
    # row has k + a few candidates, so this is short.
    for t in range(xi.size):
        xi[t] = x[row, t]  # exact: float32 → float64, or a float64 copy
    values = squared[count:2 * count]
    t = 0
    while t + 1 < count:
        values[t], values[t + 1] = _two_pairs(xi, x[columns[t]], x[columns[t + 1]], lanes[0], lanes[1])
        t += 2
    if t < count:
        values[t] = _pair(xi, x[columns[t]], lanes[0])
    for t in range(count):
        value = values[t]
        place = t
        while place > 0 and squared[place - 1] > value:
            squared[place] = squared[place - 1]
            order[place] = order[place - 1]
            place -= 1
        squared[place] = value
        order[place] = columns[t]
    for t in range(k):
        distances[t] = np.sqrt(squared[t])
        indices[t] = order[t]


@numba.njit(nogil=True, cache=True)
def _nearest_among(x, first_row, indptr, columns, k, distances, indices):  # pragma: no cover - compiled
    lanes, xi = np.empty((2, 32)), np.empty(x.shape[1])
    longest = max(1, np.max(np.diff(indptr)))
    squared, order = np.empty(2 * longest), np.empty(longest, dtype=np.int64)
    for r in range(indptr.size - 1):
        start, stop = indptr[r], indptr[r + 1]
        _k_nearest(x, first_row + r, columns[start:stop], stop - start, k, xi, lanes, squared, order, distances[r],
                   indices[r])


@numba.njit(nogil=True, cache=True)
def _certified_rows(x, first_row, bounds, kth, q, tau, eta, k, distances, indices):  # pragma: no cover - compiled
    # Row r of the block is point i = first_row + r; bounds[r] holds its G_ij (G_ii = +inf) and
    # kth[r] the k-th smallest of them. Over the columns with G_il ≤ kth[r] (k or more),
    #   T_i = max(G_il + 2τ·q_l) + 2τ·q_i + 2η, rounded up to float32,
    # bounds the true k-th neighbour's ŝ from above (geometry.neighbors.candidate_threshold); the
    # candidates G_ij ≤ T_i get their exact ŝ and are sorted (_k_nearest).
    n = bounds.shape[1]
    lanes, xi = np.empty((2, 32)), np.empty(x.shape[1])
    columns = np.empty(n, dtype=np.int64)
    squared, order = np.empty(2 * n), np.empty(n, dtype=np.int64)
    counts = np.empty(bounds.shape[0], dtype=np.int64)
    for r in range(bounds.shape[0]):
        upper = -np.inf
        for j in range(n):
            if bounds[r, j] <= kth[r]:
                upper = max(upper, np.float64(bounds[r, j]) + 2.0 * tau * q[j])
        upper = upper + 2.0 * tau * q[first_row + r] + 2.0 * eta
        threshold = np.float32(upper)
        if np.float64(threshold) < upper:
            threshold = np.nextafter(threshold, np.float32(np.inf))
        count = 0
        for j in range(n):
            if bounds[r, j] <= threshold:
                columns[count] = j
                count += 1
        counts[r] = count
        if count >= k:
            _k_nearest(x, first_row + r, columns, count, k, xi, lanes, squared, order, distances[r], indices[r])
    return counts


def certified_rows(storage: np.ndarray, *, first_row: int, bounds: np.ndarray, kth: np.ndarray,
                   squared_norms: np.ndarray, tau: float, eta: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The end of the certified search (:func:`geometry.neighbors.nearest_neighbors`) in one
    compiled pass over rows ``first_row …``: from their float32 bounds G (R, n; +inf on the row
    itself) and the k-th smallest of each row ``kth`` (R,), the threshold T_i, then the exact ŝ of
    the candidates G_ij ≤ T_i. Returns (R, k) distances √ŝ and (R, k) int64 indices, ascending by
    (ŝ, index)."""
    n_rows = bounds.shape[0]
    distances = np.empty((n_rows, k), dtype=np.float64)
    indices = np.empty((n_rows, k), dtype=np.int64)
    counts = _certified_rows(storage, int(first_row), bounds, kth, squared_norms, float(tau), float(eta), int(k),
                             distances, indices)
    if counts.min() < k:
        raise AssertionError(f"a row has {counts.min()} candidates, fewer than k={k}: the bound is broken.")
    return distances, indices


def nearest_among_candidates(storage: np.ndarray, *, first_row: int, indptr: np.ndarray, columns: np.ndarray,
                             k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest of each row's candidates by (ŝ, index), with exact float64 distances.

    ``storage``: the cloud as :func:`exact_storage` returns it (prepared once per cloud).
    Row ``first_row + r`` has the candidates ``columns[indptr[r]:indptr[r + 1]]`` (CSR), which must
    ascend, exclude the row itself and number at least ``k``. Returns (R, k) distances √ŝ and
    (R, k) int64 indices, ascending by (ŝ, index).
    """
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    columns = np.ascontiguousarray(columns, dtype=np.int64)
    if np.any(np.diff(indptr) < k):
        raise GeometryError(f"every row needs at least k={k} candidates.")
    n_rows = indptr.size - 1
    distances = np.empty((n_rows, k), dtype=np.float64)
    indices = np.empty((n_rows, k), dtype=np.int64)
    _nearest_among(storage, int(first_row), indptr, columns, int(k), distances, indices)
    return distances, indices


def exact_storage(points: np.ndarray) -> np.ndarray:
    """The cloud as the kernels read it: the values as float32 when that is exact (half the memory traffic, same float64 arithmetic),
    float64 otherwise; C-contiguous either way."""
    x = np.ascontiguousarray(points)
    if x.dtype == np.float32:
        return x
    x = np.ascontiguousarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):  # too large for float32: inf, not equal, so float64 is kept
        narrow = x.astype(np.float32)
    return narrow if np.array_equal(narrow, x) else x
