import numpy as np
import pytest

from cache import open_store
from geometry.twonn import twonn
from geometry.suite import SuiteSettings
from lm import PromptError, extract, load_model, resolve_model
from pipeline import MIN_TOKENS, Request, analyse
from tests.hidden_patch import patch_hidden_states

TEXT = ("Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. "
        "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.")


@pytest.fixture
def request_for(tiny_model_dir):
    def make(**changes):
        return Request(model=str(tiny_model_dir), prompt=changes.pop("prompt", TEXT), **changes)
    return make


def test_second_call_is_served_from_the_store_with_identical_values(request_for):
    store = open_store(":memory:")
    steps = []
    first = analyse(request_for(), store=store, progress=lambda fraction, message: steps.append(message))
    assert not first.from_cache and any("layer" in step for step in steps)
    second = analyse(request_for(), store=store, loader=lambda *a: pytest.fail("model must not load"))
    assert second.from_cache and second.key == first.key
    for name in ("twonn_linear", "twonn_mle", "gride", "gride_error", "losses", "token_ids"):
        np.testing.assert_array_equal(getattr(second.analysis, name), getattr(first.analysis, name))
    assert second.analysis.tokens == first.analysis.tokens


def test_values_equal_the_estimators_on_the_raw_hidden_states(request_for, tiny_model_dir):
    outcome = analyse(request_for(), store=None)
    loaded = load_model(resolve_model(str(tiny_model_dir)))
    hidden = extract(loaded, text=TEXT).hidden_states
    analysis = outcome.analysis
    assert analysis.layers.tolist() == list(range(1, hidden.shape[0]))
    for layer in (1, hidden.shape[0] - 1):
        assert analysis.twonn_linear[layer - 1] == pytest.approx(twonn(hidden[layer]).id, rel=1e-9)
        assert analysis.twonn_mle[layer - 1] == pytest.approx(twonn(hidden[layer], method="mle").id, rel=1e-9)
    assert analysis.gride.shape == (analysis.layers.size, analysis.range_scalings.size)


def test_every_setting_is_part_of_the_key(request_for):
    store = open_store(":memory:")
    base = analyse(request_for(), store=store).key
    assert analyse(request_for(prompt=TEXT + " More."), store=store).key != base
    assert analyse(request_for(settings=SuiteSettings(twonn_fraction=0.8)), store=store).key != base
    assert analyse(request_for(add_special_tokens=True), store=store).key != base
    assert store.count() == 4


def test_too_short_prompt_says_how_many_tokens_are_needed(request_for):
    with pytest.raises(PromptError, match=f"at least {MIN_TOKENS}"):
        analyse(request_for(prompt="Hi there"), store=None)


def test_truncation_is_reported(request_for):
    outcome = analyse(request_for(max_tokens=20), store=None)
    assert outcome.analysis.n_tokens == 20 and outcome.analysis.truncated
    assert any("only the first 20" in note for note in outcome.analysis.notes)


def test_duplicate_points_are_removed_counted_and_reported(request_for, monkeypatch):
    def repeat_a_token(hidden):
        hidden[:, 5] = hidden[:, 4]  # token 5 identical to token 4 at every layer
        return hidden

    patch_hidden_states(monkeypatch, repeat_a_token)
    analysis = analyse(request_for(), store=None).analysis
    assert analysis.n_duplicates.tolist() == [1] * analysis.layers.size
    assert analysis.n_points.tolist() == [analysis.n_tokens - 1] * analysis.layers.size
    assert any("duplicate" in note for note in analysis.notes)


def test_non_finite_hidden_states_are_dropped_and_reported(request_for, monkeypatch):
    def overflow(hidden):
        hidden[3, 2, 0] = np.inf
        return hidden

    patch_hidden_states(monkeypatch, overflow)
    analysis = analyse(request_for(), store=None).analysis
    assert np.isfinite(analysis.twonn_linear).all()
    assert analysis.n_points.max() == analysis.n_tokens - 1
    assert any("NaN/inf" in note for note in analysis.notes)


def test_a_result_without_token_neighbors_is_completed_when_they_are_asked_for(request_for):
    """A corpus run stores no per-token neighbour lists; the app asks for them and gets them, and
    the replaced result keeps the logits ID the corpus run had measured."""
    store = open_store(":memory:")
    light = analyse(request_for(with_token_neighbors=False, with_logits_id=True), store=store)
    assert light.analysis.n_token_neighbors == 0 and light.analysis.lle_weights.shape[-1] == 0
    assert np.isfinite(light.analysis.logits_id)
    assert analyse(request_for(with_token_neighbors=False), store=store).from_cache
    full = analyse(request_for(), store=store)
    assert not full.from_cache and full.key == light.key
    assert full.analysis.n_token_neighbors == SuiteSettings().token_neighbors
    assert full.analysis.lle_weights.shape == (*full.analysis.local_id.shape, SuiteSettings().token_neighbors)
    assert full.analysis.logits_id == pytest.approx(light.analysis.logits_id, rel=1e-12)
    np.testing.assert_array_equal(full.analysis.gride, light.analysis.gride)
    again = analyse(request_for(with_logits_id=True), store=store)
    assert again.from_cache and again.analysis.n_token_neighbors > 0


def test_a_result_stored_before_the_neighbor_count_existed_still_loads(request_for):
    from pipeline.analysis import from_record, to_record

    meta, arrays = to_record(analyse(request_for(), store=None).analysis)
    del meta["n_token_neighbors"]
    restored = from_record(meta, arrays)
    assert restored is not None and restored.n_token_neighbors == arrays["neighbor_indices"].shape[-1] > 0


def test_a_result_stored_under_the_earlier_spelling_of_the_neighbor_count_still_loads(request_for):
    from pipeline.analysis import from_record, to_record

    meta, arrays = to_record(analyse(request_for(with_token_neighbors=False), store=None).analysis)
    meta["n_token_neighbours"] = meta.pop("n_token_neighbors")
    restored = from_record(meta, arrays)
    assert restored is not None and restored.n_token_neighbors == 0
