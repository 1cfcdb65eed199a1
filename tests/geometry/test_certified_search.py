"""The certified float32 neighbour search returns exactly the float64 search's neighbours.

The float64 search (the definition, geometry/exact_distances.py): for each point the k points
j ≠ i with the smallest (ŝ(i, j), j), ŝ the float64 squared distance by explicit differences,
ties to the smaller index. Its brute-force form — ŝ for every pair — is the oracle; the
certified search (float32 product, error bound, float64 for the candidates only) must give the
same indices and the same float64 distances, bit for bit, on adversarial clouds: near-ties,
exact ties, duplicates, huge norms (attention-sink rows), clouds far from the origin, tiny and
huge scales, and values on the grids of low-precision models (bfloat16, float16).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from geometry.exact_distances import exact_storage, nearest_among_candidates
from geometry.neighbors import float32_cloud, nearest_neighbors


def brute_force(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The float64 search by definition: ŝ of every pair, then (ŝ, index) order."""
    x = np.ascontiguousarray(points, dtype=np.float64)
    n = x.shape[0]
    columns = np.array([j for i in range(n) for j in range(n) if j != i], dtype=np.int64)
    indptr = np.arange(0, n * (n - 1) + 1, n - 1)
    return nearest_among_candidates(exact_storage(x), first_row=0, indptr=indptr, columns=columns, k=k)


def all_squared_distances(points: np.ndarray) -> np.ndarray:
    """ŝ(i, j) for every pair (0 on the diagonal), through the same kernel."""
    x = np.ascontiguousarray(points, dtype=np.float64)
    n = x.shape[0]
    distances, indices = brute_force(x, n - 1)
    exact = np.zeros((n, n))
    np.put_along_axis(exact, indices, distances**2, axis=1)
    return exact


def _round_to_bfloat16(values: np.ndarray) -> np.ndarray:
    bits = values.astype(np.float32).view(np.uint32)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000  # round to nearest even
    return rounded.astype(np.uint32).view(np.float32)


def _on_grid(x: np.ndarray, grid: str, scale: float) -> np.ndarray:
    if grid == "float32":
        x = x.astype(np.float32)
    elif grid == "bfloat16":  # low-precision model states: few distinct values, many exact ties
        x = _round_to_bfloat16(x)
    elif grid == "float16":
        x = np.clip(x / scale, -6e4, 6e4).astype(np.float16).astype(np.float32)
    elif grid == "integers":  # exact ties in ŝ everywhere
        x = np.round(x / scale * 2.0)
    return x


