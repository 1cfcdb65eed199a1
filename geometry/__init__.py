"""Pure numerics of token geometry: numpy/scipy/scikit-learn/umap in, numbers and frozen dataclasses out.

Never imports streamlit, torch, transformers or duckdb. Every statistic accepts
precomputed neighbours so that one search per layer feeds them all (see :mod:`geometry.cloud`).

Submodules are imported on first use (PEP 562): ``from geometry import twonn`` loads only what it
needs, so importing the neighbour search or the per-layer suite does not pull in scikit-learn
(clusters), umap (projections) or scipy.stats (ID–loss), about a second at every cold start.
"""

from __future__ import annotations

import importlib

# Functions named like their own submodule are bound now: importing the submodule later would
# otherwise leave the package attribute pointing at the module instead of the function.
from geometry.gride import gride
from geometry.gride_scan import gride_scan
from geometry.local_id import local_id
from geometry.twonn import twonn

_SOURCES = {
    **dict.fromkeys(('NeighborAngles', 'angles_from_neighbors', 'nearest_neighbor_angles'), "geometry.angles"),
    **dict.fromkeys(('PreparedCloud', 'prepare_cloud'), "geometry.cloud"),
    **dict.fromkeys(('TokenClusters', 'semantic_clusters'), "geometry.clusters"),
    **dict.fromkeys(('MeanCosine', 'cosine_similarity_matrix', 'mean_cosine_similarity'), "geometry.cosine"),
    **dict.fromkeys(('GlobalSimilarity', 'global_similarity'), "geometry.cross_model"),
    **dict.fromkeys(('Deduplicated', 'remove_duplicates'), "geometry.duplicates"),
    **dict.fromkeys(('Emb2EmbMap', 'SteeringTransfer', 'fit_emb2emb', 'steering_transfer'), "geometry.emb2emb"),
    **dict.fromkeys(('EmbeddingID', 'embedding_matrix_id', 'suggested_lora_rank'), "geometry.embedding_id"),
    **dict.fromkeys(('DegenerateCloudError', 'GeometryError', 'NonFiniteError', 'TooFewPointsError'), "geometry.errors"),
    **dict.fromkeys(('GrideResult', 'gride', 'gride_from_neighbors'), "geometry.gride"),
    **dict.fromkeys(('GrideScan', 'gride_scan'), "geometry.gride_scan"),
    **dict.fromkeys(('IDLossCorrelation', 'id_loss_correlation', 'logits_id'), "geometry.id_loss"),
    **dict.fromkeys(('LLETransfer', 'LLEWeights', 'lle_transfer', 'lle_weights'), "geometry.lle"),
    **dict.fromkeys(('LocalID', 'harmonic_mean_id', 'local_id'), "geometry.local_id"),
    **dict.fromkeys(('Neighbors', 'nearest_neighbors'), "geometry.neighbors"),
    **dict.fromkeys(('consecutive_overlaps', 'neighborhood_overlap', 'overlap_from_neighbors'), "geometry.overlap"),
    **dict.fromkeys(('AlignedProjections', 'Projection', 'aligned_projections', 'umap_projection', 'warm_up_umap'), "geometry.projection"),
    **dict.fromkeys(('max_shuffle_index', 'shuffle_tokens'), "geometry.shuffle"),
    **dict.fromkeys(('TwoNNResult', 'twonn', 'twonn_from_neighbors'), "geometry.twonn"),
}


def __getattr__(name: str):
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'geometry' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SOURCES})


__all__ = [
    "AlignedProjections", "Deduplicated", "DegenerateCloudError", "Emb2EmbMap", "EmbeddingID", "GeometryError",
    "GlobalSimilarity", "GrideResult", "GrideScan", "IDLossCorrelation", "LLETransfer", "LLEWeights", "LocalID",
    "MeanCosine", "NeighborAngles", "Neighbors", "NonFiniteError", "PreparedCloud", "Projection", "SteeringTransfer",
    "TokenClusters", "TooFewPointsError", "TwoNNResult", "aligned_projections", "angles_from_neighbors",
    "consecutive_overlaps", "cosine_similarity_matrix", "embedding_matrix_id", "fit_emb2emb",
    "global_similarity", "gride", "gride_from_neighbors", "gride_scan", "harmonic_mean_id", "id_loss_correlation",
    "lle_transfer", "lle_weights", "local_id", "logits_id", "max_shuffle_index", "mean_cosine_similarity",
    "nearest_neighbor_angles", "nearest_neighbors", "neighborhood_overlap", "overlap_from_neighbors", "prepare_cloud",
    "remove_duplicates", "semantic_clusters", "shuffle_tokens", "steering_transfer", "suggested_lora_rank",
    "twonn", "twonn_from_neighbors", "umap_projection", "warm_up_umap",
]
