import numpy as np
import pytest
import skdim

from geometry.twonn import twonn
from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError
from tests.geometry.golden import CLOUD_NAMES, clouds, golden


@pytest.mark.parametrize("name", CLOUD_NAMES)
def test_linear_fit_equals_dadapy(name):
    expected = golden()["clouds"][name]["id_2nn_base"]["id"]
    assert twonn(clouds()[name], method="linear", fraction=0.9).id == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("name", CLOUD_NAMES)
def test_mle_equals_dadapy(name):
    expected = golden()["clouds"][name]["id_2nn_ml"]["id"]
    assert twonn(clouds()[name], method="mle").id == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("name", ["plane", "gauss", "swiss"])
def test_linear_fit_equals_scikit_dimension(name):
    points = clouds()[name]
    oracle = skdim.id.TwoNN(discard_fraction=0.1).fit(points).dimension_
    assert twonn(points).id == pytest.approx(oracle, rel=1e-6)


def test_recovers_known_dimension_of_a_large_plane():
    rng = np.random.default_rng(7)
    basis = np.linalg.qr(rng.normal(size=(20, 20)))[0][:3]
    points = rng.uniform(size=(4000, 3)) @ basis
    assert twonn(points).id == pytest.approx(3.0, abs=0.2)
    assert twonn(points, method="mle").id == pytest.approx(3.0, abs=0.2)


def test_duplicates_are_removed_and_counted():
    points = clouds()["plane"]
    with_copies = np.vstack([points, points[:25]])  # 5 % duplicates
    result = twonn(with_copies, method="mle")
    assert result.n_duplicates == 25
    assert result.n_points == points.shape[0]
    assert result.id == pytest.approx(twonn(points, method="mle").id, rel=1e-12)


def test_float32_input_gives_the_same_answer_as_float64():
    points = clouds()["swiss"]
    assert twonn(points.astype(np.float32)).id == pytest.approx(twonn(points).id, rel=1e-3)


@pytest.mark.parametrize(
    "points, error",
    [
        (np.zeros((2, 3)), TooFewPointsError),
        (np.ones((50, 3)), TooFewPointsError),
        (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 4.0]]), NonFiniteError),
        (np.zeros(10), GeometryError),
    ],
)
def test_bad_input_raises_a_named_error(points, error):
    with pytest.raises(error) as raised:
        twonn(points)
    assert str(raised.value)


def test_points_on_a_regular_grid_are_degenerate_not_a_crash():
    grid = np.stack(np.meshgrid(np.arange(5.0), np.arange(5.0)), -1).reshape(-1, 2)
    # on a grid r2 = r1 for every point: log μ = 0, no dimension can be measured
    with pytest.raises(DegenerateCloudError):
        twonn(grid, method="mle")


def test_unknown_method_is_rejected():
    with pytest.raises(GeometryError, match="method"):
        twonn(clouds()["plane"], method="median")
