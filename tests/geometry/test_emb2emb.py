import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score

from geometry.emb2emb import fit_emb2emb, steering_transfer
from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d_a=st.integers(2, 12), d_b=st.integers(1, 12))
def test_recovers_a_known_affine_map(seed, d_a, d_b):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(80, d_a))
    weights, bias = rng.normal(size=(d_a, d_b)), rng.normal(size=d_b)
    result = fit_emb2emb(a, a @ weights + bias, seed=seed % 1000)
    np.testing.assert_allclose(result.weights, weights, atol=1e-8)
    np.testing.assert_allclose(result.bias, bias, atol=1e-8)
    assert result.r2_test == pytest.approx(1.0, abs=1e-10)
    np.testing.assert_allclose(result.apply(a), a @ weights + bias, atol=1e-8)


def test_ridge_equals_sklearn_and_r2_is_variance_weighted():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(120, 10))
    b = a @ rng.normal(size=(10, 6)) * np.array([1, 2, 3, 4, 5, 60]) + rng.normal(size=(120, 6))
    result = fit_emb2emb(a, b, ridge=5.0, test_fraction=0.25, seed=7)
    model = Ridge(alpha=5.0).fit(a[result.train_indices], b[result.train_indices])
    np.testing.assert_allclose(result.weights, model.coef_.T, atol=1e-10)
    np.testing.assert_allclose(result.bias, model.intercept_, atol=1e-10)
    test = result.test_indices
    expected = r2_score(b[test], model.predict(a[test]), multioutput="variance_weighted")
    assert result.r2_test == pytest.approx(expected, abs=1e-10)
    assert test.size == 30 and np.intersect1d(test, result.train_indices).size == 0


def test_split_is_seeded_and_held_out_r2_is_honest():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(100, 30)), rng.normal(size=(100, 5))
    first, second = fit_emb2emb(a, b, seed=4), fit_emb2emb(a, b, seed=4)
    np.testing.assert_array_equal(first.test_indices, second.test_indices)
    assert first.r2_train > 0.2 and first.r2_test < 0.1  # no relation: overfits the training set only
    assert np.isnan(fit_emb2emb(a, b, test_fraction=0.0).r2_test)


def test_underdetermined_fit_is_minimum_norm_and_interpolates():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(10, 40)), rng.normal(size=(10, 3))
    result = fit_emb2emb(a, b, test_fraction=0.0)
    assert result.r2_train == pytest.approx(1.0, abs=1e-10)


def test_steering_vector_transfers_through_the_true_map():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(200, 16))
    a[:50] += 2.0 * rng.normal(size=16)  # the "positive" concept direction
    weights = rng.normal(size=(16, 24))
    b = a @ weights + 1.0 + 0.01 * rng.normal(size=(200, 24))
    linear_map = fit_emb2emb(a[100:], b[100:], test_fraction=0.2)
    result = steering_transfer(a, b, positive=np.arange(50), negative=np.arange(50, 100), linear_map=linear_map)
    assert result.cosine > 0.999 and result.norm_ratio == pytest.approx(1.0, rel=0.01)
    mask = np.zeros(200, dtype=bool)
    mask[:50] = True
    again = steering_transfer(a, b, positive=mask, negative=np.arange(50, 100), linear_map=linear_map)
    assert again.cosine == pytest.approx(result.cosine)


def test_errors():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    with pytest.raises(GeometryError):
        fit_emb2emb(a, b[:10])
    with pytest.raises(GeometryError):
        fit_emb2emb(a, b, ridge=-1.0)
    with pytest.raises(GeometryError):
        fit_emb2emb(a, b, test_fraction=1.0)
    with pytest.raises(TooFewPointsError):
        fit_emb2emb(a[:3], b[:3], test_fraction=0.2)
    with pytest.raises(NonFiniteError):
        fit_emb2emb(np.full((20, 3), np.nan), b)
    with pytest.raises(DegenerateCloudError):
        fit_emb2emb(a, np.ones((20, 2)))
    linear_map = fit_emb2emb(a, b)
    with pytest.raises(DegenerateCloudError):
        steering_transfer(a, b, positive=[0, 1], negative=[1, 0], linear_map=linear_map)
    with pytest.raises(TooFewPointsError):
        steering_transfer(a, b, positive=np.array([], dtype=int), negative=[1], linear_map=linear_map)
    with pytest.raises(GeometryError):
        steering_transfer(a, b, positive=[0, 99], negative=[1], linear_map=linear_map)
    with pytest.raises(GeometryError):
        steering_transfer(b, a, positive=[0], negative=[1], linear_map=linear_map)


@pytest.mark.parametrize("ridge", [0.0, 0.5, 30.0])
def test_lstsq_fit_equals_the_svd_closed_form_even_when_rank_deficient(ridge):
    from geometry.emb2emb import CentredSVD

    rng = np.random.default_rng(4)
    a = rng.normal(size=(30, 60)) * rng.uniform(0.1, 10, size=60)  # more features than training rows
    a[:, 3] = 2 * a[:, 2]
    b = a[:, :5] @ rng.normal(size=(5, 7)) + rng.normal(size=(30, 7))
    result = fit_emb2emb(a, b, ridge=ridge, test_fraction=0.2, seed=1)
    x, y = a[result.train_indices], b[result.train_indices]
    svd = CentredSVD.of(x)  # W = V diag(s/(s² + λ)) Uᵀ Y_c (the minimum-norm solution for λ = 0)
    weights = (svd.vt.T * svd.factors(ridge=ridge)) @ (svd.u.T @ (y - y.mean(axis=0)))
    np.testing.assert_allclose(result.weights, weights, rtol=0, atol=1e-12 * np.abs(weights).max())
    np.testing.assert_allclose(result.bias, y.mean(axis=0) - svd.mean @ weights, atol=1e-10)
