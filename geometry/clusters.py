"""Semantic clusters of tokens at one layer, ranked by local intrinsic dimension
(Lee et al. 2025, arXiv 2503.21073: tokens with low local ID tend to form semantically
coherent clusters, those with high local ID do not).

Method (the defaults):

1. Only the tokens with the lowest local IDs are clustered: the ⌈``low_id_share`` · n⌉ tokens of
   lowest local ID (ties by position), as Lee et al. look for clusters among low-ID tokens. The
   other tokens get the label −1 ("not clustered").
2. The cloud is centred (its mean subtracted). Hidden states share a large common direction, so
   every raw cosine similarity is close to 1 and a few outlying tokens are far from everything:
   average linkage on raw cosines then keeps the outliers as singletons and merges everything
   else into one cluster (measured on the bundled passages: 87–99 % of a prompt in one cluster
   at most layers of SmolLM2-135M, see bench/token_clusters.py).
3. ``metric="cosine"`` compares directions: the rows are scaled to unit length, so the squared
   Euclidean distance is 2 (1 − cos). Ward linkage (the default) then merges the two clusters
   whose union increases the within-cluster sum of squares least, which keeps clusters of
   comparable sizes; average, complete and single linkage use the cosine distance itself.
   ``metric="euclidean"`` uses the (centred) states as they are.

scikit-learn's ``AgglomerativeClustering`` cuts the tree at ``n_clusters`` or at
``distance_threshold``. Each cluster gets the harmonic mean of its members' local IDs (the right
average of pointwise ID estimates, see :mod:`geometry.local_id`), and clusters are relabelled
0, 1, … from the lowest mean local ID to the highest (ties by size, larger first, then by first
member), so label 0 is the cluster most likely to be coherent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from geometry.errors import DegenerateCloudError, GeometryError, TooFewPointsError
from geometry.local_id import LocalIDMethod, harmonic_mean_id, local_id
from geometry.neighbors import Neighbors
from geometry.validation import check_points, check_positive_int

CLUSTERS_VERSION = 2  # 2: centred, cosine-Ward, lowest-local-ID half
ClusterMetric = Literal["cosine", "euclidean"]
Linkage = Literal["average", "complete", "single", "ward"]


@dataclass(frozen=True)
class TokenClusters:
    """Clusters of a layer's tokens ordered by mean local ID (low first).

    labels:            (n,) int, cluster of each token; 0 = lowest mean local ID, −1 = not
                       clustered (local ID above the cut-off).
    cluster_ids:       (c,) harmonic mean local ID of each cluster, ascending.
    cluster_sizes:     (c,) number of tokens in each cluster (they sum to ``n_clustered``).
    local_ids:         (n,) the per-token local IDs used.
    metric, linkage:   clustering settings; centred: whether the cloud's mean was subtracted.
    low_id_share:      share of the tokens clustered (those of lowest local ID).
    id_cutoff:         the largest local ID among the clustered tokens.
    """

    labels: np.ndarray
    cluster_ids: np.ndarray
    cluster_sizes: np.ndarray
    local_ids: np.ndarray
    metric: str
    linkage: str
    centred: bool = True
    low_id_share: float = 1.0
    id_cutoff: float = float("inf")

    @property
    def n_clusters(self) -> int:
        return int(self.cluster_sizes.size)

    @property
    def n_clustered(self) -> int:
        return int(np.sum(self.labels >= 0))

    def members(self, label: int) -> np.ndarray:
        """Row indices of the tokens in cluster ``label``."""
        return np.flatnonzero(self.labels == label)


def lowest_id_rows(local_ids: np.ndarray, *, share: float) -> np.ndarray:
    """Sorted rows of the ⌈share · n⌉ smallest local IDs (ties broken by row).

    Parameters
    ----------
    local_ids : numpy.ndarray, shape (n,)
        One local ID a token.
    share : float
        Share (0, 1] of the tokens kept.

    Returns
    -------
    numpy.ndarray of int, shape (⌈share · n⌉,)
        Their rows, ascending.

    Examples
    --------
    >>> import numpy as np
    >>> lowest_id_rows(np.array([3.0, 1.0, 2.0, 5.0]), share=0.5).tolist()
    [1, 2]
    """
    count = max(1, int(np.ceil(share * local_ids.size - 1e-9)))
    return np.sort(np.argsort(local_ids, kind="stable")[:count])


def semantic_clusters(
    points,
    *,
    n_clusters: int | None = None,
    distance_threshold: float | None = None,
    metric: ClusterMetric = "cosine",
    linkage: Linkage = "ward",
    centre: bool = True,
    low_id_share: float = 0.5,
    local_ids=None,
    k: int = 10,
    method: LocalIDMethod = "mle",
    variance_threshold: float = 0.9,
    neighbors: Neighbors | None = None,
) -> TokenClusters:
    """Agglomerative clusters of the low-local-ID tokens of a layer cloud, ranked by harmonic-mean
    local ID (see the module docstring for the method and why).

    Parameters
    ----------
    points : array_like, shape (n, d)
        Hidden states of the tokens.
    n_clusters, distance_threshold : int or float, optional
        Give exactly one (scikit-learn's rule); the threshold is a linkage distance (Ward's, or
        the cosine distance 1 − cos for the other linkages with ``metric="cosine"``).
    metric, linkage : str
        ``metric`` "cosine" (directions; any linkage) or "euclidean"; scikit-learn's ``linkage``.
    centre : bool
        Subtract the cloud's mean first (the tokens clustered are centred on the mean of every
        token).
    low_id_share : float
        Share (0, 1] of the tokens clustered, those of lowest local ID.
    local_ids : array_like, shape (n,), optional
        Precomputed per-token local IDs; otherwise computed with
        :func:`geometry.local_id.local_id` (``k``, ``method``, ``variance_threshold``, ``neighbors``).

    Returns
    -------
    TokenClusters
        ``labels`` (n,) (−1 for tokens not clustered), per-cluster ``cluster_ids`` and
        ``cluster_sizes``, the tokens' ``local_ids`` (n,) and the ID cutoff.

    Raises
    ------
    GeometryError
        Bad parameter combination.
    TooFewPointsError
        n < 2, or n_clusters larger than the tokens clustered.
    DegenerateCloudError
        Zero vectors (after centring) with the cosine metric.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(10)
    >>> blobs = np.vstack([rng.normal(size=(20, 5)) * 0.05 + centre for centre in 5 * np.eye(5)[:3]])
    >>> found = semantic_clusters(blobs, n_clusters=3, low_id_share=1.0, k=5)
    >>> found.cluster_sizes.tolist(), len(set(found.labels[:20].tolist()))  # one cluster a blob
    ([20, 20, 20], 1)
    """
    x = check_points(points, min_points=2, what="clustering")
    n = x.shape[0]
    if (n_clusters is None) == (distance_threshold is None):
        raise GeometryError("give exactly one of n_clusters and distance_threshold.")
    if metric not in ("cosine", "euclidean"):
        raise GeometryError(f"metric must be 'cosine' or 'euclidean'; got {metric!r}.")
    if linkage not in ("average", "complete", "single", "ward"):
        raise GeometryError(f"linkage must be 'average', 'complete', 'single' or 'ward'; got {linkage!r}.")
    if not (isinstance(low_id_share, (int, float)) and 0 < low_id_share <= 1):
        raise GeometryError(f"low_id_share must be in (0, 1]; got {low_id_share!r}.")
    if distance_threshold is not None and not (np.isfinite(distance_threshold) and distance_threshold >= 0):
        raise GeometryError(f"distance_threshold must be a finite number ≥ 0; got {distance_threshold!r}.")
    if local_ids is None:
        ids = local_id(x, k=k, method=method, variance_threshold=variance_threshold, neighbors=neighbors).ids
    else:
        ids = np.asarray(local_ids, dtype=np.float64)
        if ids.shape != (n,):
            raise GeometryError(f"local_ids must have shape ({n},), one per token; got {ids.shape}.")
    rows = lowest_id_rows(ids, share=low_id_share)
    if rows.size < 2:
        raise TooFewPointsError(f"only {rows.size} token is clustered (low_id_share={low_id_share}); raise the share.")
    if n_clusters is not None:
        n_clusters = check_positive_int(n_clusters, name="n_clusters")
        if n_clusters > rows.size:
            raise TooFewPointsError(f"n_clusters={n_clusters} exceeds the {rows.size} tokens clustered; "
                                    f"ask for at most {rows.size}.")
    y = (x - x.mean(axis=0) if centre else x)[rows]
    if metric == "cosine":
        norms = np.linalg.norm(y, axis=1)
        if np.any(norms == 0):
            raise DegenerateCloudError(
                f"{int(np.sum(norms == 0))} tokens are zero vectors{' after centring' if centre else ''}, which "
                "have no direction; use metric='euclidean'."
            )
        if linkage == "ward":
            y = y / norms[:, None]  # squared distance 2 (1 − cos): Ward on directions
    model = AgglomerativeClustering(
        n_clusters=n_clusters,
        distance_threshold=distance_threshold,
        metric="euclidean" if linkage == "ward" else metric,
        linkage=linkage,
        compute_full_tree="auto" if distance_threshold is None else True,
    )
    raw = model.fit_predict(y)
    chosen = ids[rows]
    labels_found = np.unique(raw)
    sizes = np.array([np.sum(raw == c) for c in labels_found])
    means = np.array([harmonic_mean_id(chosen[raw == c]) for c in labels_found])
    first = np.array([np.flatnonzero(raw == c)[0] for c in labels_found])
    order = np.lexsort((first, -sizes, means))  # by mean ID, then larger first, then first member
    relabel = np.empty(labels_found.size, dtype=np.int64)
    relabel[order] = np.arange(order.size)
    lookup = np.empty(int(labels_found.max()) + 1, dtype=np.int64)
    lookup[labels_found] = relabel
    labels = np.full(n, -1, dtype=np.int64)
    labels[rows] = lookup[raw]
    return TokenClusters(
        labels=labels,
        cluster_ids=means[order],
        cluster_sizes=sizes[order],
        local_ids=ids,
        metric=metric,
        linkage=linkage,
        centred=bool(centre),
        low_id_share=float(low_id_share),
        id_cutoff=float(chosen.max()),
    )


def neighborhood_groups(seeds, neighbors) -> np.ndarray:
    """Groups of tokens whose neighbourhoods meet (Lee et al.'s low-ID clusters on the vocabulary).

    Each seed token is joined to its listed nearest neighbours; the groups are the connected
    components of that graph, so two seeds are in one group when one is among the other's
    neighbours or they share a neighbour (directly or through other seeds).

    Parameters
    ----------
    seeds : array_like of int, shape (s,)
        Token ids.
    neighbors : array_like of int, shape (s, m)
        Token ids of each seed's nearest tokens.

    Returns
    -------
    numpy.ndarray of int, shape (s,)
        One label per seed, numbered 0, 1, … in the order the groups' first seeds appear.

    Examples
    --------
    >>> neighborhood_groups([0, 1, 2, 3, 4], [[1], [0], [3], [2], [9]]).tolist()
    [0, 0, 1, 1, 2]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    seeds = np.asarray(seeds, dtype=np.int64)
    neighbors = np.asarray(neighbors, dtype=np.int64)
    if neighbors.ndim != 2 or neighbors.shape[0] != seeds.size:
        raise GeometryError(f"neighbors must have one row per seed; got {neighbors.shape} for {seeds.size} seeds.")
    nodes, compact = np.unique(np.concatenate([seeds, neighbors.ravel()]), return_inverse=True)
    source = np.repeat(compact[: seeds.size], neighbors.shape[1])
    target = compact[seeds.size :]
    graph = coo_matrix((np.ones(source.size), (source, target)), shape=(nodes.size, nodes.size))
    _, component = connected_components(graph, directed=False)
    raw = component[compact[: seeds.size]]
    _, first = np.unique(raw, return_index=True)
    order = np.argsort(np.argsort(first))  # rank of each component by its first seed
    return order[np.searchsorted(np.unique(raw), raw)]
