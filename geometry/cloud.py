"""One neighbour search per layer, shared by every statistic of that layer.

ID estimators need the distinct points (duplicates give r1 = 0); neighbourhood overlap needs all
points (docs/design.md: do not de-duplicate for overlap). :func:`prepare_cloud` searches the
distinct points once, with enough neighbours for the widest statistic, and — only when the layer
had duplicates — the full cloud once more with the few neighbours overlap needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from geometry.duplicates import Deduplicated, remove_duplicates
from geometry.errors import DegenerateCloudError
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.validation import check_points


@dataclass(frozen=True)
class PreparedCloud:
    """A layer's cloud with its neighbours.

    points:           (n, d) float64, every token.
    distinct:         the distinct rows (``distinct.points``) and how many duplicates were removed.
    neighbors:        neighbours of the distinct points (indices into ``distinct.points``).
    all_neighbors:    neighbours of every token (indices into ``points``); the same object as
                      ``neighbors`` when the layer had no duplicates.
    """

    points: np.ndarray
    distinct: Deduplicated
    neighbors: Neighbors
    all_neighbors: Neighbors

    @property
    def n_duplicates(self) -> int:
        return self.distinct.n_removed


def _search(points: np.ndarray, k: int) -> Neighbors:
    return nearest_neighbors(points, k=k)


def prepare_cloud(points, *, k_distinct: int, k_all: int = 0,
                  search: Callable[[np.ndarray, int], Neighbors] | None = None) -> PreparedCloud:
    """Deduplicate and search neighbours once; ``k`` values are capped at what the cloud allows.

    Parameters
    ----------
    points : array_like, shape (n, d)
        One layer's token cloud.
    k_distinct : int
        Neighbours searched among the distinct points (for the ID estimators).
    k_all : int
        Neighbours searched among every token, duplicates included (overlap, per-token lists);
        0: none.
    search : callable, optional
        ``search(points, k) -> Neighbors`` replaces the exact numpy search (e.g. the same search
        on a GPU, supplied by the caller: this package never imports torch); it must return the
        k nearest neighbours of every row, self excluded, ascending.

    Returns
    -------
    PreparedCloud
        ``points`` (n, d), ``distinct`` (the m distinct rows), ``neighbors`` (m, ≤ k_distinct)
        and ``all_neighbors`` (n, ≤ k_all).

    Examples
    --------
    >>> import numpy as np
    >>> tokens = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 2.0]])  # rows 0 and 2 coincide
    >>> cloud = prepare_cloud(tokens, k_distinct=2, k_all=1)
    >>> cloud.distinct.n_removed, cloud.neighbors.indices.tolist(), cloud.all_neighbors.indices.tolist()
    (1, [[1, 2], [0, 2], [0, 1]], [[2], [0], [0], [0]])
    """
    array = check_points(points, min_points=2, what="a neighbour search")
    search = search or _search
    distinct = remove_duplicates(array)
    n_distinct = distinct.points.shape[0]
    k_search = min(max(k_distinct, k_all), n_distinct - 1)
    if k_search < 1:
        raise DegenerateCloudError(f"all {array.shape[0]} points are identical; no geometry can be measured.")
    neighbors = search(distinct.points, k_search)
    if distinct.n_removed == 0:
        all_neighbors = neighbors
    elif k_all > 0:
        all_neighbors = search(array, min(k_all, array.shape[0] - 1))
    else:
        all_neighbors = Neighbors(distances=np.empty((array.shape[0], 0)), indices=np.empty((array.shape[0], 0), int))
    return PreparedCloud(points=array, distinct=distinct, neighbors=neighbors, all_neighbors=all_neighbors)
