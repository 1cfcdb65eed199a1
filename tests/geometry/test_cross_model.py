import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import pearsonr
from sklearn.metrics.pairwise import cosine_similarity

from geometry.cross_model import global_similarity
from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError


def test_equals_scipy_pearson_of_upper_triangles():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(60, 8)) + 1.0
    b = np.tanh(a @ rng.normal(size=(8, 12))) + 0.3 * rng.normal(size=(60, 12))
    upper = np.triu_indices(60, k=1)
    expected = pearsonr(cosine_similarity(a)[upper], cosine_similarity(b)[upper]).statistic
    result = global_similarity(a, b)
    assert result.pearson == pytest.approx(expected, abs=1e-12)
    assert result.n_pairs == 60 * 59 // 2 and result.n_tokens == 60


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-2, 1e2), extra=st.integers(0, 5))
def test_rotated_scaled_wider_copy_has_similarity_one(seed, scale, extra):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(30, 6)) + 0.5
    width = 6 + extra
    q, _ = np.linalg.qr(rng.normal(size=(width, width)))
    b = scale * np.hstack([a, np.zeros((30, extra))]) @ q
    assert global_similarity(a, b).pearson == pytest.approx(1.0, abs=1e-9)
    order = rng.permutation(30)
    c = rng.normal(size=(30, 4))
    assert global_similarity(a[order], c[order]).pearson == pytest.approx(global_similarity(a, c).pearson, abs=1e-12)


def test_independent_clouds_are_near_zero():
    rng = np.random.default_rng(1)
    assert abs(global_similarity(rng.normal(size=(200, 16)), rng.normal(size=(200, 16))).pearson) < 0.1


def test_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(GeometryError):
        global_similarity(rng.normal(size=(10, 3)), rng.normal(size=(11, 3)))
    with pytest.raises(TooFewPointsError):
        global_similarity(rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))
    with pytest.raises(DegenerateCloudError):
        global_similarity(np.ones((5, 3)), rng.normal(size=(5, 3)))  # all cosines 1
    with pytest.raises(DegenerateCloudError):
        global_similarity(rng.normal(size=(5, 3)), np.vstack([np.zeros((1, 3)), rng.normal(size=(4, 3))]))
    with pytest.raises(NonFiniteError):
        global_similarity(np.full((5, 3), np.nan), rng.normal(size=(5, 3)))
