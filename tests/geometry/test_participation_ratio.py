"""Participation ratio: closed forms, invariances, numpy's eigenvalues, and its registration."""

import numpy as np
import pytest
from scipy.stats import special_ortho_group

from geometry.errors import DegenerateCloudError, TooFewPointsError
from geometry.participation_ratio import STATISTIC, participation_ratio
from geometry.registry import statistics
from geometry.suite import SuiteSettings


def cloud_with_covariance(eigenvalues, *, n: int, extra_dims: int = 0, seed: int = 0) -> np.ndarray:
    """n points whose sample covariance has exactly ``eigenvalues`` (then zeros), randomly rotated
    into len(eigenvalues) + extra_dims dimensions."""
    rng = np.random.default_rng(seed)
    d = len(eigenvalues)
    z = rng.normal(size=(n, d))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T)).T)  # sample covariance = identity
    x = np.hstack([z * np.sqrt(eigenvalues), np.zeros((n, extra_dims))])
    return x @ special_ortho_group.rvs(d + extra_dims, random_state=seed) + rng.normal(size=d + extra_dims)


def pr_from_numpy(points) -> float:
    eigenvalues = np.linalg.eigvalsh(np.cov(np.asarray(points, dtype=np.float64).T))
    return eigenvalues.sum() ** 2 / (eigenvalues**2).sum()


@pytest.mark.parametrize("eigenvalues, expected", [((4.0, 1.0, 1.0), 36 / 18), ((1.0,) * 5, 5.0),
                                                   ((9.0, 0.0001), 9.0001**2 / (81 + 1e-8)), ((2.0, 2.0), 2.0)])
def test_a_cloud_with_known_covariance_eigenvalues(eigenvalues, expected):
    points = cloud_with_covariance(eigenvalues, n=200, extra_dims=3)
    assert participation_ratio(points) == pytest.approx(expected, rel=1e-6)


def test_an_isotropic_gaussian_in_d_dimensions_is_about_d():
    rng = np.random.default_rng(1)
    for d in (2, 10, 30):
        points = rng.normal(size=(20_000, d))
        # E[PR] = d (1 − O(d/N)) for a sample covariance
        assert participation_ratio(points) == pytest.approx(d, rel=0.02)


def test_invariant_to_rotation_translation_and_scale():
    rng = np.random.default_rng(2)
    points = rng.normal(size=(300, 12)) * np.linspace(0.2, 3.0, 12)
    moved = 7.5 * points @ special_ortho_group.rvs(12, random_state=3) + rng.normal(size=12) * 100
    assert participation_ratio(moved) == pytest.approx(participation_ratio(points), rel=1e-6)


@pytest.mark.parametrize("shape", [(50, 200), (200, 50), (64, 64)])  # both Gram matrices, and the square
def test_equals_numpy_eigenvalues_of_the_covariance(shape):
    points = np.random.default_rng(4).standard_t(3, size=shape).astype(np.float32)
    assert participation_ratio(points) == pytest.approx(pr_from_numpy(points), rel=1e-6)


def test_the_float32_product_stays_within_1e_6_of_float64_eigenvalues():
    rng = np.random.default_rng(6)
    hard = {"offset by 1e4, eigenvalues over 6 decades": rng.normal(size=(2000, 64)) * np.logspace(-2, 1, 64) + 1e4,
            "one outlier 1000x the rest (an attention sink)": np.vstack([rng.normal(size=(500, 100)),
                                                                         1e3 * rng.normal(size=(1, 100))]),
            "heavy tails, N < D": rng.standard_t(2, size=(300, 700)),
            "rank 3 plus 1e-3 noise": rng.normal(size=(1000, 3)) @ rng.normal(size=(3, 200))
                                      + 1e-3 * rng.normal(size=(1000, 200))}
    for name, points in hard.items():
        assert participation_ratio(points) == pytest.approx(pr_from_numpy(points), rel=1e-6), name


def test_every_token_counts_duplicates_included():
    points = np.random.default_rng(5).normal(size=(40, 6)) * np.arange(1, 7)
    repeated = np.vstack([points, np.repeat(points[:1], 10, axis=0)])
    assert participation_ratio(repeated) == pytest.approx(pr_from_numpy(repeated), rel=1e-6)
    assert participation_ratio(repeated) != pytest.approx(participation_ratio(points), rel=1e-3)


def test_clouds_without_a_participation_ratio_are_refused():
    with pytest.raises(TooFewPointsError):
        participation_ratio(np.ones((1, 4)))
    with pytest.raises(DegenerateCloudError, match="no variance"):
        participation_ratio(np.ones((10, 4)))


def test_it_is_registered_as_a_per_layer_statistic_of_the_points_and_the_embeddings():
    assert STATISTIC in statistics()
    points = cloud_with_covariance((4.0, 1.0, 1.0), n=100)
    found = STATISTIC.measure(points, settings=SuiteSettings())
    assert found.values == {"participation_ratio": pytest.approx(2.0, rel=1e-6)} and not found.problems
    assert STATISTIC.layers(4).tolist() == [0, 1, 2, 3, 4]
    assert STATISTIC.measure(np.ones((10, 3)), settings=SuiteSettings()).problems == (
        "participation ratio: every point is the same: the cloud has no variance, so no participation ratio.",)
