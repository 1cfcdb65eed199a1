"""Layer grids and steering transfer end to end on two tiny models built from configs."""

import dataclasses

import numpy as np
import pytest

from cache import open_store
from pipeline.errors import ExperimentError
from pipeline.layer_maps import layer_grid
from pipeline.steering import CONDITIONS, SteeringSpec, log_odds, random_vectors, steering_experiment
from tests.tiny_model import build_tiny_model

TEXTS = ("The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.",
         "Geometry of tokens changes with depth: intrinsic dimension rises, then falls again.",
         "Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex.",
         "The river carries sand and stones down towards the sea over many years.")


@pytest.fixture(scope="module")
def tiny_b(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny-b"), n_layers=3, hidden_size=48, seed=1)


@pytest.fixture
def store(tmp_path):
    handle = open_store(str(tmp_path / "steering.duckdb"))
    yield handle
    handle.close()


def test_grid_of_a_model_onto_itself_has_a_perfect_diagonal_and_is_cached(tiny_model_dir, store):
    a = str(tiny_model_dir)
    first = layer_grid(a, a, store=store, texts=TEXTS, relative_ridge=1e-8, test_fraction=0.25)
    assert first.grid.r2_test.shape == (5, 5) and not first.from_cache
    assert np.diag(first.grid.r2_test).min() > 0.999  # same model, same tokens: the identity map
    assert first.grid.n_tokens > 40
    again = layer_grid(a, a, store=store, texts=TEXTS, relative_ridge=1e-8, test_fraction=0.25)
    assert again.from_cache
    np.testing.assert_array_equal(again.grid.r2_test, first.grid.r2_test)
    assert layer_grid(a, a, store=store, texts=TEXTS, relative_ridge=0.5, only_cached=True) is None


def test_grid_between_two_models_has_one_cell_per_pair_of_layers(tiny_model_dir, tiny_b, store):
    outcome = layer_grid(str(tiny_model_dir), str(tiny_b), store=store, texts=TEXTS)
    assert outcome.grid.r2_test.shape == (5, 4)
    assert (outcome.n_layers_a, outcome.n_layers_b) == (4, 3)
    assert np.isfinite(outcome.grid.r2_test).all() and outcome.grid.r2_test.max() <= 1.0


def test_strength_zero_changes_nothing(tiny_model_dir, tiny_b):
    spec = SteeringSpec(model_a=str(tiny_model_dir), model_b=str(tiny_b), concept="sentiment", layer_a=2, layer_b=1,
                        strength=0.0, max_new_tokens=4, n_random=2, map_texts=TEXTS)
    result = steering_experiment(spec, store=None)
    for condition in CONDITIONS[1:]:
        assert result.generations[condition] == result.generations[CONDITIONS[0]]
        assert result.effects[condition] == 0.0
    assert len(result.generations[CONDITIONS[0]]) == 4 and result.norm_transferred > 0
    assert result.map_tokens > 60


def test_a_model_steering_itself_transfers_its_own_vector(tiny_model_dir, store):
    a = str(tiny_model_dir)
    spec = SteeringSpec(model_a=a, model_b=a, concept="sentiment", layer_a=2, layer_b=2, strength=8.0,
                        relative_ridge=1e-8, max_new_tokens=3, n_random=3, map_texts=TEXTS)
    result = steering_experiment(spec, store=store)
    assert result.cosine > 0.99 and result.norm_transferred == pytest.approx(result.norm_b, rel=0.02)
    assert result.effects[CONDITIONS[2]] == pytest.approx(result.effects[CONDITIONS[1]], abs=0.02)
    assert len(result.random_effects) == 3 and np.isfinite(result.random_sd)
    assert result.effects[CONDITIONS[1]] != 0.0
    cached = steering_experiment(spec, store=store)
    assert cached.from_cache and cached.generations == result.generations and cached.effects == result.effects
    assert steering_experiment(dataclasses.replace(spec, strength=2.0), store=store, only_cached=True) is None


def test_bad_settings_are_refused_with_a_message(tiny_model_dir, tiny_b):
    spec = SteeringSpec(model_a=str(tiny_model_dir), model_b=str(tiny_b), concept="sentiment", layer_a=2, layer_b=3,
                        strength=1.0, max_new_tokens=2, n_random=2, map_texts=TEXTS)
    with pytest.raises(Exception, match="layers 0..2"):
        steering_experiment(spec, store=None)
    with pytest.raises(ExperimentError, match="unknown concept"):
        steering_experiment(dataclasses.replace(spec, concept="nope"), store=None)


def test_log_odds_and_random_controls():
    log_probs = np.log(np.array([[0.1, 0.2, 0.3, 0.1]]))
    assert log_odds(log_probs, np.array([5, 6]), np.array([7, 8]))[0] == pytest.approx(np.log(0.3 / 0.4))
    vectors = random_vectors(dimension=10, norm=3.0, n=4)
    assert [round(float(np.linalg.norm(v)), 9) for v in vectors] == [3.0] * 4
    assert not np.allclose(vectors[0], vectors[1])
    np.testing.assert_array_equal(vectors[2], random_vectors(dimension=10, norm=3.0, n=3)[2])
