"""Pure numerics of token geometry: numpy/scipy/scikit-learn/umap in, numbers and frozen dataclasses out.

Never imports streamlit, torch, transformers or duckdb (DESIGN.md §2). Every statistic accepts
precomputed neighbours so that one search per layer feeds them all (see :mod:`geometry.cloud`).
"""

from geometry.angles import NeighborAngles, angles_from_neighbors, nearest_neighbor_angles
from geometry.cloud import PreparedCloud, prepare_cloud
from geometry.clusters import TokenClusters, semantic_clusters
from geometry.cosine import MeanCosine, cosine_similarity_matrix, mean_cosine_similarity
from geometry.cross_model import GlobalSimilarity, global_similarity
from geometry.duplicates import Deduplicated, remove_duplicates
from geometry.emb2emb import Emb2EmbMap, SteeringTransfer, fit_emb2emb, steering_transfer
from geometry.embedding_id import EmbeddingID, embedding_matrix_id, suggested_lora_rank
from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError
from geometry.gride import GrideResult, gride, gride_from_neighbors
from geometry.gride_scan import GrideScan, gride_scan
from geometry.id_loss import IDLossCorrelation, contextual_entropy, id_loss_correlation, logits_id, token_entropies
from geometry.lle import LLETransfer, LLEWeights, lle_transfer, lle_weights
from geometry.local_id import LocalID, harmonic_mean_id, local_id
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.overlap import consecutive_overlaps, neighborhood_overlap, overlap_from_neighbors
from geometry.projection import AlignedProjections, Projection, aligned_projections, umap_projection, warm_up_umap
from geometry.shuffle import max_shuffle_index, shuffle_tokens
from geometry.twonn import TwoNNResult, twonn, twonn_from_neighbors

__all__ = [
    "AlignedProjections", "Deduplicated", "DegenerateCloudError", "Emb2EmbMap", "EmbeddingID", "GeometryError",
    "GlobalSimilarity", "GrideResult", "GrideScan", "IDLossCorrelation", "LLETransfer", "LLEWeights", "LocalID",
    "MeanCosine", "NeighborAngles", "Neighbors", "NonFiniteError", "PreparedCloud", "Projection", "SteeringTransfer",
    "TokenClusters", "TooFewPointsError", "TwoNNResult", "aligned_projections", "angles_from_neighbors",
    "consecutive_overlaps", "contextual_entropy", "cosine_similarity_matrix", "embedding_matrix_id", "fit_emb2emb",
    "global_similarity", "gride", "gride_from_neighbors", "gride_scan", "harmonic_mean_id", "id_loss_correlation",
    "lle_transfer", "lle_weights", "local_id", "logits_id", "max_shuffle_index", "mean_cosine_similarity",
    "nearest_neighbor_angles", "nearest_neighbors", "neighborhood_overlap", "overlap_from_neighbors", "prepare_cloud",
    "remove_duplicates", "semantic_clusters", "shuffle_tokens", "steering_transfer", "suggested_lora_rank",
    "token_entropies", "twonn", "twonn_from_neighbors", "umap_projection", "warm_up_umap",
]
