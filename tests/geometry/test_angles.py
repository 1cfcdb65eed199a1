import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geometry.angles import nearest_neighbor_angles
from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError
from geometry.neighbors import nearest_neighbors


def test_closed_form_right_angle_and_straight_line():
    # Point 0 at the origin with neighbours at (1, 0) and (0, 1.1): 90°.
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.1], [10.0, 10.0]])
    assert nearest_neighbor_angles(x).angles[0] == pytest.approx(90.0)
    # Middle of three collinear points: neighbours on opposite sides, 180°; an end point: 0°.
    line = np.array([[0.0], [1.0], [2.1], [3.3]])
    angles = nearest_neighbor_angles(line).angles
    assert angles[1] == pytest.approx(180.0) and angles[0] == pytest.approx(0.0)


def test_equilateral_triangle_is_sixty_degrees():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    np.testing.assert_allclose(nearest_neighbor_angles(x).angles, 60.0, atol=1e-6)


def test_high_dimensional_noise_is_near_sixty_degrees():
    angles = nearest_neighbor_angles(np.random.default_rng(0).normal(size=(300, 200))).angles
    assert 55.0 < np.mean(angles) < 65.0


def test_duplicates_removed_with_indices():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 3))
    cloud = np.vstack([x, x[:4]])
    result = nearest_neighbor_angles(cloud)
    assert result.n_duplicates == 4
    np.testing.assert_array_equal(result.indices, np.arange(30))
    np.testing.assert_allclose(result.angles, nearest_neighbor_angles(x).angles)
    assert result.mean == pytest.approx(np.mean(result.angles))


def test_precomputed_neighbors():
    x = np.random.default_rng(2).normal(size=(50, 4))
    np.testing.assert_allclose(
        nearest_neighbor_angles(x, neighbors=nearest_neighbors(x, k=5)).angles, nearest_neighbor_angles(x).angles
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-3, 1e3), dtype=st.sampled_from([np.float32, np.float64]))
def test_invariant_to_rotation_translation_scale_order(seed, scale, dtype):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 5))
    reference = nearest_neighbor_angles(x).angles
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    order = rng.permutation(40)
    moved = (scale * (x[order] @ q - 3.0)).astype(dtype)
    tolerance = 0.01 if dtype == np.float32 else 1e-7  # float32 rounding of the moved inputs
    np.testing.assert_allclose(nearest_neighbor_angles(moved).angles, reference[order], atol=tolerance)
    assert np.all((reference >= 0) & (reference <= 180))


def test_errors():
    with pytest.raises(TooFewPointsError):
        nearest_neighbor_angles(np.ones((10, 3)))
    with pytest.raises(TooFewPointsError):
        nearest_neighbor_angles(np.zeros((2, 3)))
    with pytest.raises(NonFiniteError):
        nearest_neighbor_angles(np.array([[0.0], [1.0], [np.nan]]))
    with pytest.raises(GeometryError):
        nearest_neighbor_angles(np.arange(5.0))
    x = np.vstack([np.eye(3), np.eye(3)[:1]])
    with pytest.raises(DegenerateCloudError):
        nearest_neighbor_angles(x, neighbors=nearest_neighbors(x, k=2))
    with pytest.raises(TooFewPointsError):
        nearest_neighbor_angles(np.eye(4), neighbors=nearest_neighbors(np.eye(4), k=1))