@st.composite
def adversarial_clouds(draw):
    n = draw(st.integers(3, 70))
    d = draw(st.sampled_from([1, 2, 3, 7, 31, 32, 33, 64, 70]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = 10.0 ** draw(st.integers(-30, 30))
    x = rng.normal(size=(n, d)) * scale
    if draw(st.booleans()):  # far from the origin: the centring must not lose the distances
        x += rng.normal(size=d) * scale * 10.0 ** draw(st.integers(1, 6))
    if draw(st.booleans()):  # attention sinks: a few rows with huge norms
        sinks = rng.choice(n, size=draw(st.integers(1, 3)), replace=True)
        x[sinks] *= 10.0 ** draw(st.integers(2, 5))
    for _ in range(draw(st.integers(0, 4))):  # exact duplicates
        x[rng.integers(n)] = x[rng.integers(n)]
    for _ in range(draw(st.integers(0, 4))):  # near-ties: a row one ulp away, or mirrored around a third
        i, j = rng.integers(n, size=2)
        x[i] = np.nextafter(x[j], np.inf) if draw(st.booleans()) else 2 * x[rng.integers(n)] - x[j]
    grid = draw(st.sampled_from(["float64", "float32", "bfloat16", "float16", "integers"]))
    with np.errstate(over="ignore", invalid="ignore"):  # huge scales overflow float32 (assumed away below)
        x = _on_grid(x, grid, scale)
    x = np.asarray(x, dtype=np.float64)
    assume(np.all(np.isfinite(x)))  # float32 rounding of the largest scales overflows to inf
    k = draw(st.integers(1, n - 1))
    return x, k


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cloud=adversarial_clouds(), block=st.sampled_from([64 * 2**20, 1000]))
def test_certified_search_equals_the_float64_search(cloud, block):
    x, k = cloud
    found = nearest_neighbors(x, k=k, block_bytes=block)
    distances, indices = brute_force(x, k)
    np.testing.assert_array_equal(found.indices, indices)
    np.testing.assert_array_equal(found.distances, distances)


@settings(max_examples=150, deadline=None)
@given(cloud=adversarial_clouds())
def test_the_float32_error_bound_holds_for_every_pair(cloud):
    """|G_ij + τ·q_j − ŝ'(i, j)| ≤ τ·(q_i + q_j) + η for every pair, ŝ' = ŝ in the scaled units."""
    x, _ = cloud
    prepared = float32_cloud(x)
    y, q, tau, eta = prepared.scaled, prepared.squared_norms, prepared.tau, prepared.eta
    g = (q.astype(np.float32)[:, None] + ((1.0 - tau) * q).astype(np.float32)[None, :]) - np.float32(2) * (y @ y.T)
    assert np.abs(y).max() <= 1.0  # the scaling keeps float32 far from overflow
    exact = all_squared_distances(x) * 2.0 ** (-2 * prepared.exponent)
    error = np.abs(g.astype(np.float64) + tau * q[None, :] - exact)
    allowed = tau * (q[:, None] + q[None, :]) + eta
    off_diagonal = ~np.eye(x.shape[0], dtype=bool)
    assert np.all(error[off_diagonal] <= allowed[off_diagonal])


def test_the_exact_kernels_read_float32_only_when_that_is_exact():
    rng = np.random.default_rng(8)
    narrow = rng.normal(size=(30, 5)).astype(np.float32).astype(np.float64)
    assert float32_cloud(narrow).exact.dtype == np.float32
    np.testing.assert_array_equal(float32_cloud(narrow).exact, narrow)
    wide = narrow + 1e-12
    assert float32_cloud(wide).exact.dtype == np.float64
    np.testing.assert_array_equal(float32_cloud(wide).exact, wide)
    huge = narrow * 1e300
    assert float32_cloud(huge).exact.dtype == np.float64


def test_integer_lattice_ties_go_to_the_smaller_index():
    """An independent oracle: on integer points ŝ is an exact integer, so the order is known
    exactly, ties included (many: a lattice has equidistant points everywhere)."""
    rng = np.random.default_rng(5)
    x = rng.integers(-3, 4, size=(120, 40)).astype(np.float64)
    x[10] = x[20]  # duplicates at distance 0
    exact = ((x[:, None, :].astype(np.int64) - x[None, :, :].astype(np.int64)) ** 2).sum(axis=2)
    np.fill_diagonal(exact, np.iinfo(np.int64).max)
    expected = np.array([np.lexsort((np.arange(120), row))[:30] for row in exact])
    found = nearest_neighbors(x, k=30)
    np.testing.assert_array_equal(found.indices, expected)
    np.testing.assert_array_equal(found.distances, np.sqrt(np.take_along_axis(exact, expected, axis=1)))
    assert found.indices[10, 0] == 20 and found.indices[20, 0] == 10 and found.distances[10, 0] == 0.0


def test_exact_distances_agree_with_compensated_sums():
    """ŝ is within a few ulps of the correctly rounded squared distance (math.fsum)."""
    import math

    rng = np.random.default_rng(6)
    x = (rng.normal(size=(60, 77)) * 1e3 + 1e6).astype(np.float32).astype(np.float64)
    found = nearest_neighbors(x, k=5)
    for i in range(0, 60, 7):
        for j, distance in zip(found.indices[i], found.distances[i]):
            exact = math.fsum((a - b) ** 2 for a, b in zip(x[i], x[j]))
            assert distance**2 == pytest.approx(exact, rel=1e-14)


def test_huge_and_tiny_scales_do_not_overflow_or_underflow_float32():
    rng = np.random.default_rng(7)
    for scale in (1e-150, 1e-40, 1e30, 1e150):  # float32 squares would under/overflow
        x = rng.normal(size=(50, 9)) * scale
        found = nearest_neighbors(x, k=6)
        distances, indices = brute_force(x, 6)
        np.testing.assert_array_equal(found.indices, indices)
        np.testing.assert_array_equal(found.distances, distances)
        assert np.all(np.isfinite(found.distances)) and np.all(found.distances > 0)


def _lane_order_reference(xi: np.ndarray, xj: np.ndarray) -> float:
    """ŝ(i, j) summed in the documented order, in plain numpy float64 scalars (an oracle
    independent of the compiled kernels): 32 lanes, lane l adding t ≡ l (mod 32) in order over the
    first 32·⌊d/32⌋ features, the lanes combined pairwise, then the remaining features in order."""
    e = np.asarray(xi, dtype=np.float64) - np.asarray(xj, dtype=np.float64)
    full = e.size - e.size % 32
    lanes = [np.float64(0.0)] * 32
    for start in range(0, full, 32):
        lanes = [lanes[lane] + e[start + lane] * e[start + lane] for lane in range(32)]
    while len(lanes) > 1:
        lanes = [lanes[2 * i] + lanes[2 * i + 1] for i in range(len(lanes) // 2)]
    total = lanes[0]
    for t in range(full, e.size):
        total = total + e[t] * e[t]
    return float(total)


@pytest.mark.parametrize("d", [1, 31, 32, 33, 64, 95, 96, 97, 160, 577])
@pytest.mark.parametrize("narrow", [True, False])
def test_the_kernels_sum_in_the_documented_order(d, narrow):
    """Every candidate's ŝ (the kernels take candidates two at a time, and one alone when their
    count is odd) equals the lane-order oracle bit for bit, for float32 and float64 storage."""
    rng = np.random.default_rng(d)
    x = rng.normal(size=(9, d)) * 10.0 ** rng.integers(-3, 4, size=(9, 1))
    x = x.astype(np.float32).astype(np.float64) if narrow else x
    storage = exact_storage(x)
    assert storage.dtype == (np.float32 if narrow else np.float64)
    n = x.shape[0]
    for count in (n - 1, n - 2):  # an even and an odd number of candidates per row
        columns = np.concatenate([[j for j in range(n) if j != i][:count] for i in range(n)]).astype(np.int64)
        indptr = np.arange(0, n * count + 1, count)
        distances, indices = nearest_among_candidates(storage, first_row=0, indptr=indptr, columns=columns, k=count)
        for i in range(n):
            for distance, j in zip(distances[i], indices[i]):
                assert distance == np.sqrt(_lane_order_reference(x[i], x[j]))
