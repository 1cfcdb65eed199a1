import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score

from geometry.emb2emb import split_indices
from geometry.errors import GeometryError, TooFewPointsError
from geometry.layer_map import absolute_ridge, fit_layer_map, layer_r2_grid


def _synthetic(seed=0, n=300, d_a=12, d_b=9, layers_a=4, layers_b=3, noise=0.01):
    """A's layers are independent clouds; B's layer 2 is an affine image of A's layer 1 (+ small noise)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(layers_a, n, d_a)) * rng.uniform(0.1, 50, size=(layers_a, 1, 1))
    b = rng.normal(size=(layers_b, n, d_b))
    weights, bias = rng.normal(size=(d_a, d_b)), rng.normal(size=d_b)
    b[2] = a[1] @ weights + bias + noise * rng.normal(size=(n, d_b)) * np.abs(a[1] @ weights).std()
    return a, b, weights, bias


def test_grid_finds_the_known_linear_relation_and_nothing_else():
    a, b, weights, bias = _synthetic()
    grid = layer_r2_grid(a, b, relative_ridge=1e-6, test_fraction=0.25, seed=3)
    assert grid.r2_test.shape == (4, 3)
    assert grid.r2_test[1, 2] > 0.999
    others = np.delete(grid.r2_test.ravel(), 1 * 3 + 2)
    assert others.max() < 0.05  # independent clouds: no held-out skill
    assert grid.best_target(1) == 2
    fitted = fit_layer_map(a[1], b[2], relative_ridge=1e-6, test_fraction=0.25, seed=3)
    np.testing.assert_allclose(fitted.weights, weights, rtol=0, atol=0.05)
    np.testing.assert_allclose(fitted.bias, bias, atol=0.5)


def test_one_cell_equals_sklearn_ridge_and_r2_score():
    a, b, _, _ = _synthetic(seed=1, noise=0.5)
    grid = layer_r2_grid(a, b, relative_ridge=0.3, test_fraction=0.2, seed=5)
    train, test = split_indices(a.shape[1], test_fraction=0.2, seed=5)
    for i, j in [(1, 2), (0, 1), (3, 0)]:
        x, y = a[i], b[j]
        alpha = absolute_ridge(x[train], relative_ridge=0.3)
        model = Ridge(alpha=alpha).fit(x[train], y[train])
        expected = r2_score(y[test], model.predict(x[test]), multioutput="variance_weighted")
        assert grid.r2_test[i, j] == pytest.approx(expected, abs=1e-9)
        assert fit_layer_map(x, y, relative_ridge=0.3, test_fraction=0.2, seed=5).r2_test == pytest.approx(expected, abs=1e-9)


def test_relative_ridge_makes_the_fit_scale_free():
    a, b, _, _ = _synthetic(seed=2, noise=0.3)
    first = layer_r2_grid(a, b, relative_ridge=0.5)
    second = layer_r2_grid(a * 1000.0, b, relative_ridge=0.5)
    np.testing.assert_allclose(first.r2_test, second.r2_test, atol=1e-9)


def test_bad_inputs_raise_clear_errors():
    a, b, _, _ = _synthetic()
    with pytest.raises(GeometryError, match="same tokens"):
        layer_r2_grid(a, b[:, :100])
    with pytest.raises(GeometryError, match="relative_ridge"):
        layer_r2_grid(a, b, relative_ridge=-1)
    with pytest.raises(GeometryError, match="shape"):
        layer_r2_grid(a[0], b)
    with pytest.raises(TooFewPointsError):
        layer_r2_grid(a[:, :4], b[:, :4], test_fraction=0.1)


def test_every_cell_equals_its_own_fit():
    a, b, _, _ = _synthetic(seed=4, noise=0.2)
    grid = layer_r2_grid(a, b, relative_ridge=0.05, seed=2)
    expected = [[fit_layer_map(x, y, relative_ridge=0.05, seed=2).r2_test for y in b] for x in a]
    np.testing.assert_allclose(grid.r2_test, expected, atol=1e-9)
