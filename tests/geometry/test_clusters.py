import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geometry.clusters import semantic_clusters
from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.local_id import harmonic_mean_id, local_id


def _two_groups(seed=0):
    rng = np.random.default_rng(seed)
    low = rng.normal(size=(60, 2)) @ rng.normal(size=(2, 20)) + 20.0  # flat, far away
    high = rng.normal(size=(60, 10)) @ rng.normal(size=(10, 20)) - 20.0
    return np.vstack([high, low])  # the high-ID group comes first


@pytest.mark.parametrize("metric,linkage", [("euclidean", "ward"), ("euclidean", "average"), ("cosine", "average"),
                                           ("cosine", "ward")])
@pytest.mark.parametrize("centre", [True, False])
def test_recovers_groups_and_orders_low_id_first(metric, linkage, centre):
    points = _two_groups()
    result = semantic_clusters(points, n_clusters=2, metric=metric, linkage=linkage, centre=centre, low_id_share=1.0)
    np.testing.assert_array_equal(result.labels[60:], 0)  # low-ID group relabelled 0
    np.testing.assert_array_equal(result.labels[:60], 1)
    assert result.cluster_ids[0] < result.cluster_ids[1]
    ids = local_id(points, k=10).ids
    assert result.cluster_ids[0] == pytest.approx(harmonic_mean_id(ids[60:]))
    np.testing.assert_array_equal(result.cluster_sizes, [60, 60])
    np.testing.assert_array_equal(result.members(0), np.arange(60, 120))


def test_distance_threshold_and_precomputed_ids():
    points = _two_groups(1)
    ids = np.r_[np.full(60, 9.0), np.full(60, 2.0)]
    result = semantic_clusters(points, distance_threshold=1.0, local_ids=ids, linkage="average",
                               low_id_share=1.0)  # cosine distance ≤ 1
    assert result.n_clusters == 2
    np.testing.assert_allclose(result.cluster_ids, [2.0, 9.0])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_clusters=st.integers(1, 6))
def test_labels_cover_all_tokens_and_ids_ascend(seed, n_clusters):
    points = np.random.default_rng(seed).normal(size=(40, 5))
    result = semantic_clusters(points, n_clusters=n_clusters, k=5, low_id_share=1.0)
    assert result.labels.shape == (40,)
    assert set(result.labels.tolist()) == set(range(n_clusters))
    assert result.cluster_sizes.sum() == 40
    assert np.all(np.diff(result.cluster_ids) >= 0)


def test_errors():
    points = _two_groups()
    with pytest.raises(GeometryError):
        semantic_clusters(points)
    with pytest.raises(GeometryError):
        semantic_clusters(points, n_clusters=2, distance_threshold=0.5)
    with pytest.raises(GeometryError):
        semantic_clusters(points, n_clusters=2, low_id_share=0.0)
    with pytest.raises(TooFewPointsError):
        semantic_clusters(points[:5], n_clusters=6, local_ids=np.ones(5), low_id_share=1.0)
    with pytest.raises(TooFewPointsError):  # only 3 of the 5 tokens are clustered
        semantic_clusters(points[:5], n_clusters=4, local_ids=np.arange(1.0, 6.0), low_id_share=0.5)
    with pytest.raises(GeometryError):
        semantic_clusters(points, n_clusters=2, local_ids=np.ones(3))
    with pytest.raises(DegenerateCloudError):
        semantic_clusters(np.vstack([points, np.zeros((1, 20))]), n_clusters=2, centre=False, low_id_share=1.0)


def _groups_on_a_common_direction(seed=1):
    """Four groups of 40 tokens and 6 far outliers, all offset along one shared direction (as hidden
    states are)."""
    rng = np.random.default_rng(seed)
    common = np.zeros(32)
    common[0] = 40.0
    groups = [centre + 0.35 * rng.normal(size=(40, 32)) for centre in rng.normal(size=(4, 32))]
    return np.vstack(groups + [8.0 * rng.normal(size=(6, 32))]) + common


def test_no_single_cluster_swallows_the_cloud():
    """Issue 11, finding 5: raw cosine with average linkage merged most tokens into one cluster."""
    points = _groups_on_a_common_direction()
    old = semantic_clusters(points, n_clusters=8, linkage="average", centre=False, low_id_share=1.0)
    assert old.cluster_sizes.max() / len(points) > 0.7  # the failure this module now avoids
    every = semantic_clusters(points, n_clusters=8, low_id_share=1.0)
    assert every.cluster_sizes.max() <= 41  # each group is (at most) one cluster
    for group in range(4):
        assert np.unique(every.labels[40 * group : 40 * group + 40]).size == 1
    default = semantic_clusters(points, n_clusters=8)
    assert default.cluster_sizes.max() / len(points) < 0.3


def test_only_the_lowest_local_ids_are_clustered():
    points = _groups_on_a_common_direction()
    ids = np.arange(1.0, len(points) + 1.0)[::-1]  # the last rows have the lowest IDs
    result = semantic_clusters(points, n_clusters=3, local_ids=ids, low_id_share=0.25)
    clustered = np.flatnonzero(result.labels >= 0)
    np.testing.assert_array_equal(clustered, np.arange(len(points) - 42, len(points)))  # ⌈0.25 · 166⌉ = 42
    assert result.n_clustered == result.cluster_sizes.sum() == 42
    assert result.id_cutoff == 42.0


def test_neighborhood_groups_join_seeds_that_share_neighbors():
    from geometry.clusters import neighborhood_groups

    seeds = [50, 7, 60, 8, 99]
    neighbors = [[51, 52], [1, 2], [52, 61], [2, 9], [98, 97]]  # 50~60 share 52; 7~8 share 2
    np.testing.assert_array_equal(neighborhood_groups(seeds, neighbors), [0, 1, 0, 1, 2])
    np.testing.assert_array_equal(neighborhood_groups([3, 4], [[4], [5]]), [0, 0])  # a seed is another's neighbour
