"""The suite over a stack of layers: threads change nothing, extras can be left out, BLAS is restored."""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from geometry.suite import LayerGeometryError, SuiteSettings, layer_suite, pair_statistics, prepare_layer, suites_over_layers

SETTINGS = SuiteSettings(max_range_scaling=16)


@pytest.fixture(scope="module")
def stack():
    """Six 'layers' of 80 tokens: a drifting curved 3-D manifold embedded in 40-D, plus noise."""
    rng = np.random.default_rng(7)
    t = rng.uniform(size=(80, 3))
    embed = rng.normal(size=(3, 40))
    return np.stack([np.sin((1 + 0.2 * layer) * t) @ embed + 0.01 * rng.normal(size=(80, 40))
                     for layer in range(6)]).astype(np.float32)


def serial_reference(stack):
    """One layer at a time with the building blocks, as the pipeline did before it used threads."""
    clouds = [prepare_layer(layer, settings=SETTINGS) for layer in stack]
    suites = [layer_suite(cloud, settings=SETTINGS) for cloud in clouds]
    pairs = [pair_statistics(a.all_neighbors, b.all_neighbors, settings=SETTINGS) for a, b in zip(clouds, clouds[1:])]
    return suites, pairs


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_the_same_numbers_with_any_number_of_workers(stack, workers):
    expected, expected_overlap = serial_reference(stack)
    seen = []
    suites, overlap = suites_over_layers(stack, settings=SETTINGS, workers=workers, on_layer=seen.append)
    assert seen == list(range(len(stack)))  # in order, in the caller's thread
    assert [pair.values for pair in overlap] == [pair.values for pair in expected_overlap]
    assert len(overlap) == len(stack) - 1 and all(len(pair.values) == SETTINGS.overlap_k for pair in overlap)
    for got, want in zip(suites, expected):
        assert set(got.values) == set(want.values) and {"twonn_linear", "gride_2", "cosine"} <= set(got.values)
        for name in got.values:
            assert got.values[name] == pytest.approx(want.values[name], rel=1e-6, nan_ok=True)
            assert got.errors[name] == pytest.approx(want.errors[name], rel=1e-6, nan_ok=True)
        for name in ("local_id", "angles", "neighbor_distances", "lle_weights"):
            np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-6)
        np.testing.assert_array_equal(got.neighbor_indices, want.neighbor_indices)


def test_without_token_neighbors_only_those_arrays_are_empty(stack):
    full, full_overlap = suites_over_layers(stack, settings=SETTINGS)
    light, light_overlap = suites_over_layers(stack, settings=SETTINGS, with_token_neighbors=False)
    assert [pair.values for pair in light_overlap] == [pair.values for pair in full_overlap]
    for a, b in zip(light, full):
        assert a.neighbor_indices.shape == a.neighbor_distances.shape == a.lle_weights.shape == (stack.shape[1], 0)
        assert b.lle_weights.shape == (stack.shape[1], SETTINGS.token_neighbors)
        assert a.values == b.values
        np.testing.assert_array_equal(a.local_id, b.local_id)
        assert a.problem == b.problem


def test_a_layer_without_geometry_is_named(stack):
    broken = stack.copy()
    broken[3] = 1.0  # every token identical
    with pytest.raises(LayerGeometryError, match="identical") as caught:
        suites_over_layers(broken, settings=SETTINGS, workers=2)
    assert caught.value.layer == 3


def blas_threads():
    return sorted((info["filepath"], info["num_threads"]) for info in threadpool_info() if info["user_api"] == "blas")


def test_blas_threads_are_restored_after_overlapping_calls(stack):
    before = blas_threads()
    errors = []

    def call():
        try:
            suites_over_layers(stack, settings=SETTINGS, workers=2)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    callers = [threading.Thread(target=call) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert errors == [] and blas_threads() == before
