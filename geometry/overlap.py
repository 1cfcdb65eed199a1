"""Neighbourhood overlap between two representations of the same tokens
(Viswanathan et al. 2025, arXiv 2501.10573; DADApy ``Data.return_data_overlap``).

    χ_k(a, b) = (1/N) Σ_i |N_k^a(i) ∩ N_k^b(i)| / k

where N_k^a(i) is the set of the k nearest neighbours of token i in cloud a (Euclidean, token i
itself excluded). χ = 1 when both clouds have the same k-neighbourhoods, and for independent
clouds its expectation is the chance level k/(N − 1). Points are *not* de-duplicated
(docs/design.md): a repeated token is its own neighbour's twin, and dropping it would change N.
With exact ties in distance (duplicates), which of the tied points enters N_k is decided by the
neighbour search, so values can differ from DADApy (scikit-learn's tie order) in that case only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from geometry.errors import GeometryError, TooFewPointsError
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.statistic import Measurement, Statistic
from geometry.validation import check_points, check_positive_int

OVERLAP_VERSION = 1


def _neighbors_for(cloud, *, k: int, name: str) -> Neighbors:
    if isinstance(cloud, Neighbors):
        if cloud.k < k:
            raise TooFewPointsError(f"{name} holds {cloud.k} neighbours per point; the overlap at k={k} needs {k}.")
        return cloud.first(k)
    array = check_points(cloud, min_points=k + 1, name=name, what=f"a neighbourhood overlap at k={k}")
    return nearest_neighbors(array, k=k)


def overlap_from_neighbors(neighbors_a: Neighbors, neighbors_b: Neighbors, *, k: int) -> float:
    """χ_k from two precomputed neighbour sets of the same N points (first k columns used).

    Parameters
    ----------
    neighbors_a, neighbors_b : Neighbors
        Neighbours of the same N points in the two clouds, at least k columns each.
    k : int
        Neighbourhood size.

    Returns
    -------
    float
        χ_k in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from geometry.neighbors import nearest_neighbors
    >>> cloud = np.random.default_rng(5).normal(size=(50, 3))
    >>> overlap_from_neighbors(nearest_neighbors(cloud, k=4), nearest_neighbors(10 * cloud, k=4), k=4)
    1.0
    """
    k = check_positive_int(k, name="k")
    return float(overlaps_up_to(neighbors_a, neighbors_b, k_max=k)[k - 1])


def overlaps_up_to(neighbors_a: Neighbors, neighbors_b: Neighbors, *, k_max: int) -> np.ndarray:
    """χ_1 … χ_k_max from two precomputed neighbour sets of the same N points, in one comparison.

    Each row holds distinct indices, so |N_k^a(i) ∩ N_k^b(i)| is the number of equal pairs
    (a_p, b_q) with p, q < k: the k-th leading block of the (k_max × k_max) table of equal pairs,
    read off its two-way cumulative sum (integers, so every χ_k is exactly what comparing the
    first k columns alone gives).

    Parameters
    ----------
    neighbors_a, neighbors_b : Neighbors
        Neighbours of the same N points in the two clouds, at least k_max columns each.
    k_max : int
        The largest neighbourhood size.

    Returns
    -------
    numpy.ndarray, shape (k_max,)
        χ_k for k = 1..k_max.

    Examples
    --------
    >>> import numpy as np
    >>> from geometry.neighbors import nearest_neighbors
    >>> first, second = np.random.default_rng(14).normal(size=(40, 3)), np.random.default_rng(15).normal(size=(40, 3))
    >>> overlaps_up_to(nearest_neighbors(first, k=3), nearest_neighbors(second, k=3), k_max=3).round(3).tolist()
    [0.025, 0.038, 0.092]
    """
    k_max = check_positive_int(k_max, name="k_max")
    if neighbors_a.n_points != neighbors_b.n_points:
        raise GeometryError(
            f"the two clouds must hold the same tokens in the same order; got {neighbors_a.n_points} "
            f"and {neighbors_b.n_points} points."
        )
    if neighbors_a.k < k_max or neighbors_b.k < k_max:
        raise TooFewPointsError(
            f"the overlap at k={k_max} needs {k_max} neighbours per point; got {neighbors_a.k} and {neighbors_b.k}."
        )
    ia, ib = neighbors_a.indices[:, :k_max], neighbors_b.indices[:, :k_max]
    n = ia.shape[0]
    counts = np.empty((n, k_max), dtype=np.int64)
    diagonal = np.arange(k_max)
    rows_per_block = max(1, 2**22 // (k_max * k_max))
    for start in range(0, n, rows_per_block):
        stop = min(n, start + rows_per_block)
        equal = (ia[start:stop, :, None] == ib[start:stop, None, :]).astype(np.int64)
        leading = equal.cumsum(axis=1).cumsum(axis=2)  # [r, p, q]: equal pairs among the first p+1, q+1
        counts[start:stop] = leading[:, diagonal, diagonal]
    return np.array([np.mean(counts[:, k - 1] / k) for k in range(1, k_max + 1)])


def neighborhood_overlap(
    a,
    b,
    *,
    k: int = 1,
    neighbors_a: Neighbors | None = None,
    neighbors_b: Neighbors | None = None,
) -> float:
    """Neighbourhood overlap χ_k between two clouds of the same tokens.

    χ_k = mean over tokens i of |N_k^a(i) ∩ N_k^b(i)| / k, self excluded, Euclidean, no
    de-duplication. Equals DADApy's ``Data(a).return_data_overlap(b, k=k)`` on tie-free clouds.

    Parameters
    ----------
    a, b : array_like, shapes (N, d_a) and (N, d_b), or None
        The clouds; ``None`` when the matching precomputed neighbours are given.
    k : int
        Neighbourhood size.
    neighbors_a, neighbors_b : Neighbors, optional
        Precomputed neighbours (at least k columns) that replace the searches.

    Returns
    -------
    float
        χ_k in [0, 1].

    Raises
    ------
    TooFewPointsError
        N < k + 1, or precomputed neighbours with fewer than k columns.
    GeometryError
        The clouds hold different numbers of points.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(200, 8))
    >>> neighborhood_overlap(a, 3 * a + 1, k=5)  # a similarity keeps every neighbourhood
    1.0
    """
    k = check_positive_int(k, name="k")
    na = neighbors_a if neighbors_a is not None else _neighbors_for(a, k=k, name="a")
    nb = neighbors_b if neighbors_b is not None else _neighbors_for(b, k=k, name="b")
    return overlap_from_neighbors(na, nb, k=k)


def consecutive_overlaps(layers: Sequence, *, ks: Iterable[int] = range(1, 7)) -> np.ndarray:
    """χ_k(l, l + 1) for every pair of successive layers and every k in ``ks``.

    Parameters
    ----------
    layers : sequence of L array_like (N, d) or Neighbors
        Clouds of the same N tokens, each an array or a precomputed
        :class:`~geometry.neighbors.Neighbors` with at least max(ks) neighbours. One
        neighbour search (k = max(ks)) is made per array layer.
    ks : iterable of int
        Neighbourhood sizes (default 1..6, as in Viswanathan et al.).

    Returns
    -------
    numpy.ndarray, shape (L − 1, len(ks))
        Row l holds χ_k between layers l and l + 1.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(200, 8))
    >>> consecutive_overlaps([a, 2 * a, rng.normal(size=(200, 8))], ks=[1, 5]).round(2).tolist()
    [[1.0, 1.0], [0.0, 0.03]]
    """
    ks = [check_positive_int(k, name="each k in ks") for k in ks]
    if not ks:
        raise GeometryError("ks must hold at least one neighbourhood size; got an empty sequence.")
    layers = list(layers)
    if len(layers) < 2:
        raise TooFewPointsError(f"consecutive overlaps need at least 2 layers; got {len(layers)}.")
    k_max = max(ks)
    neighbors = [_neighbors_for(layer, k=k_max, name=f"layers[{i}]") for i, layer in enumerate(layers)]
    out = np.empty((len(layers) - 1, len(ks)))
    for l in range(len(layers) - 1):
        for j, k in enumerate(ks):
            out[l, j] = overlap_from_neighbors(neighbors[l], neighbors[l + 1], k=k)
    return out


def _overlap_statistic(previous: Neighbors, current: Neighbors, *, settings) -> Measurement:
    """χ_k between two consecutive layers for k = 1..``settings.overlap_k`` (all tokens; NaN for a
    k beyond the neighbours either layer has)."""
    k_max = min(settings.overlap_k, previous.k, current.k)
    values = overlaps_up_to(previous, current, k_max=k_max) if k_max >= 1 else []
    return Measurement(values={f"overlap_k{k}": float(value) for k, value in enumerate(values, start=1)})


STATISTIC = Statistic(
    name="overlap", label="neighbourhood overlap", version=OVERLAP_VERSION, needs="pair", compute=_overlap_statistic,
    columns=lambda settings: tuple(f"overlap_k{k}" for k in range(1, settings.overlap_k + 1)),
    column_label=lambda column: f"neighbourhood overlap χ_{column.removeprefix('overlap_k')}",
    selectable=("overlap_k1",), axis="overlap χ_k (share of shared neighbours)",
    description="χ_k(l, l+1): the share of each token's k nearest neighbours at layer l that are still among "
                "its k nearest at layer l + 1 (Viswanathan et al. 2025); chance level k/(N − 1).")
