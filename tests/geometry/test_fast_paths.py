"""The shortcuts taken for speed give exactly what the plain computation gives.

(bench/geometry_suite.py measures them; these tests only guard the numbers.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist

from geometry.angles import angles_from_neighbors
from geometry.duplicates import remove_duplicates
from geometry.neighbors import nearest_neighbors


def test_rows_equal_on_many_columns_but_not_all_are_not_duplicates():
    rng = np.random.default_rng(0)
    points = np.repeat(rng.normal(size=(1, 600)), 50, axis=0)
    points[np.arange(50), 599 - np.arange(50) * 3] += 1.0  # each row differs in one other column
    result = remove_duplicates(points)
    assert result.n_removed == 0 and result.keep.tolist() == list(range(50))


def test_the_fast_and_the_exact_duplicate_paths_agree():
    rng = np.random.default_rng(1)
    distinct = rng.normal(size=(40, 12))
    for points in (distinct, np.vstack([distinct, distinct[[3, 7, 3]]]), np.float32(distinct)):
        result = remove_duplicates(points)
        np.testing.assert_array_equal(result.points[result.inverse], np.asarray(points) + 0.0)
        assert result.n_removed == points.shape[0] - np.unique(points, axis=0).shape[0]


def test_neighbors_over_many_row_chunks_match_brute_force():
    rng = np.random.default_rng(2)
    points = rng.normal(size=(1500, 6)) + 50.0  # 1500 rows: the top-k runs over ~40-row chunks
    neighbors = nearest_neighbors(points, k=7)
    exact = cdist(points, points)
    np.fill_diagonal(exact, np.inf)
    np.testing.assert_array_equal(neighbors.indices, np.argsort(exact, axis=1)[:, :7])
    np.testing.assert_allclose(neighbors.distances, np.sort(exact, axis=1)[:, :7], rtol=1e-9)


def test_angles_over_several_blocks_match_the_formula():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(300, 600))  # 600 columns: the angles are computed in ~100-row blocks
    neighbors = nearest_neighbors(points, k=2)
    a = points[neighbors.indices[:, 0]] - points
    b = points[neighbors.indices[:, 1]] - points
    expected = np.degrees(np.arccos(np.clip(
        np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)), -1, 1)))
    np.testing.assert_allclose(angles_from_neighbors(points, neighbors), expected, rtol=1e-12, atol=1e-10)


def test_importing_the_suite_does_not_load_the_heavy_libraries():
    code = ("import sys, geometry.suite, pipeline.runner\n"
            "heavy = [m for m in ('sklearn', 'umap', 'torch', 'scipy.stats', 'scipy.optimize') if m in sys.modules]\n"
            "print(','.join(heavy))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout.strip()
    assert found == "", f"imported at start-up: {found}"


def test_the_geometry_package_itself_imports_nothing():
    code = ("import sys, geometry, geometry.errors\n"
            "print(','.join(m for m in ('numpy', 'numba', 'scipy', 'sklearn') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout.strip()
    assert found == "", f"imported with the package: {found}"
