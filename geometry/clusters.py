"""Semantic clusters of tokens at one layer, ranked by local intrinsic dimension
(Lee et al. 2025, arXiv 2503.21073: tokens with low local ID tend to form semantically
coherent clusters, those with high local ID do not).

Tokens are grouped by scikit-learn's ``AgglomerativeClustering`` (``metric="cosine"`` with
average linkage by default, or ``"euclidean"`` with ward/average/complete/single linkage), cut
either at ``n_clusters`` or at ``distance_threshold``. Each cluster gets the harmonic mean of its
members' local IDs (the right average of pointwise ID estimates, see :mod:`geometry.local_id`),
and clusters are relabelled 0, 1, … from the lowest mean local ID to the highest (ties by size,
larger first, then by first member), so label 0 is the cluster most likely to be coherent.
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

CLUSTERS_VERSION = 1
ClusterMetric = Literal["cosine", "euclidean"]
Linkage = Literal["average", "complete", "single", "ward"]


@dataclass(frozen=True)
class TokenClusters:
    """Clusters of a layer's tokens ordered by mean local ID (low first).

    labels:            (n,) int, cluster of each token; 0 = lowest mean local ID.
    cluster_ids:       (c,) harmonic mean local ID of each cluster, ascending.
    cluster_sizes:     (c,) number of tokens in each cluster.
    local_ids:         (n,) the per-token local IDs used.
    metric, linkage:   clustering settings.
    """

    labels: np.ndarray
    cluster_ids: np.ndarray
    cluster_sizes: np.ndarray
    local_ids: np.ndarray
    metric: str
    linkage: str

    @property
    def n_clusters(self) -> int:
        return int(self.cluster_sizes.size)

    def members(self, label: int) -> np.ndarray:
        """Row indices of the tokens in cluster ``label``."""
        return np.flatnonzero(self.labels == label)


def semantic_clusters(
    points,
    *,
    n_clusters: int | None = None,
    distance_threshold: float | None = None,
    metric: ClusterMetric = "cosine",
    linkage: Linkage = "average",
    local_ids=None,
    k: int = 10,
    method: LocalIDMethod = "mle",
    variance_threshold: float = 0.9,
    neighbors: Neighbors | None = None,
) -> TokenClusters:
    """Agglomerative clusters of an (n, d) layer cloud, ranked by harmonic-mean local ID.

    Parameters
    ----------
    points:             (n, d) hidden states of the tokens.
    n_clusters, distance_threshold: give exactly one (scikit-learn's rule); the threshold is a
                        linkage distance (cosine distance 1 − cos for ``metric="cosine"``).
    metric, linkage:    "cosine" (any linkage but ward) or "euclidean".
    local_ids:          (n,) precomputed per-token local IDs; otherwise computed with
                        :func:`geometry.local_id.local_id` (``k``, ``method``, ``variance_threshold``,
                        ``neighbors``).

    Raises
    ------
    GeometryError         bad parameter combination; TooFewPointsError  n < 2 or n_clusters > n;
    DegenerateCloudError  zero vectors with the cosine metric.
    """
    x = check_points(points, min_points=2, what="clustering")
    n = x.shape[0]
    if (n_clusters is None) == (distance_threshold is None):
        raise GeometryError("give exactly one of n_clusters and distance_threshold.")
    if metric not in ("cosine", "euclidean"):
        raise GeometryError(f"metric must be 'cosine' or 'euclidean'; got {metric!r}.")
    if linkage not in ("average", "complete", "single", "ward"):
        raise GeometryError(f"linkage must be 'average', 'complete', 'single' or 'ward'; got {linkage!r}.")
    if linkage == "ward" and metric != "euclidean":
        raise GeometryError("ward linkage needs metric='euclidean'; use average linkage with the cosine metric.")
    if n_clusters is not None:
        n_clusters = check_positive_int(n_clusters, name="n_clusters")
        if n_clusters > n:
            raise TooFewPointsError(f"n_clusters={n_clusters} exceeds the {n} tokens; ask for at most {n}.")
    elif not (np.isfinite(distance_threshold) and distance_threshold >= 0):
        raise GeometryError(f"distance_threshold must be a finite number ≥ 0; got {distance_threshold!r}.")
    if metric == "cosine":
        zero = ~np.any(x != 0.0, axis=1)
        if np.any(zero):
            raise DegenerateCloudError(
                f"{int(zero.sum())} tokens are zero vectors, which have no cosine distance; "
                "drop them or use metric='euclidean'."
            )
    if local_ids is None:
        ids = local_id(x, k=k, method=method, variance_threshold=variance_threshold, neighbors=neighbors).ids
    else:
        ids = np.asarray(local_ids, dtype=np.float64)
        if ids.shape != (n,):
            raise GeometryError(f"local_ids must have shape ({n},), one per token; got {ids.shape}.")
    model = AgglomerativeClustering(
        n_clusters=n_clusters,
        distance_threshold=distance_threshold,
        metric=metric,
        linkage=linkage,
        compute_full_tree="auto" if distance_threshold is None else True,
    )
    raw = model.fit_predict(x)
    labels_found = np.unique(raw)
    sizes = np.array([np.sum(raw == c) for c in labels_found])
    means = np.array([harmonic_mean_id(ids[raw == c]) for c in labels_found])
    first = np.array([np.flatnonzero(raw == c)[0] for c in labels_found])
    order = np.lexsort((first, -sizes, means))  # by mean ID, then larger first, then first member
    relabel = np.empty(labels_found.size, dtype=np.int64)
    relabel[order] = np.arange(order.size)
    lookup = np.empty(int(labels_found.max()) + 1, dtype=np.int64)
    lookup[labels_found] = relabel
    return TokenClusters(
        labels=lookup[raw],
        cluster_ids=means[order],
        cluster_sizes=sizes[order],
        local_ids=ids,
        metric=metric,
        linkage=linkage,
    )
