"""Points from the head's input have the pairwise distances of the logit vectors (lm.logit_space)."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist

from geometry.id_loss import logits_id
from lm import extract, load_model, resolve_model
from lm.logit_space import linear_head, logit_distance_map

TEXT = "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun, and the dog barks."


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(resolve_model(str(tiny_model_dir)), threads=1)


def test_coordinates_have_the_distances_of_the_logits(tiny):
    run = extract(tiny, text=TEXT, keep_logits=True, logit_geometry=True)
    assert run.logit_coordinates is not None
    assert run.logit_coordinates.shape == (run.n_tokens, tiny.hidden_size)
    explicit = pdist(run.logits.astype(np.float64))
    np.testing.assert_allclose(pdist(run.logit_coordinates), explicit, rtol=1e-5)


def test_the_logits_id_is_the_same_from_either_cloud(tiny):
    run = extract(tiny, text=TEXT, keep_logits=True, logit_geometry=True)
    assert logits_id(run.logit_coordinates).id == pytest.approx(logits_id(run.logits).id, rel=1e-5)


def test_logit_geometry_alone_does_not_hand_out_the_logits(tiny):
    run = extract(tiny, text=TEXT, logit_geometry=True)
    assert run.logits is None and run.logit_coordinates is not None
    assert run.losses is not None  # the loss and entropy still come from the model's own logits


def test_a_head_whose_logits_are_post_processed_falls_back_to_the_explicit_logits(tiny):
    """Soft-capped logits (tanh(z/c)·c, as Gemma 2 does) are not a linear map of the head's input."""
    head = linear_head(tiny.model)
    handle = head.register_forward_hook(lambda module, args, output: torch.tanh(output / 0.05) * 0.05)
    try:
        run = extract(tiny, text=TEXT, logit_geometry=True)
    finally:
        handle.remove()
    assert run.logit_coordinates is None
    assert run.logits is not None and np.abs(run.logits).max() <= 0.05 + 1e-6


@pytest.mark.parametrize("rank", [16, 6])
def test_the_distance_map_is_exact_also_for_a_rank_deficient_head(rank):
    generator = torch.Generator().manual_seed(rank)
    head = torch.nn.Linear(16, 300, bias=True)
    with torch.no_grad():
        factors = torch.randn(300, rank, generator=generator) @ torch.randn(rank, 16, generator=generator)
        head.weight.copy_(factors)
    h = torch.randn(40, 16, generator=generator, dtype=torch.float64)
    logits = (h @ head.weight.double().T + head.bias.double()).detach()
    coordinates = h.numpy() @ logit_distance_map(head)
    np.testing.assert_allclose(pdist(coordinates), pdist(logits.numpy()), rtol=1e-9)


def test_half_precision_models_use_the_head_input_too(tiny_model_dir):
    """bfloat16 logits differ from W·h in float32 by bfloat16's round-off, which the check allows."""
    half = load_model(resolve_model(str(tiny_model_dir)), dtype="bfloat16", threads=1)
    run = extract(half, text=TEXT, keep_logits=True, logit_geometry=True)
    assert run.logit_coordinates is not None
    np.testing.assert_allclose(pdist(run.logit_coordinates), pdist(run.logits.astype(np.float64)), rtol=0.05)
