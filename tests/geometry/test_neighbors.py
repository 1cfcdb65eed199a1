import numpy as np
import pytest
from scipy.spatial.distance import cdist

from geometry.cloud import prepare_cloud
from geometry.duplicates import remove_duplicates
from geometry.neighbors import nearest_neighbors


@pytest.mark.parametrize("block_bytes", [64 * 2**20, 2000])
def test_matches_brute_force_distances(block_bytes):
    rng = np.random.default_rng(1)
    points = rng.normal(size=(200, 7)) * 50 + 1000  # far from the origin: centring must keep precision
    neighbors = nearest_neighbors(points, k=10, block_bytes=block_bytes)
    exact = cdist(points, points)
    np.fill_diagonal(exact, np.inf)
    expected = np.sort(exact, axis=1)[:, :10]
    np.testing.assert_allclose(neighbors.distances, expected, rtol=1e-9)
    np.testing.assert_array_equal(neighbors.indices, np.argsort(exact, axis=1)[:, :10])


def test_self_is_excluded_and_k_equal_to_n_minus_one_works():
    points = np.random.default_rng(2).normal(size=(5, 3))
    neighbors = nearest_neighbors(points, k=4)
    assert all(i not in row for i, row in enumerate(neighbors.indices))
    assert neighbors.distances.shape == (5, 4)


def test_remove_duplicates_keeps_first_occurrences_in_order():
    points = np.array([[1.0, 2.0], [0.0, 0.0], [1.0, 2.0], [-0.0, 0.0], [3.0, 1.0]])
    result = remove_duplicates(points)
    assert result.n_removed == 2
    np.testing.assert_array_equal(result.keep, [0, 1, 4])
    np.testing.assert_array_equal(result.inverse, [0, 1, 0, 1, 2])
    np.testing.assert_array_equal(result.points[result.inverse], points + 0.0)


def test_prepare_cloud_searches_all_points_only_when_there_are_duplicates():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(40, 4))
    clean = prepare_cloud(points, k_distinct=16, k_all=6)
    assert clean.all_neighbors is clean.neighbors
    doubled = prepare_cloud(np.vstack([points, points[:5]]), k_distinct=16, k_all=6)
    assert doubled.n_duplicates == 5
    assert doubled.all_neighbors.distances.shape == (45, 6)
    assert doubled.neighbors.distances.shape == (40, 16)


def test_query_rows_give_the_same_rows_as_the_full_search():
    points = np.random.default_rng(5).normal(size=(300, 7))
    full = nearest_neighbors(points, k=6)
    for start, stop in [(0, 300), (0, 1), (17, 140), (299, 300), (40, 40)]:
        part = nearest_neighbors(points, k=6, query_rows=(start, stop), block_bytes=8 * 300 * 16)
        np.testing.assert_array_equal(part.indices, full.indices[start:stop])
        np.testing.assert_array_equal(part.distances, full.distances[start:stop])
