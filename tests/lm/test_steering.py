"""Steering hook, greedy generation and token alignment on tiny models built from configs."""

import numpy as np
import pytest

from lm import PromptError, extract, load_model, resolve_model
from lm.alignment import NO_CHARACTERS, aligned_positions, token_ends
from lm.steering import added_to_residual, greedy_generate, next_token_log_probs

TEXT = "The quick brown fox jumps over the lazy dog while the cat sleeps."


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(resolve_model(str(tiny_model_dir)))


@pytest.mark.parametrize("layer", [0, 1, 3])
def test_hook_adds_exactly_the_vector_at_exactly_that_layer(tiny, layer):
    plain = extract(tiny, text=TEXT, with_losses=False).hidden_states
    vector = np.random.default_rng(layer).normal(size=tiny.hidden_size) * 3.0
    with added_to_residual(tiny, layer=layer, vector=vector):
        steered = extract(tiny, text=TEXT, with_losses=False).hidden_states
    np.testing.assert_array_equal(steered[:layer], plain[:layer])  # earlier layers untouched
    np.testing.assert_allclose(steered[layer] - plain[layer], np.broadcast_to(vector, plain[layer].shape), atol=1e-5)
    assert np.abs(steered[layer + 1] - plain[layer + 1]).max() > 1e-3  # and it propagates
    after = extract(tiny, text=TEXT, with_losses=False).hidden_states
    np.testing.assert_array_equal(after, plain)  # the hook is gone


def test_last_layer_and_wrong_width_are_refused(tiny):
    with pytest.raises(PromptError, match="layers 0..3"):
        with added_to_residual(tiny, layer=4, vector=np.zeros(tiny.hidden_size)):
            pass
    with pytest.raises(PromptError, match="entries"):
        with added_to_residual(tiny, layer=1, vector=np.zeros(3)):
            pass


def test_strength_zero_generates_exactly_the_unsteered_tokens(tiny):
    prompt = tiny.tokenizer(TEXT[:30])["input_ids"]
    plain = greedy_generate(tiny, prompt_ids=prompt, max_new_tokens=12)
    assert plain.size == 12 or (plain.size and plain[-1] == tiny.tokenizer.eos_token_id)
    vector = np.random.default_rng(0).normal(size=tiny.hidden_size)
    zero = greedy_generate(tiny, prompt_ids=prompt, max_new_tokens=12, layer=2, vector=0.0 * vector)
    np.testing.assert_array_equal(zero, plain)
    again = greedy_generate(tiny, prompt_ids=prompt, max_new_tokens=12)
    np.testing.assert_array_equal(again, plain)  # greedy is deterministic
    pushed = greedy_generate(tiny, prompt_ids=prompt, max_new_tokens=12, layer=2, vector=500.0 * vector)
    assert not np.array_equal(pushed, plain)


def test_log_probs_match_the_extraction_and_move_with_the_vector(tiny):
    ids = tiny.tokenizer(TEXT)["input_ids"]
    targets = np.array(ids[5:8])
    plain = next_token_log_probs(tiny, prompts=[ids[:5]], token_ids=targets)
    losses = extract(tiny, token_ids=np.array(ids[:6])).losses
    assert plain.shape == (1, 3)
    assert plain[0, 0] == pytest.approx(-losses[4], abs=1e-4)
    vector = np.random.default_rng(1).normal(size=tiny.hidden_size) * 50
    assert not np.allclose(next_token_log_probs(tiny, prompts=[ids[:5]], token_ids=targets, layer=1, vector=vector),
                           plain)


ALIGN_TEXT = "The zebra quietly jumps over the lazy dog, surprisingly."  # words the tiny BPE never saw


def _word_level_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = sorted(set(ALIGN_TEXT.replace(",", " ,").replace(".", " .").split()))
    vocab = {"<unk>": 0, "<s>": 1, **{w: i + 2 for i, w in enumerate(words)}}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>")


def test_alignment_pairs_tokens_that_have_read_the_same_characters(tiny):
    byte_level = token_ends(tiny.tokenizer, ALIGN_TEXT, add_special_tokens=False)
    word_level = token_ends(_word_level_tokenizer(), ALIGN_TEXT, add_special_tokens=False)
    assert byte_level.token_ids.size > word_level.token_ids.size + 3  # unseen words split into pieces
    index_a, index_b = aligned_positions(byte_level.ends, word_level.ends)
    # Every word-level token ends a word or is a punctuation mark; the byte-level BPE splits there too.
    assert index_b.tolist() == list(range(word_level.token_ids.size))
    np.testing.assert_array_equal(byte_level.ends[index_a], word_level.ends[index_b])
    assert np.all(np.diff(index_a) > 0)
    for i, j in zip(index_a, index_b):  # both have read exactly the same text
        assert tiny.tokenizer.decode(byte_level.token_ids[: i + 1]) == ALIGN_TEXT[: word_level.ends[j]]
    pieces_not_aligned = np.setdiff1d(np.arange(byte_level.token_ids.size), index_a)
    assert pieces_not_aligned.size == byte_level.token_ids.size - word_level.token_ids.size


def test_alignment_takes_the_last_token_of_a_character_and_skips_special_tokens():
    # Model A splits a two-byte character into two tokens with the same end; B has a BOS.
    ends_a = [3, 5, 5, 9]
    ends_b = [NO_CHARACTERS, 3, 5, 7, 9]
    index_a, index_b = aligned_positions(ends_a, ends_b)
    assert index_a.tolist() == [0, 2, 3] and index_b.tolist() == [1, 2, 4]
    from tokenizers.processors import TemplateProcessing

    tokenizer = _word_level_tokenizer()
    tokenizer._tokenizer.post_processor = TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    with_bos = token_ends(tokenizer, "The lazy dog", add_special_tokens=True)
    assert with_bos.token_ids[0] == 1 and with_bos.ends.tolist() == [NO_CHARACTERS, 3, 8, 12]
    assert token_ends(tokenizer, "The lazy dog", add_special_tokens=False).ends.tolist() == [3, 8, 12]
