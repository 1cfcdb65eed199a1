"""The LoRA-rank experiment on a tiny model: only the input embedding is adapted (also when the LM
head is tied to it), the model is left as it was, the baseline perplexity matches a direct
computation, and a sweep stores every rank and resumes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cache import open_store
from lm import load_model, resolve_model
from lm.lora import heldout_nll, train_embedding_lora
from pipeline.lora_sweep import SweepSettings, run_sweep, stored_ranks, stored_sweeps, sweep_ranks
from tests.tiny_model import build_tiny_model

SETTINGS = SweepSettings(block_tokens=16, train_blocks=12, heldout_blocks=4, steps=3, batch_size=2,
                         learning_rate=1e-2)


@pytest.fixture(scope="module")
def tied_model(tmp_path_factory):
    folder = build_tiny_model(tmp_path_factory.mktemp("tiny-tied"), tie_word_embeddings=True)
    return load_model(resolve_model(str(folder)))


def test_default_ranks_are_powers_of_two_and_the_ranks_around_the_id():
    assert sweep_ranks(intrinsic_dimension=11.3, n_features=576) == [1, 2, 4, 8, 11, 12, 16, 32, 64, 128]
    assert sweep_ranks(intrinsic_dimension=None, n_features=576, max_rank=16) == [1, 2, 4, 8, 16]
    assert sweep_ranks(intrinsic_dimension=30.0, n_features=32) == [1, 2, 4, 8, 16, 21, 30, 32]  # 42 > D left out
    # The README's SmolLM2 sweep (ID 8.89): 6, 9 and 13 added, 8 already a power of two.
    assert sweep_ranks(intrinsic_dimension=8.89, n_features=576) == [1, 2, 4, 6, 8, 9, 13, 16, 32, 64, 128]


def test_only_the_input_embedding_is_adapted_and_the_model_is_restored(tied_model):
    model = tied_model.model
    assert model.lm_head.weight is model.get_input_embeddings().weight  # tied
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    rng = np.random.default_rng(0)
    blocks = rng.integers(3, tied_model.tokenizer.vocab_size, size=(6, 12))
    run = train_embedding_lora(model, rank=2, train=blocks[:4], heldout=blocks[4:], steps=3, batch_size=2,
                               learning_rate=1e-2, seed=0)
    assert run.adapted == ("model.embed_tokens",)  # not lm_head, although it shares the weight
    vocabulary, width = model.get_input_embeddings().weight.shape
    assert run.trainable == 2 * (vocabulary + width)  # A (r × V) and B (D × r)
    assert np.isfinite(run.losses).all() and run.losses.shape == (3,)
    # the adapter is gone and no weight changed (the LoRA update was never merged)
    assert not any("lora" in name for name, _ in model.named_parameters())
    for name, parameter in model.named_parameters():
        assert bool((parameter == before[name]).all()), name
    assert model.lm_head.weight is model.get_input_embeddings().weight


def test_a_trained_adapter_changes_the_heldout_loss_and_is_reproducible(tied_model):
    rng = np.random.default_rng(1)
    blocks = rng.integers(3, tied_model.tokenizer.vocab_size, size=(6, 12))
    base = heldout_nll(tied_model.model, blocks[4:], batch_size=2)
    runs = [train_embedding_lora(tied_model.model, rank=4, train=blocks[:4], heldout=blocks[4:], steps=3,
                                 batch_size=2, learning_rate=5e-2, seed=0) for _ in range(2)]
    assert runs[0].heldout_nll != pytest.approx(base, abs=1e-6)
    assert runs[0].heldout_nll == runs[1].heldout_nll  # same seed, same data order, same result
    np.testing.assert_array_equal(runs[0].losses, runs[1].losses)


def test_a_sweep_stores_every_rank_and_resumes(tiny_model_dir, tmp_path):
    import torch

    store = open_store(tmp_path / "store.duckdb")
    loaded = load_model(resolve_model(str(tiny_model_dir)))
    results = run_sweep(loaded, ranks=[1, 2], settings=SETTINGS, intrinsic_dimension=1.7, put=store.put)
    assert [r.rank for r in results] == [0, 1, 2]
    # rank 0 is the model as it is: exp of the mean next-token loss over the held-out blocks, computed directly
    from pipeline.lora_sweep import prepare_blocks

    _, heldout = prepare_blocks(loaded.tokenizer, SETTINGS)
    with torch.no_grad():
        losses = [float(loaded.model(input_ids=torch.as_tensor(block[None]), labels=torch.as_tensor(block[None])).loss)
                  for block in heldout]
    assert results[0].perplexity == pytest.approx(math.exp(np.mean(losses)), rel=1e-5)
    assert all(len(r.losses) == SETTINGS.steps for r in results[1:])
    rows = stored_sweeps(store)
    assert [row["rank"] for row in rows] == [0, 1, 2]
    assert {row["intrinsic_dimension"] for row in rows} == {1.7}
    assert [row["perplexity"] for row in rows] == [r.perplexity for r in results]
    # resume: finished ranks are found in the store and not trained again; a new rank extends the sweep
    done = stored_ranks(store, loaded.fingerprint, SETTINGS, [0, 1, 2, 4])
    assert done == {0, 1, 2}
    more = run_sweep(loaded, ranks=[1, 2, 4], settings=SETTINGS, intrinsic_dimension=1.7, put=store.put, done=done)
    assert [r.rank for r in more] == [4]
    assert [row["rank"] for row in stored_sweeps(store)] == [0, 1, 2, 4]
