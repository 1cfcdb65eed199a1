"""The GPU path's neighbour search, checked on CPU torch against geometry's numpy search.

On a CUDA machine the pipeline runs the float32 distance product of each layer's certified
neighbour search in torch (the model already sits on the GPU); the candidates' float64 distances
and everything else stay numpy. Here the same code runs on the CPU device and must give the same
neighbours and the same float64 distances, bit for bit, on the adversarial clouds of
tests/geometry/test_certified_search.py, and so the same per-layer statistics.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geometry.neighbors import Neighbors, candidate_threshold, float32_cloud, nearest_neighbors
from geometry.suite import SuiteSettings
from lm import extract, load_model, resolve_model
from lm.neighbors_torch import _threshold, torch_nearest_neighbors
from tests.geometry.test_certified_search import adversarial_clouds, brute_force
from pipeline import Request, analyse
from pipeline.runner import _layer_statistics, neighbor_search, no_progress, run_model

RTOL = 1e-4
TEXT = ("Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. "
        "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.")


def cpu_torch_search(points: np.ndarray, k: int) -> Neighbors:
    distances, indices = torch_nearest_neighbors(points, k=k, device="cpu")
    return Neighbors(distances=distances, indices=indices)


@pytest.mark.parametrize("block_bytes", [256 * 2**20, 3000])
def test_same_neighbors_as_numpy(block_bytes):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(300, 12)) * 20 + 500  # far from the origin: centring keeps precision
    points[7] = points[3] + 1e-9  # a near-duplicate: tiny distances are recomputed exactly
    expected = nearest_neighbors(points, k=16)
    distances, indices = torch_nearest_neighbors(points, k=16, device="cpu", block_bytes=block_bytes)
    assert distances.dtype == np.float64 and indices.dtype == np.int64
    np.testing.assert_array_equal(indices, expected.indices)
    np.testing.assert_array_equal(distances, expected.distances)
    assert distances[3, 0] == pytest.approx(np.linalg.norm(points[3] - points[7]), rel=1e-6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cloud=adversarial_clouds(), block=st.sampled_from([256 * 2**20, 1000]))
def test_certified_torch_search_equals_the_float64_search(cloud, block):
    x, k = cloud
    distances, indices = torch_nearest_neighbors(x, k=k, device="cpu", block_bytes=block)
    expected_distances, expected_indices = brute_force(x, k)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_array_equal(distances, expected_distances)


def test_device_threshold_is_the_numpy_threshold():
    import torch

    rng = np.random.default_rng(3)
    cloud = float32_cloud(rng.normal(size=(40, 30)))
    lowest = rng.normal(size=(40, 5)).astype(np.float32)
    norms = cloud.squared_norms[rng.integers(40, size=(40, 5))]
    expected = candidate_threshold(lowest, norms, cloud.squared_norms, tau=cloud.tau, eta=cloud.eta)
    found = _threshold(torch, torch.as_tensor(lowest), torch.as_tensor(norms), torch.as_tensor(cloud.squared_norms),
                       tau=cloud.tau, eta=cloud.eta)
    np.testing.assert_array_equal(found.numpy(), expected)


def test_tf32_setting_is_restored():
    import torch

    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("medium")
    try:
        torch_nearest_neighbors(np.random.default_rng(4).normal(size=(20, 3)), k=3)
        assert torch.get_float32_matmul_precision() == "medium"
    finally:
        torch.set_float32_matmul_precision(before)


def test_refuses_too_few_points():
    with pytest.raises(ValueError, match="n ≥ k"):
        torch_nearest_neighbors(np.zeros((3, 2)), k=3)


def test_the_per_layer_suite_is_the_same_through_the_torch_search():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(150, 24))
    hidden = np.stack([np.tanh(base @ rng.normal(size=(24, 24))) for _ in range(5)]).astype(np.float32)
    hidden[:, 10] = hidden[:, 11]  # one repeated token: the second search (all points) runs too
    settings = SuiteSettings()
    numpy_suites, numpy_overlap = _layer_statistics(hidden, settings, no_progress, [])
    torch_suites, torch_overlap = _layer_statistics(hidden, settings, no_progress, [], search=cpu_torch_search)
    assert [pair.values for pair in torch_overlap] == [pair.values for pair in numpy_overlap]
    for ours, theirs in zip(torch_suites, numpy_suites):
        for field in dataclasses.fields(ours):
            a, b = getattr(ours, field.name), getattr(theirs, field.name)
            if isinstance(b, dict):  # the registered statistics: column -> value
                assert list(a) == list(b)
                np.testing.assert_array_equal(list(a.values()), list(b.values()), err_msg=field.name)
            elif isinstance(b, str):
                assert a == b
            else:  # the same neighbours and distances, so the same numbers
                np.testing.assert_array_equal(np.asarray(a, float), np.asarray(b, float), err_msg=field.name)


def test_the_search_follows_the_models_device():
    assert neighbor_search("cpu") is None
    assert callable(neighbor_search("cuda")) and callable(neighbor_search("cuda:1"))


def test_the_pipeline_uses_the_search_for_the_models_device(tiny_model_dir, monkeypatch):
    import pipeline.runner as runner

    request = Request(model=str(tiny_model_dir), prompt=TEXT)
    reference = analyse(request, store=None).analysis
    asked = []

    def search_on_cpu_torch(device):
        asked.append(device)
        return cpu_torch_search

    monkeypatch.setattr(runner, "neighbor_search", search_on_cpu_torch)
    through_torch = analyse(request, store=None).analysis
    assert asked == ["cpu"]
    for name in ("twonn_linear", "twonn_mle", "gride", "overlap", "local_id", "angles", "lle_weights",
                 "neighbor_distances", "cosine"):
        np.testing.assert_allclose(getattr(through_torch, name), getattr(reference, name), rtol=RTOL, err_msg=name)
    np.testing.assert_array_equal(through_torch.neighbor_indices, reference.neighbor_indices)


def test_a_device_other_than_cpu_is_passed_to_the_loader(tiny_model_dir):
    calls = []

    def loader(spec, dtype, *device):
        calls.append(device)
        return load_model(spec, dtype=dtype)

    spec = resolve_model(str(tiny_model_dir))
    run_model(Request(model=str(tiny_model_dir), prompt=TEXT), spec, loader=loader)
    run_model(Request(model=str(tiny_model_dir), prompt=TEXT, device="auto"), spec, loader=loader)
    assert calls == [(), ("auto",)]


def test_hidden_states_only_skips_the_vocabulary_but_not_a_single_bit(tiny_model_dir):
    loaded = load_model(resolve_model(str(tiny_model_dir)))
    full = extract(loaded, text=TEXT)
    hidden_only = extract(loaded, text=TEXT, with_losses=False)
    np.testing.assert_array_equal(hidden_only.hidden_states, full.hidden_states)
    assert hidden_only.losses is None and hidden_only.entropies is None and full.losses is not None
