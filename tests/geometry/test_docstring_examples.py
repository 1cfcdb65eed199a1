"""The Examples sections of the geometry modules run as doctests, and every public estimator has
a numpydoc docstring (Parameters, Returns, Examples)."""

import doctest
import importlib
import inspect
import pkgutil

import pytest

import geometry

MODULES = sorted(module.name for module in pkgutil.iter_modules(geometry.__path__))
# The public functions documented in numpydoc style with an Examples section.
DOCUMENTED = {
    "angles": ["nearest_neighbor_angles", "angles_from_neighbors"],
    "cloud": ["prepare_cloud"],
    "clusters": ["semantic_clusters", "neighborhood_groups", "lowest_id_rows"],
    "cosine": ["cosine_similarity_matrix", "mean_cosine_similarity", "mean_cosine_similarities", "unit_rows"],
    "cross_model": ["global_similarity"],
    "duplicates": ["remove_duplicates"],
    "emb2emb": ["fit_emb2emb", "steering_transfer", "split_indices", "pooled_r2", "fit_linear_map"],
    "embedding_id": ["embedding_matrix_id", "suggested_lora_rank"],
    "gride": ["gride", "gride_from_neighbors", "available_range_scalings", "gride_scan_from_neighbors"],
    "gride_scan": ["gride_scan"],
    "id_loss": ["id_loss_correlation", "logits_id", "distance_preserving_reduction", "logits_id_scan"],
    "layer_map": ["layer_r2_grid", "fit_layer_map", "absolute_ridge"],
    "lle": ["lle_weights", "lle_transfer", "barycenter_weights"],
    "local_id": ["local_id", "harmonic_mean_id", "mle_from_neighbors", "pca_from_neighbors"],
    "neighbors": ["nearest_neighbors"],
    "overlap": ["neighborhood_overlap", "consecutive_overlaps", "overlap_from_neighbors", "overlaps_up_to"],
    "projection": ["procrustes_align"],
    "shuffle": ["max_shuffle_index", "shuffle_tokens"],
    "sinks": ["attention_sinks", "sink_norm_ratios"],
    "twonn": ["twonn", "twonn_from_neighbors", "twonn_ratios"],
}


@pytest.mark.parametrize("name", [name for name in MODULES if name in DOCUMENTED])
def test_examples_run(name):
    module = importlib.import_module(f"geometry.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, report=True)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name, function", [(m, f) for m, names in DOCUMENTED.items() for f in names])
def test_numpydoc_sections(name, function):
    doc = inspect.getdoc(getattr(importlib.import_module(f"geometry.{name}"), function))
    for section in ("Parameters", "Returns", "Examples"):
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, f"{name}.{function} lacks {section}"
