import warnings

import numpy as np
import pytest
import skdim
from hypothesis import given, settings
from hypothesis import strategies as st

from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError
from geometry.local_id import harmonic_mean_id, local_id
from geometry.neighbors import nearest_neighbors
from geometry.twonn import twonn
from tests.geometry.golden import clouds


def _skdim_mle(points, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skdim.id.MLE().fit(points, n_neighbors=k)


@pytest.mark.parametrize("name", ["plane", "gauss", "sphere3"])
def test_mle_equals_skdim_levina_bickel(name):
    points = clouds()[name]
    result = local_id(points, k=20)
    oracle = _skdim_mle(points, 20)
    np.testing.assert_allclose(result.ids, oracle.dimension_pw_, rtol=1e-10)
    assert result.harmonic_mean == pytest.approx(oracle.dimension_, rel=1e-10)  # skdim comb="mle"


def test_mle_with_k_two_is_pointwise_twonn_and_harmonic_mean_is_twonn_mle():
    points = clouds()["swiss"]
    result = local_id(points, k=2)
    neighbors = nearest_neighbors(points, k=2)
    np.testing.assert_allclose(result.ids, 1.0 / np.log(neighbors.distances[:, 1] / neighbors.distances[:, 0]))
    n = points.shape[0]
    assert result.harmonic_mean == pytest.approx(twonn(points, method="mle").id * n / (n - 1), rel=1e-10)


@pytest.mark.parametrize("d,tolerance", [(2, 0.04), (3, 0.06), (5, 0.15)])
def test_mle_on_uniform_cube_is_close_to_d(d, tolerance):
    # Only tokens whose k-neighbourhood ball lies inside the cube are unbiased (the boundary
    # lowers the estimate); the tolerance is ~3 standard errors of their harmonic mean.
    rng = np.random.default_rng(d)
    cube = rng.uniform(size=(3000, d))
    points = cube @ np.linalg.qr(rng.normal(size=(12, d)))[0].T
    neighbors = nearest_neighbors(points, k=15)
    ids = local_id(points, k=15, neighbors=neighbors).ids
    inside = np.min(np.minimum(cube, 1 - cube), axis=1) > neighbors.distances[:, -1]
    assert inside.sum() > 80
    assert harmonic_mean_id(ids[inside]) == pytest.approx(d, rel=tolerance)
    assert local_id(points, k=15).harmonic_mean < d  # with the boundary: biased low


@pytest.mark.parametrize("threshold", [0.5, 0.9, 0.99])
def test_pca_equals_skdim_lpca_ratio_on_each_neighborhood(threshold):
    points = clouds()["swiss"][:300]
    k = 12
    result = local_id(points, k=k, method="pca", variance_threshold=threshold)
    neighbors = nearest_neighbors(points, k=k)
    for i in range(0, 300, 7):
        hood = points[np.r_[i, neighbors.indices[i]]]
        expected = skdim.id.lPCA(ver="ratio", alphaRatio=threshold).fit(hood).dimension_
        assert result.ids[i] == expected


def test_pca_on_a_flat_plane_is_two():
    points = clouds()["plane"]
    ids = local_id(points, k=10, method="pca", variance_threshold=0.999).ids
    assert np.all(ids == 2)
    # The leading component of a 2-D neighbourhood always explains at least half of its variance.
    assert np.all(local_id(points, k=10, method="pca", variance_threshold=0.5).ids == 1)


def test_duplicates_share_their_first_occurrence_value():
    points = clouds()["gauss"][:200]
    cloud = np.vstack([points, points[[3, 7]]])
    result = local_id(cloud, k=10)
    assert result.n_duplicates == 2
    np.testing.assert_array_equal(result.distinct_rows, np.arange(200))
    np.testing.assert_allclose(result.ids[:200], local_id(points, k=10).ids)
    assert result.ids[200] == result.ids[3] and result.ids[201] == result.ids[7]
    assert result.harmonic_mean == pytest.approx(local_id(points, k=10).harmonic_mean)


def test_precomputed_neighbors_with_more_columns():
    points = clouds()["sphere3"][:300]
    neighbors = nearest_neighbors(points, k=30)
    for method in ("mle", "pca"):
        np.testing.assert_allclose(
            local_id(points, k=10, method=method, neighbors=neighbors).ids, local_id(points, k=10, method=method).ids
        )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-2, 1e2), method=st.sampled_from(["mle", "pca"]))
def test_invariant_to_rotation_translation_scale_order(seed, scale, method):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(80, 3)) @ rng.normal(size=(3, 6))
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    order = rng.permutation(80)
    reference = local_id(x, k=8, method=method).ids
    moved = local_id(scale * x[order] @ q + 2.0, k=8, method=method).ids
    np.testing.assert_allclose(moved, reference[order], rtol=1e-7)


def test_harmonic_mean_closed_form_and_errors():
    assert harmonic_mean_id([1.0, 2.0, 4.0]) == pytest.approx(3 / (1 + 0.5 + 0.25))
    with pytest.raises(GeometryError):
        harmonic_mean_id([1.0, 0.0])
    with pytest.raises(TooFewPointsError):
        harmonic_mean_id([])


def test_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(TooFewPointsError):
        local_id(rng.normal(size=(5, 3)), k=5)
    with pytest.raises(TooFewPointsError):
        local_id(np.ones((30, 3)), k=5)
    with pytest.raises(NonFiniteError):
        local_id(np.full((30, 3), np.inf), k=5)
    with pytest.raises(GeometryError):
        local_id(rng.normal(size=(30, 3)), k=1)
    with pytest.raises(GeometryError):
        local_id(rng.normal(size=(30, 3)), k=5, method="twonn")
    with pytest.raises(GeometryError):
        local_id(rng.normal(size=(30, 3)), k=5, method="pca", variance_threshold=1.5)
    cloud = np.vstack([np.eye(6), np.eye(6)])
    with pytest.raises(DegenerateCloudError):
        local_id(cloud, k=3, neighbors=nearest_neighbors(cloud, k=3))
    # All k neighbours equidistant (regular simplex): the MLE is infinite.
    with pytest.raises(DegenerateCloudError):
        local_id(np.eye(6), k=5)
