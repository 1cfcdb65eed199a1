"""Pure numerics of token geometry: numpy/scipy/scikit-learn/umap in, numbers and frozen dataclasses out.

Never imports streamlit, torch, transformers or duckdb. Every statistic accepts
precomputed neighbours so that one search per layer feeds them all (see :mod:`geometry.cloud`).

Import from the submodule that defines a name (``from geometry.twonn import twonn``): this
package re-exports nothing, so importing one statistic loads only what it needs, and the
neighbour search or the per-layer suite never pulls in scikit-learn (clusters), umap
(projections) or scipy.stats (ID–loss) at a cold start.
"""
