"""Pure numerics of token geometry: numpy/scipy/scikit-learn in, numbers and frozen dataclasses out.

Never imports streamlit, torch, transformers or duckdb (DESIGN.md §2).
"""

from geometry.cloud import PreparedCloud, prepare_cloud
from geometry.duplicates import Deduplicated, remove_duplicates
from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError
from geometry.gride import GrideResult, gride, gride_from_neighbors
from geometry.neighbors import Neighbors, nearest_neighbors
from geometry.twonn import TwoNNResult, twonn, twonn_from_neighbors

__all__ = [
    "Deduplicated", "DegenerateCloudError", "GeometryError", "GrideResult", "Neighbors", "NonFiniteError",
    "PreparedCloud", "TooFewPointsError", "TwoNNResult", "gride", "gride_from_neighbors", "nearest_neighbors",
    "prepare_cloud", "remove_duplicates", "twonn", "twonn_from_neighbors",
]
