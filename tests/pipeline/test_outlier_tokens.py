"""Issue 11 findings 1 and 10: a shuffle keeps special tokens in place; special tokens and attention
sinks stay out of the token cloud by default; every statistic's version is in the cache key."""

import dataclasses
import numpy as np
import pytest

import geometry.cosine
from cache import open_store
from lm import load_model, resolve_model
from pipeline import Request, analyse
from pipeline.runner import _prompt_token_ids, special_token_mask
from tests.hidden_patch import patch_hidden_states

TEXT = ("Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. "
        "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.")
BOS_TEXT = "<s>" + TEXT  # the tiny tokenizer reads "<s>" as its BOS token (id 1)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(resolve_model(str(tiny_model_dir)))


def _check_bos_kept(loaded, text, *, add_special_tokens, shuffles, seeds=range(3)):
    original, _ = _prompt_token_ids(loaded, Request(model="m", prompt=text, add_special_tokens=add_special_tokens), [])
    special = special_token_mask(loaded, original)
    assert special[0] and special.sum() == 1
    for s in shuffles:
        for seed in seeds:
            request = Request(model="m", prompt=text, add_special_tokens=add_special_tokens, shuffle_index=s, seed=seed)
            shuffled, _ = _prompt_token_ids(loaded, request, [])
            assert shuffled[0] == original[0], (s, seed)
            assert sorted(shuffled[1:].tolist()) == sorted(original[1:].tolist())
            if s == shuffles[-1]:
                assert not np.array_equal(shuffled, original)


def test_every_shuffle_keeps_bos_first_and_permutes_only_the_text(tiny):
    """Before the fix the block shuffle moved BOS into the middle of the prompt."""
    _check_bos_kept(tiny, BOS_TEXT, add_special_tokens=False, shuffles=[1, 2, 3])


def test_bundled_gemma_with_bos_keeps_bos_first_under_every_shuffle():
    gemma = load_model(resolve_model("Gemma-3-270M"))
    text = " ".join([TEXT] * 25)  # ~900 tokens: S = 1..5 are all distinct shuffles
    _check_bos_kept(gemma, text, add_special_tokens=True, shuffles=[1, 2, 3, 4, 5])


def test_special_tokens_are_left_out_of_the_cloud_and_counted(tiny_model_dir):
    outcome = analyse(Request(model=str(tiny_model_dir), prompt=BOS_TEXT), store=None)
    analysis = outcome.analysis
    assert analysis.special_positions.tolist() == [0]
    assert 0 not in analysis.kept and analysis.kept.size == analysis.n_tokens - 1
    assert any("Left out of the token cloud: 1 special token" in note for note in analysis.notes)
    kept = analyse(Request(model=str(tiny_model_dir), prompt=BOS_TEXT, keep_outlier_tokens=True), store=None)
    assert kept.analysis.kept.size == analysis.n_tokens and kept.key != outcome.key
    assert any("Kept in the token cloud (as asked)" in note for note in kept.analysis.notes)


def test_an_attention_sink_is_left_out_by_default(tiny_model_dir, monkeypatch):
    def sink_at_position_2(hidden):
        hidden[1:, 2] *= 500.0  # a massive activation, as SmolLM2's first token has
        return hidden

    patch_hidden_states(monkeypatch, sink_at_position_2)
    analysis = analyse(Request(model=str(tiny_model_dir), prompt=TEXT), store=None).analysis
    assert analysis.sink_positions.tolist() == [2] and 2 not in analysis.kept
    assert any("1 attention sink" in note for note in analysis.notes)
    kept = analyse(Request(model=str(tiny_model_dir), prompt=TEXT, keep_outlier_tokens=True), store=None).analysis
    assert kept.sink_positions.tolist() == [2] and 2 in kept.kept


def test_bumping_any_statistic_version_changes_the_key(tiny_model_dir, monkeypatch):
    """Before, the key summed only the TwoNN, GRIDE, local-ID and overlap versions: a new cosine
    (or angles, LLE, logits-ID) version still served the old results."""
    store = open_store(":memory:")
    request = Request(model=str(tiny_model_dir), prompt=TEXT)
    first = analyse(request, store=store)
    assert analyse(request, store=store).from_cache
    bumped = dataclasses.replace(geometry.cosine.STATISTIC, version=geometry.cosine.STATISTIC.version + 1)
    monkeypatch.setattr(geometry.cosine, "STATISTIC", bumped, raising=True)  # what the registry reads
    again = analyse(request, store=store)
    assert not again.from_cache and again.key != first.key
    assert dict(again.spec.statistic_versions)["cosine"] == dict(first.spec.statistic_versions)["cosine"] + 1


def test_logits_id_is_measured_at_every_range_scaling(tiny_model_dir):
    analysis = analyse(Request(model=str(tiny_model_dir), prompt=TEXT, with_logits_id=True), store=None).analysis
    fits = analysis.range_scalings < analysis.kept.size
    assert fits.sum() >= 3 and np.isfinite(analysis.logits_ids[fits]).all()
    assert np.isnan(analysis.logits_ids[~fits]).all()
    assert analysis.logits_id == analysis.logits_ids[0]
