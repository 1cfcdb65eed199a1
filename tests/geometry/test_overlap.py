import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geometry.errors import GeometryError, NonFiniteError, TooFewPointsError
from geometry.neighbors import nearest_neighbors
from geometry.overlap import consecutive_overlaps, neighborhood_overlap
from tests.geometry.golden import clouds, golden


@pytest.mark.parametrize("pair", ["plane__plane_noisy", "plane__indep"])
def test_equals_dadapy_return_data_overlap(pair):
    expected = golden()["overlap"][pair]
    a, b = clouds()[expected["base"]], clouds()[expected["other"]]
    for k, value in zip(expected["k"], expected["overlap"]):
        assert abs(neighborhood_overlap(a, b, k=k) - value) <= 1e-12


def test_consecutive_overlaps_match_pairwise_and_accept_neighbors():
    layers = [clouds()["plane"], clouds()["plane_noisy"], clouds()["indep"]]
    table = consecutive_overlaps(layers)
    assert table.shape == (2, 6)
    expected = golden()["overlap"]["plane__plane_noisy"]["overlap"]
    assert np.max(np.abs(table[0] - expected)) <= 1e-12
    mixed = [nearest_neighbors(layers[0], k=6), layers[1], nearest_neighbors(layers[2], k=10)]
    np.testing.assert_array_equal(consecutive_overlaps(mixed), table)


def test_self_overlap_is_one_and_independent_is_chance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 5))
    assert neighborhood_overlap(a, a, k=3) == 1.0
    chance = np.mean([neighborhood_overlap(a, rng.normal(size=(400, 5)), k=5) for _ in range(5)])
    assert chance == pytest.approx(5 / 399, rel=0.3)


def test_closed_form_on_a_line():
    # a: 0, 1, 3, 7 → nearest neighbours 0→1, 1→0, 2→1, 3→2.
    # b: 0, 10, 11, 30 → nearest neighbours 0→1, 1→2, 2→1, 3→2. They agree for 3 of 4 tokens.
    a = np.array([[0.0], [1.0], [3.0], [7.0]])
    b = np.array([[0.0], [10.0], [11.0], [30.0]])
    assert neighborhood_overlap(a, b, k=1) == pytest.approx(3 / 4)
    # k = 2: a → {1,2}, {0,2}, {1,0}, {2,1}; b → {1,2}, {2,0}, {1,0}, {2,1}: all agree.
    assert neighborhood_overlap(a, b, k=2) == 1.0


def test_duplicates_are_kept():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(50, 3))
    a = np.vstack([a, a[:1] + 0.0])
    assert neighborhood_overlap(a, a.copy(), k=2) == 1.0


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(0.01, 100.0), dtype=st.sampled_from([np.float32, np.float64]))
def test_invariant_to_rotation_translation_scale(seed, scale, dtype):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(60, 6))
    b = a + 0.3 * rng.normal(size=a.shape)
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    moved = (scale * (a @ q + 5.0)).astype(dtype)  # offset relative to the scale: no float32 near-ties
    for k in (1, 3):
        assert neighborhood_overlap(moved, b, k=k) == pytest.approx(neighborhood_overlap(a, b, k=k), abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_permuting_tokens_in_both_clouds_changes_nothing(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(40, 4)), rng.normal(size=(40, 7))
    order = rng.permutation(40)
    assert neighborhood_overlap(a[order], b[order], k=2) == pytest.approx(neighborhood_overlap(a, b, k=2), abs=1e-12)
    assert neighborhood_overlap(a, b, k=2) == pytest.approx(neighborhood_overlap(b, a, k=2), abs=1e-12)


def test_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(GeometryError):
        neighborhood_overlap(rng.normal(size=(10, 2)), rng.normal(size=(11, 2)))
    with pytest.raises(TooFewPointsError):
        neighborhood_overlap(rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), k=3)
    with pytest.raises(NonFiniteError):
        neighborhood_overlap(np.full((5, 2), np.inf), rng.normal(size=(5, 2)))
    with pytest.raises(TooFewPointsError):
        consecutive_overlaps([rng.normal(size=(10, 2))])
    with pytest.raises(TooFewPointsError):
        consecutive_overlaps([nearest_neighbors(rng.normal(size=(10, 2)), k=2), rng.normal(size=(10, 2))], ks=[1, 3])
    with pytest.raises(GeometryError):
        consecutive_overlaps([rng.normal(size=(10, 2))] * 2, ks=[])


def test_all_k_at_once_equal_the_set_intersections():
    """overlaps_up_to (one comparison, cumulative counts) against |A ∩ B| of Python sets per k."""
    from geometry.neighbors import Neighbors
    from geometry.overlap import overlaps_up_to

    rng = np.random.default_rng(3)
    n, k_max = 200, 6
    a = np.array([rng.choice(n, size=k_max, replace=False) for _ in range(n)])
    b = np.array([rng.permutation(row) for row in a])  # a's neighbours in another order …
    b = np.where(rng.random((n, k_max)) < 0.4, n + np.arange(n * k_max).reshape(n, k_max), b)  # … some replaced
    na = Neighbors(distances=np.zeros((n, k_max)), indices=a)
    nb = Neighbors(distances=np.zeros((n, k_max)), indices=b)
    expected = [np.mean([len(set(a[i, :k]) & set(b[i, :k])) / k for i in range(n)]) for k in range(1, k_max + 1)]
    np.testing.assert_allclose(overlaps_up_to(na, nb, k_max=k_max), expected, rtol=1e-15)
    assert 0 < expected[0] < expected[-1] < 1 and len(set(expected)) == k_max
