"""The per-layer suite: every ID statistic of one layer from one shared neighbour search.

Used by the pipeline (one prompt, every layer) and by the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.cloud import PreparedCloud, prepare_cloud
from geometry.errors import GeometryError
from geometry.gride import GRIDE_VERSION, available_range_scalings, gride_from_neighbors
from geometry.twonn import TWONN_VERSION, twonn_from_neighbors

SUITE_VERSION = 1 + 100 * TWONN_VERSION + 10000 * GRIDE_VERSION


@dataclass(frozen=True)
class SuiteSettings:
    """Estimator parameters; part of every cache key.

    twonn_fraction:     share of the smallest ratios kept by the TwoNN linear fit (DADApy: 0.9).
    max_range_scaling:  GRIDE is evaluated at range scalings 2, 4, …, up to this value.
    overlap_k:          neighbourhood overlap is computed for k = 1..overlap_k.
    """

    twonn_fraction: float = 0.9
    max_range_scaling: int = 64
    overlap_k: int = 6


@dataclass(frozen=True)
class LayerSuite:
    """ID statistics of one layer. GRIDE arrays are aligned with ``range_scalings`` (NaN where
    the layer has too few distinct points); ``problem`` says why a value is missing."""

    twonn_linear: float
    twonn_linear_error: float
    twonn_mle: float
    twonn_mle_error: float
    range_scalings: np.ndarray
    gride: np.ndarray
    gride_error: np.ndarray
    n_points: int
    n_duplicates: int
    problem: str = ""


def requested_range_scalings(settings: SuiteSettings) -> np.ndarray:
    return np.asarray(available_range_scalings(10**9, max_range_scaling=settings.max_range_scaling))


def layer_suite(cloud: PreparedCloud, *, settings: SuiteSettings) -> LayerSuite:
    """TwoNN (linear and MLE) and the GRIDE scan of one prepared layer."""
    scalings = requested_range_scalings(settings)
    gride = np.full(scalings.size, np.nan)
    gride_error = np.full(scalings.size, np.nan)
    n_points = cloud.distinct.points.shape[0]
    nan = float("nan")
    try:
        linear = twonn_from_neighbors(cloud.neighbors, method="linear", fraction=settings.twonn_fraction)
        mle = twonn_from_neighbors(cloud.neighbors, method="mle")
        values = (linear.id, linear.error, mle.id, mle.error)
        problem = ""
    except GeometryError as error:
        values, problem = (nan, nan, nan, nan), str(error)
    for index, scaling in enumerate(scalings):
        if scaling <= cloud.neighbors.k and not problem:
            try:
                result = gride_from_neighbors(cloud.neighbors, range_scaling=int(scaling))
            except GeometryError as error:
                problem = problem or str(error)
                continue
            gride[index], gride_error[index] = result.id, result.error
    return LayerSuite(*values, range_scalings=scalings, gride=gride, gride_error=gride_error,
                      n_points=n_points, n_duplicates=cloud.n_duplicates, problem=problem)


def run_suite(points, *, settings: SuiteSettings = SuiteSettings()) -> LayerSuite:
    """Prepare one layer's cloud and run the suite on it (one neighbour search)."""
    cloud = prepare_cloud(points, k_distinct=settings.max_range_scaling, k_all=settings.overlap_k)
    return layer_suite(cloud, settings=settings)
