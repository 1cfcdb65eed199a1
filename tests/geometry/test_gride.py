import numpy as np
import pytest
import skdim
from hypothesis import given, settings
from hypothesis import strategies as st

from geometry.errors import GeometryError, TooFewPointsError
from geometry.gride import gride, gride_from_neighbors
from geometry.neighbors import nearest_neighbors
from geometry.twonn import twonn
from tests.geometry.golden import CLOUD_NAMES, clouds, golden

SCALINGS = [2, 4, 8, 16, 32, 64]


@pytest.mark.parametrize("name", CLOUD_NAMES)
def test_scaling_equals_dadapy(name):
    expected = golden()["clouds"][name]["gride_scaling"]
    neighbors = nearest_neighbors(clouds()[name], k=64)
    # With tied distances the Fisher information's tied terms are (log μ)² μ^(−d) / (1 − μ^(−d))²
    # at μ = 1 + 2.2e-15, whose float64 rounding (~1 % per term) depends on how each distance was
    # rounded; DADApy's distances and ours round differently, so the error agrees to 0.5 % there.
    error_tolerance = 5e-3 if name == "lattice_ties" else 1e-6
    for index, scaling in enumerate(SCALINGS):
        result = gride_from_neighbors(neighbors, range_scaling=scaling)
        assert result.id == pytest.approx(expected["ids"][index], abs=1e-6)
        assert result.error == pytest.approx(expected["errors"][index], rel=error_tolerance)
        assert result.scale == pytest.approx(expected["scales"][index], rel=1e-9)


def test_range_scaling_two_equals_twonn_mle_only_without_outlier_ratios():
    points = clouds()["sphere3"]
    assert gride(points, range_scaling=2).n_outliers == 0
    assert gride(points, range_scaling=2).id == pytest.approx(twonn(points, method="mle").id, rel=1e-12)
    # GRIDE drops outlier ratios and the TwoNN MLE does not: with near-duplicates they differ.
    rng = np.random.default_rng(3)
    cloud = np.vstack([points, points[:5] + 1e-9 * rng.normal(size=(5, points.shape[1]))])
    assert gride(cloud, range_scaling=2).n_outliers > 0
    assert gride(cloud, range_scaling=2).id > 1.05 * twonn(cloud, method="mle").id


def test_tied_distances_follow_dadapy_not_a_lift_of_one_millionth():
    """The lattice with tied distances (golden cloud lattice_ties): before the fix, r=4 gave 4.14
    against DADApy's 3.68 and r=8 3.97 against 3.56."""
    expected = golden()["clouds"]["lattice_ties"]["gride_scaling"]["ids"]
    points = clouds()["lattice_ties"]
    assert gride(points, range_scaling=4).id == pytest.approx(expected[1], abs=1e-6)
    assert gride(points, range_scaling=8).id == pytest.approx(expected[2], abs=1e-6)


@pytest.mark.parametrize("scaling", [4, 8])
def test_equals_scikit_dimension_oracle(scaling):
    points = clouds()["gauss"]
    oracle = skdim.id.GRIDE(n1=scaling // 2, n2=scaling).fit(points).dimension_
    assert gride(points, range_scaling=scaling).id == pytest.approx(oracle, rel=1e-5)


def test_outliers_are_dropped_like_dadapy():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(300, 4))
    near_copies = points[:3] + 1e-9 * rng.normal(size=(3, 4))  # r1 tiny: huge r2/r1 ratios
    cloud = np.vstack([points, near_copies])
    result = gride(cloud, range_scaling=2)
    assert result.n_outliers == 6  # both members of each pair
    neighbors = nearest_neighbors(cloud, k=2)
    mu = neighbors.distances[:, 1] / neighbors.distances[:, 0]
    q95, q50 = np.percentile(mu, [95, 50])
    kept = mu[mu < q50 + 20 * (q95 - q50)]
    assert result.id == pytest.approx((kept.size - 1) / np.log(kept).sum(), rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    scale=st.floats(1e-3, 1e3),
    shift=st.floats(-100, 100),
)
def test_invariant_to_rotation_translation_scale_and_order(seed, scale, shift):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(120, 6))
    rotation = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    moved = (points @ rotation) * scale + shift
    moved = moved[rng.permutation(points.shape[0])]
    for scaling in (2, 8):
        assert gride(moved, range_scaling=scaling).id == pytest.approx(gride(points, range_scaling=scaling).id, rel=1e-6)
    assert twonn(moved).id == pytest.approx(twonn(points).id, rel=1e-6)


def test_needs_enough_distinct_points():
    with pytest.raises(TooFewPointsError, match="at least 9 points"):
        gride(np.random.default_rng(0).normal(size=(8, 3)), range_scaling=8)


def test_range_scaling_must_be_a_power_of_two():
    with pytest.raises(GeometryError, match="power of two"):
        gride(clouds()["plane"], range_scaling=6)


@pytest.mark.parametrize("n2", [4, 8, 32, 64])
def test_the_vectorised_solver_finds_the_root_brent_finds(n2):
    """The score equation solved by scipy's brentq (as before the solver was vectorised) on ratios
    drawn from GRIDE's own density at a known dimension, with and without outliers."""
    from scipy.optimize import brentq

    from geometry.gride import _gride_mles, drop_outlier_ratios

    rng = np.random.default_rng(n2)
    n1 = n2 // 2
    rows = []
    for dimension in (1.5, 6.0, 40.0):
        # r_n2/r_n1 for a Poisson process in `dimension`-D: (Beta(n1, n2 − n1) ** (−1/d)).
        rows.append(rng.beta(n1, n2 - n1, size=400) ** (-1.0 / dimension))
    rows[1][:5] *= 50.0  # outliers, dropped by DADApy's rule
    mu = np.array(rows)
    ids, errors, outliers = _gride_mles(mu, np.full(3, n1), np.full(3, n2))

    def score(d, log_mu):
        return (log_mu.size - 1) / d + np.sum(((n2 - n1 - 1) / -np.expm1(-d * log_mu) - (n2 - 1)) * log_mu)

    for row, d in zip(mu, ids):
        log_mu = np.log(drop_outlier_ratios(row))
        expected = brentq(score, 1e-3, 1e3, args=(log_mu,), xtol=1e-14, rtol=1e-15, maxiter=500)
        assert d == pytest.approx(expected, rel=1e-12)
    assert outliers[1] >= 5 and np.all(errors > 0)
    assert ids == pytest.approx([1.5, 6.0, 40.0], rel=0.35)  # and they estimate the dimension
