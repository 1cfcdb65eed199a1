import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.manifold._locally_linear import barycenter_weights

from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError
from geometry.lle import lle_transfer, lle_weights
from geometry.neighbors import nearest_neighbors
from tests.geometry.golden import clouds


@pytest.mark.parametrize("k,reg", [(5, 1e-3), (12, 1e-2), (30, 1e-3)])
def test_equals_sklearn_barycenter_weights(k, reg):
    points = clouds()["swiss"][:400]
    result = lle_weights(points, k=k, reg=reg)
    np.testing.assert_allclose(result.weights, barycenter_weights(points, points, result.indices, reg=reg), atol=1e-10)
    np.testing.assert_allclose(result.weights.sum(axis=1), 1.0, atol=1e-12)


def test_exact_reconstruction_of_an_affine_combination():
    rng = np.random.default_rng(0)
    anchors = rng.normal(size=(3, 10))  # affine hull: a plane in 10-D
    w = np.array([0.5, 0.3, 0.2])
    target = w @ anchors
    far = rng.normal(size=(20, 10)) * 50 + 500
    points = np.vstack([target, anchors, far])
    result = lle_weights(points, k=3, reg=1e-12)
    order = np.argsort(result.indices[0])
    np.testing.assert_allclose(result.indices[0][order], [1, 2, 3])
    np.testing.assert_allclose(result.weights[0][order], w, atol=1e-6)
    np.testing.assert_allclose(result.reconstruct(points)[0], target, atol=1e-6)


def test_transfer_between_rotated_scaled_copies_is_as_good_as_own():
    points = clouds()["swiss"][:300]
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(points.shape[1] + 4,) * 2))
    other = 3.0 * np.hstack([points, np.zeros((300, 4))]) @ q + 1.0  # wider model, same geometry
    result = lle_transfer(points, other, k=8)
    assert result.error_transfer == pytest.approx(result.error_own, rel=1e-6)
    assert result.error_transfer < result.error_uniform < result.error_random
    assert result.token_errors.shape == (300,)
    assert np.mean(result.token_errors) == pytest.approx(result.error_transfer)


def test_transfer_to_unrelated_cloud_is_no_better_than_chance():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(300, 5)), rng.normal(size=(300, 5))
    result = lle_transfer(a, b, k=8, seed=3)
    assert result.error_transfer > 0.8 * result.error_random
    assert result.error_own < result.error_transfer


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-2, 1e2), dtype=st.sampled_from([np.float32, np.float64]))
def test_weights_invariant_to_rotation_translation_scale(seed, scale, dtype):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(50, 4))
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    reference = lle_weights(x, k=6)
    moved = lle_weights((scale * (x @ q + 1.0)).astype(dtype), k=6, neighbors=nearest_neighbors(x, k=6))
    tolerance = 1e-3 if dtype == np.float32 else 1e-8
    np.testing.assert_allclose(moved.weights, reference.weights, atol=tolerance)
    np.testing.assert_allclose(moved.weights.sum(axis=1), 1.0, atol=1e-12)


def test_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(TooFewPointsError):
        lle_weights(rng.normal(size=(5, 3)), k=5)
    with pytest.raises(GeometryError):
        lle_weights(rng.normal(size=(20, 3)), k=5, reg=0.0)
    with pytest.raises(NonFiniteError):
        lle_weights(np.full((20, 3), np.nan), k=5)
    with pytest.raises(GeometryError):
        lle_transfer(rng.normal(size=(20, 3)), rng.normal(size=(21, 3)), k=5)
    with pytest.raises(DegenerateCloudError):
        lle_transfer(rng.normal(size=(20, 3)), np.ones((20, 3)), k=5)
    with pytest.raises(GeometryError):
        lle_weights(rng.normal(size=(20, 3)), k=5).reconstruct(rng.normal(size=(30, 3)))
