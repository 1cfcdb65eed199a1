import numpy as np
import pytest
import skdim

from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError
from geometry.gride import gride
from geometry.gride_scan import gride_scan
from geometry.neighbors import nearest_neighbors
from tests.geometry.golden import clouds, golden


@pytest.mark.parametrize("name", ["plane", "gauss", "swiss"])
def test_scan_equals_dadapy_golden(name):
    expected = golden()["clouds"][name]["gride_scaling"]
    scan = gride_scan(clouds()[name], max_range_scaling=64)
    assert scan.range_scalings.tolist() == expected["n2"]
    np.testing.assert_allclose(scan.ids, expected["ids"], atol=1e-6)
    np.testing.assert_allclose(scan.errors, expected["errors"], rtol=1e-6)
    np.testing.assert_allclose(scan.scales, expected["scales"], rtol=1e-9)


def test_scan_equals_skdim_multiscale():
    points = clouds()["sphere3"]
    oracle = skdim.id.GRIDE(multiscale=True, range_max=16).fit(points)
    scan = gride_scan(points, max_range_scaling=16)
    assert scan.range_scalings.tolist() == [2, 4, 8, 16]
    assert scan.ids[1] == pytest.approx(skdim.id.GRIDE(n1=2, n2=4).fit(points).dimension_, rel=1e-5)
    assert oracle.dimension_ == pytest.approx(scan.ids[0], rel=1e-5)


def test_each_scaling_equals_single_gride_and_precomputed_neighbors_agree():
    points = clouds()["gauss"][:300]
    scan = gride_scan(points, max_range_scaling=8)
    for r, value in zip(scan.range_scalings, scan.ids):
        assert value == pytest.approx(gride(points, range_scaling=int(r)).id, rel=1e-12)
    again = gride_scan(points, max_range_scaling=64, neighbors=nearest_neighbors(points, k=8))
    np.testing.assert_array_equal(again.range_scalings, scan.range_scalings)
    np.testing.assert_allclose(again.ids, scan.ids, rtol=1e-12)


def test_duplicates_are_removed_and_counted():
    points = clouds()["plane"]
    cloud = np.vstack([points, points[:25]])
    scan = gride_scan(cloud, max_range_scaling=8)
    reference = gride_scan(points, max_range_scaling=8)
    assert scan.n_duplicates == 25 and scan.n_points == 500
    np.testing.assert_allclose(scan.ids, reference.ids, rtol=1e-12)


def test_scalings_capped_by_cloud_size():
    points = np.random.default_rng(0).normal(size=(10, 3))
    assert gride_scan(points, max_range_scaling=64).range_scalings.tolist() == [2, 4, 8]


def test_invariant_to_rotation_translation_scale_order():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 8))
    q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    moved = 3.5 * points[rng.permutation(200)] @ q + 7.0
    np.testing.assert_allclose(gride_scan(moved).ids, gride_scan(points).ids, rtol=1e-8)


def test_errors():
    with pytest.raises(TooFewPointsError):
        gride_scan(np.zeros((2, 3)))
    with pytest.raises(TooFewPointsError):
        gride_scan(np.ones((10, 3)))  # all identical: one distinct point
    with pytest.raises(NonFiniteError):
        gride_scan(np.full((10, 3), np.nan))
    with pytest.raises(GeometryError):
        gride_scan(np.zeros(10))
    with pytest.raises(GeometryError):
        gride_scan(np.random.default_rng(0).normal(size=(20, 2)), max_range_scaling=6)
    cloud = np.vstack([np.eye(5), np.eye(5)])
    with pytest.raises(DegenerateCloudError):
        gride_scan(cloud, neighbors=nearest_neighbors(cloud, k=4))
