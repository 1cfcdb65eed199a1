"""The per-layer suite: every statistic of one layer from one shared neighbour search.

Used by the pipeline (one prompt, every layer) and by the benchmark. The per-layer scalars are the
registered statistics (:mod:`geometry.registry`); those that compare two layers (neighbourhood
overlap) take the neighbours of two consecutive layers. The per-token values (local ID, angles,
neighbour lists, LLE weights) are the suite's own. :func:`suites_over_layers` runs the suite
at every layer of a prompt, on several cores.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from geometry.angles import angles_from_neighbors
from geometry.blas import one_blas_thread
from geometry.cloud import PreparedCloud, prepare_cloud
from geometry.errors import GeometryError
from geometry.gride import available_range_scalings
from geometry.lle import barycenter_weights
from geometry.local_id import mle_from_neighbors
from geometry.neighbors import Neighbors
from geometry.registry import statistics
from geometry.statistic import Measurement


@dataclass(frozen=True)
class SuiteSettings:
    """Estimator parameters; part of every cache key.

    twonn_fraction:     share of the smallest ratios kept by the TwoNN linear fit (DADApy: 0.9).
    max_range_scaling:  GRIDE is evaluated at range scalings 2, 4, …, up to this value.
    overlap_k:          neighbourhood overlap is computed for k = 1..overlap_k.
    local_k:            neighbours of the per-token Levina–Bickel MLE (local ID).
    token_neighbors:    neighbours kept per token (Tokens page list, LLE weights).
    lle_reg:            LLE regulariser (scikit-learn's default 1e-3, relative to the trace).
    """

    twonn_fraction: float = 0.9
    max_range_scaling: int = 64
    overlap_k: int = 6
    local_k: int = 10
    token_neighbors: int = 8
    lle_reg: float = 1e-3

    @property
    def k_all(self) -> int:
        return max(self.overlap_k, self.token_neighbors)

    @property
    def k_distinct(self) -> int:
        return max(self.max_range_scaling, self.local_k)


@dataclass(frozen=True)
class LayerSuite:
    """Statistics of one layer (N tokens, K = token_neighbors).

    values, errors:     every registered per-layer statistic's columns (:mod:`geometry.registry`:
                        ``twonn_linear``, ``gride_2``, ``cosine``, …) → its value / standard error
                        (NaN where there is none). Pair statistics are measured by
                        :func:`pair_statistics`.
    local_id (N,):      Levina–Bickel MLE per token (duplicates share their first occurrence's).
    angles (N,):        degrees between the vectors to the two nearest distinct neighbours.
    neighbor_indices, neighbor_distances, lle_weights (N, K): each token's nearest tokens
                        (duplicates included), their distances and LLE reconstruction weights
                        (K = 0 when the suite ran with ``with_token_neighbors=False``).
    n_points:           distinct points; n_duplicates: exact duplicates removed for ID.
    problem:            why some value is missing ("" if none).
    """

    values: Mapping[str, float]
    errors: Mapping[str, float]
    local_id: np.ndarray
    angles: np.ndarray
    neighbor_indices: np.ndarray
    neighbor_distances: np.ndarray
    lle_weights: np.ndarray
    n_points: int
    n_duplicates: int
    problem: str = ""


def requested_range_scalings(settings: SuiteSettings) -> np.ndarray:
    return np.asarray(available_range_scalings(10**9, max_range_scaling=settings.max_range_scaling))


def _measure_all(needs: str, inputs: tuple, settings: SuiteSettings, *, embeddings: bool = False) -> Measurement:
    """Every registered statistic that needs ``needs``, measured on ``inputs``, as one Measurement."""
    values, errors, problems = {}, {}, []
    for statistic in statistics():
        if statistic.needs == needs and (statistic.at_embeddings or not embeddings):
            found = statistic.measure(*inputs, settings=settings)
            values |= found.values
            errors |= found.errors
            problems += found.problems
    return Measurement(values=values, errors=errors, problems=tuple(problems))


def embedding_statistics(points, *, settings: SuiteSettings) -> Measurement:
    """The registered statistics measured at layer 0 too (``at_embeddings``), on the input embeddings."""
    return _measure_all("points", (np.asarray(points),), settings, embeddings=True)


def pair_statistics(previous: Neighbors, current: Neighbors, *, settings: SuiteSettings) -> Measurement:
    """The registered statistics of two consecutive layers (χ_k, …) from the neighbours of all
    their tokens (no de-duplication)."""
    return _measure_all("pair", (previous, current), settings)


def _per_token(values_on_distinct: np.ndarray, cloud: PreparedCloud) -> np.ndarray:
    return values_on_distinct[cloud.distinct.inverse].astype(np.float32)


def layer_suite(cloud: PreparedCloud, *, settings: SuiteSettings, with_token_neighbors: bool = True) -> LayerSuite:
    """Every single-layer statistic from the layer's prepared cloud (no further neighbour search):
    the registered ones (``points`` and ``cloud``), then the per-token ones.

    ``with_token_neighbors=False`` leaves out each token's neighbour list and LLE weights (what the
    Tokens page lists for one token; a quarter of the suite's time and most of a stored result):
    the three arrays then have zero columns.
    """
    measured = [_measure_all("cloud", (cloud,), settings), _measure_all("points", (cloud.points,), settings)]
    problems = [problem for found in measured for problem in found.problems]
    n_tokens = cloud.points.shape[0]
    local = np.full(n_tokens, np.nan, dtype=np.float32)
    if cloud.neighbors.k < settings.local_k:
        problems.append(f"the local ID with k={settings.local_k} needs {settings.local_k + 1} distinct tokens, "
                        "so it is left out")
    else:
        try:
            local = _per_token(mle_from_neighbors(cloud.neighbors, k=settings.local_k), cloud)
        except GeometryError as error:
            problems.append(f"local ID: {error}")
    angles = np.full(n_tokens, np.nan, dtype=np.float32)
    if cloud.neighbors.k >= 2:
        angles = _per_token(angles_from_neighbors(cloud.distinct.points, cloud.neighbors), cloud)
    k = min(settings.token_neighbors, cloud.all_neighbors.k) if with_token_neighbors else 0
    if with_token_neighbors and k < settings.token_neighbors:
        problems.append(f"only {k} neighbours per token (asked for {settings.token_neighbors})")
    indices = cloud.all_neighbors.indices[:, :k]
    weights = (barycenter_weights(cloud.points, indices, reg=settings.lle_reg) if k
               else np.zeros((n_tokens, 0)))
    return LayerSuite(
        values={name: value for found in measured for name, value in found.values.items()},
        errors={name: error for found in measured for name, error in found.errors.items()},
        local_id=local,
        angles=angles,
        neighbor_indices=indices.astype(np.int32),
        neighbor_distances=cloud.all_neighbors.distances[:, :k].astype(np.float32),
        lle_weights=weights.astype(np.float32),
        n_points=cloud.distinct.points.shape[0],
        n_duplicates=cloud.n_duplicates,
        problem="; ".join(problems),
    )


def prepare_layer(points, *, settings: SuiteSettings,
                  search: Callable[[np.ndarray, int], Neighbors] | None = None) -> PreparedCloud:
    """The one neighbour search of a layer, wide enough for every statistic of the suite
    (``search``: an alternative exact search, see :func:`geometry.cloud.prepare_cloud`)."""
    return prepare_cloud(points, k_distinct=settings.k_distinct, k_all=settings.k_all, search=search)


class LayerGeometryError(GeometryError):
    """A layer of a stack has no measurable geometry; ``layer`` is its index in the stack (the
    original error is the ``__cause__``)."""

    def __init__(self, layer: int, error: GeometryError):
        super().__init__(str(error))
        self.layer = layer


def suites_over_layers(layers: Sequence[np.ndarray], *, settings: SuiteSettings, with_token_neighbors: bool = True,
                       search: Callable[[np.ndarray, int], Neighbors] | None = None, workers: int = 2,
                       on_layer: Callable[[int], None] | None = None) -> tuple[list[LayerSuite], list[Measurement]]:
    """The suite at every layer of a stack and the pair statistics (χ_k, …) of consecutive layers.

    Layers are independent, so ``workers`` threads take them in turn (NumPy's loops, its sorts and
    BLAS release the GIL); the numbers do not depend on ``workers``. Each layer's cloud is dropped
    once its suite is done; only the neighbours of all its tokens are kept for the pair
    statistics. ``on_layer(i)`` is called in the caller's thread, in layer order, as each layer
    finishes.

    Returns the suites (one per layer) and the L − 1 pair measurements (row l: layers l and l + 1).
    Raises LayerGeometryError (with the stack index) for the first layer that cannot be measured.
    """

    def one_layer(index: int) -> tuple[LayerSuite, Neighbors]:
        try:
            cloud = prepare_layer(layers[index], settings=settings, search=search)
        except GeometryError as error:
            raise LayerGeometryError(index, error) from error
        near = Neighbors(distances=cloud.all_neighbors.distances.copy(), indices=cloud.all_neighbors.indices.copy())
        return layer_suite(cloud, settings=settings, with_token_neighbors=with_token_neighbors), near

    def results():
        if workers <= 1 or len(layers) < 2:
            yield from map(one_layer, range(len(layers)))
            return
        with one_blas_thread(), ThreadPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(one_layer, range(len(layers)))  # re-raises a worker's error in order

    suites, pairs, previous = [], [], None
    for index, (suite, near) in enumerate(results()):
        suites.append(suite)
        if previous is not None:
            pairs.append(pair_statistics(previous, near, settings=settings))
        previous = near
        if on_layer is not None:
            on_layer(index)
    return suites, pairs
