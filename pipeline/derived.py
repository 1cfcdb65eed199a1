"""Views computed on demand from a prompt's hidden states, cached under their own keys.

Hidden states are not stored (a 512-token prompt holds ~18 MB of them); the pages keep recent
ones in memory and otherwise re-run the model (bit-identical). What is derived from them — the
semantic clusters of a layer, UMAP projections — is small and goes into the store, so a second
visit of the same view needs neither the model nor the computation.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from cache import ResultStore, spec_key
from cache.memo import memoize
from geometry.clusters import CLUSTERS_VERSION, semantic_clusters
from geometry.projection import PROJECTION_VERSION, aligned_projections, umap_projection
from pipeline.analysis import Outcome

DERIVED_KIND = "derived"
Points = Callable[[], np.ndarray]  # () -> hidden states (L+1, M, D) of the analysed tokens


def derived_arrays(store: ResultStore | None, *, base_key: str, name: str, params: dict,
                   compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """``compute()``'s arrays, from the store when they were computed before for the same analysis."""
    spec = {"analysis": base_key, "view": name, **params}
    # A store that fails is not reported: the view is still shown, and simply recomputed next time.
    return memoize(store, spec_key(spec), decode=lambda record: dict(record.arrays), compute=compute,
                   encode=lambda arrays: dict(kind=DERIVED_KIND, spec=spec, meta={}, arrays=arrays)).value


def token_clusters(outcome: Outcome, *, layer: int, n_clusters: int, points: Points,
                   store: ResultStore | None, low_id_share: float = 0.5) -> dict[str, np.ndarray]:
    """Clusters of the tokens at ``layer`` (:func:`geometry.clusters.semantic_clusters`: the
    ``low_id_share`` of tokens of lowest local ID, centred, cosine-Ward), ranked by harmonic-mean
    local ID, low first. Arrays: labels (M,) with −1 for tokens not clustered, cluster_ids (C,),
    cluster_sizes (C,)."""
    analysis = outcome.analysis

    def compute() -> dict[str, np.ndarray]:
        clustered = int(np.ceil(low_id_share * analysis.kept.size - 1e-9))
        result = semantic_clusters(points()[layer], n_clusters=max(1, min(n_clusters, clustered)),
                                   local_ids=analysis.local_id[layer - 1], low_id_share=low_id_share)
        return {"labels": result.labels, "cluster_ids": result.cluster_ids, "cluster_sizes": result.cluster_sizes}

    params = {"layer": layer, "n_clusters": n_clusters, "low_id_share": low_id_share, "version": CLUSTERS_VERSION}
    return derived_arrays(store, base_key=outcome.key, name="clusters", params=params, compute=compute)


def layer_projection(outcome: Outcome, *, layer: int, n_components: int, points: Points,
                     store: ResultStore | None) -> np.ndarray:
    """Seeded UMAP of the tokens at one layer: (M, n_components)."""

    def compute() -> dict[str, np.ndarray]:
        return {"embedding": umap_projection(points()[layer], n_components=n_components, random_state=0).embedding}

    params = {"layer": layer, "n_components": n_components, "version": PROJECTION_VERSION}
    return derived_arrays(store, base_key=outcome.key, name="umap", params=params, compute=compute)["embedding"]


def aligned_layer_projections(outcome: Outcome, *, n_components: int, points: Points, store: ResultStore | None,
                              progress: Callable[[float, str], None] = lambda fraction, message: None) -> np.ndarray:
    """UMAP of every layer 1..L, each started from the previous layer's layout and Procrustes-aligned
    to it, so a token can be followed through depth: (L, M, n_components)."""

    def compute() -> dict[str, np.ndarray]:
        hidden = points()
        progress(0.0, f"UMAP of {hidden.shape[0] - 1} layers, each started from the previous one")
        result = aligned_projections(list(hidden[1:]), n_components=n_components, mode="init", random_state=0)
        return {"embeddings": result.embeddings}

    params = {"n_components": n_components, "mode": "init", "version": PROJECTION_VERSION}
    return derived_arrays(store, base_key=outcome.key, name="umap_aligned", params=params, compute=compute)["embeddings"]


def joint_projection(outcomes: list[Outcome], *, layer: int, n_components: int, points: list[Points],
                     store: ResultStore | None) -> np.ndarray:
    """One seeded UMAP of several runs' token clouds at ``layer`` together (e.g. the prompt and its
    shuffled version), so they share axes: (ΣM, n_components), runs stacked in order."""

    def compute() -> dict[str, np.ndarray]:
        cloud = np.concatenate([get()[layer] for get in points])
        return {"embedding": umap_projection(cloud, n_components=n_components, random_state=0).embedding}

    params = {"with": [outcome.key for outcome in outcomes[1:]], "layer": layer, "n_components": n_components,
              "version": PROJECTION_VERSION}
    return derived_arrays(store, base_key=outcomes[0].key, name="umap_joint", params=params,
                          compute=compute)["embedding"]
