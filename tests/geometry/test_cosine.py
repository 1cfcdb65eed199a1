import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics.pairwise import cosine_similarity

from geometry.cosine import cosine_similarity_matrix, mean_cosine_similarity
from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError


def test_matches_sklearn_and_reference_mean():
    x = np.random.default_rng(0).normal(size=(80, 16)) + 0.5
    reference = cosine_similarity(x)
    np.testing.assert_allclose(cosine_similarity_matrix(x), reference, atol=1e-12)
    assert mean_cosine_similarity(x).value == pytest.approx(reference.mean(), abs=1e-12)
    off = reference[~np.eye(80, dtype=bool)].mean()
    result = mean_cosine_similarity(x, include_diagonal=False)
    assert result.value == pytest.approx(off, abs=1e-12) and not result.include_diagonal


def test_closed_forms():
    same = np.tile([[1.0, 2.0, 3.0]], (5, 1))
    assert mean_cosine_similarity(same).value == pytest.approx(1.0)
    opposite = np.array([[1.0, 0.0], [-1.0, 0.0]])
    assert mean_cosine_similarity(opposite).value == pytest.approx(0.0, abs=1e-15)  # (1 + 1 − 1 − 1)/4
    assert mean_cosine_similarity(opposite, include_diagonal=False).value == pytest.approx(-1.0)
    orthogonal = np.eye(4)
    assert mean_cosine_similarity(orthogonal).value == pytest.approx(0.25)
    assert mean_cosine_similarity(orthogonal, include_diagonal=False).value == pytest.approx(0.0, abs=1e-15)


def test_one_feature_gives_plus_minus_one():
    x = np.array([[2.0], [-3.0], [0.5]])
    np.testing.assert_array_equal(cosine_similarity_matrix(x), [[1, -1, 1], [-1, 1, -1], [1, -1, 1]])


def test_zero_vectors_raise_or_follow_sklearn():
    x = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(DegenerateCloudError, match="1 zero vectors"):
        mean_cosine_similarity(x)
    with pytest.raises(DegenerateCloudError):
        cosine_similarity_matrix(x)
    matrix = cosine_similarity_matrix(x, zero_vectors="zero")
    np.testing.assert_allclose(matrix, cosine_similarity(x), atol=1e-12)
    result = mean_cosine_similarity(x, zero_vectors="zero")
    assert result.n_zero_vectors == 1
    assert result.value == pytest.approx(cosine_similarity(x).mean())
    off = cosine_similarity(x)[~np.eye(3, dtype=bool)].mean()
    assert mean_cosine_similarity(x, include_diagonal=False, zero_vectors="zero").value == pytest.approx(off)


def test_no_overflow_for_huge_or_tiny_norms():
    x = np.array([[1e200, 1e200], [1e200, -1e200], [1e-200, 1e-200]])
    np.testing.assert_allclose(cosine_similarity_matrix(x), [[1, 0, 1], [0, 1, 0], [1, 0, 1]], atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 30),
    scale=st.floats(1e-3, 1e3),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_bounds_and_invariances(seed, n, scale, dtype):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(dtype)
    matrix = cosine_similarity_matrix(x)
    assert np.all(matrix <= 1.0) and np.all(matrix >= -1.0)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-15)
    value = mean_cosine_similarity(x).value
    assert -1.0 <= value <= 1.0
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    assert mean_cosine_similarity(scale * (x @ q)).value == pytest.approx(value, abs=1e-9)
    assert mean_cosine_similarity(x[rng.permutation(n)]).value == pytest.approx(value, abs=1e-12)
    assert mean_cosine_similarity(x, include_diagonal=False).value >= -1.0 / (n - 1) - 1e-12


def test_errors():
    with pytest.raises(TooFewPointsError):
        mean_cosine_similarity(np.empty((0, 3)))
    with pytest.raises(DegenerateCloudError):
        mean_cosine_similarity(np.ones((1, 3)), include_diagonal=False)
    with pytest.raises(NonFiniteError):
        mean_cosine_similarity(np.array([[np.nan, 1.0]]))
    with pytest.raises(GeometryError):
        mean_cosine_similarity(np.ones(3))
    with pytest.raises(GeometryError):
        mean_cosine_similarity(np.ones((2, 3)), zero_vectors="ignore")


@pytest.mark.parametrize("scale", [1.0, 1e-160, 1e160])
def test_both_means_at_once_equal_sklearn_at_any_scale(scale):
    """The matrix-free path (moderate norms) and the rescaling path (norms that would overflow or
    underflow when squared) both give the mean of sklearn's matrix, with and without its diagonal."""
    from geometry.cosine import mean_cosine_similarities

    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 9)) + 0.5
    x[7] = 0.0  # a zero vector: cosine 0 with everything, itself included (sklearn's convention)
    matrix = cosine_similarity(x)
    with_diagonal, without = mean_cosine_similarities(x * scale, zero_vectors="zero")
    assert with_diagonal.value == pytest.approx(matrix.mean(), rel=1e-12)
    off = (matrix.sum() - np.trace(matrix)) / (60 * 59)
    assert without.value == pytest.approx(off, rel=1e-12)
    assert with_diagonal.n_zero_vectors == without.n_zero_vectors == 1
    with pytest.raises(DegenerateCloudError, match="1 zero vectors"):
        mean_cosine_similarities(x * scale)
