import numpy as np
import pytest

from cache import open_store
from geometry.cross_model import global_similarity
from lm import load_model, resolve_model
from lm.embeddings import input_embeddings, vocabulary
from pipeline.models import cross_model_analysis, shared_tokens
from prompts.words import english_words
from tests.tiny_model import build_tiny_model


def test_shared_tokens_keep_whole_words_present_in_both():
    a = [" the", " The", "ing", " cat", " dog", " x", " über"]
    b = [" dog", " the", " cat", " The"]
    words = {"the", "cat", "dog", "x", "über"}
    assert [t for t, _, _ in shared_tokens(a, b, limit=10, words=words)] == [" the", " The", " cat", " dog"]
    assert shared_tokens(a, b, limit=2, words=words)[1] == (" The", 1, 3)


def test_shared_whole_words_leave_out_word_start_pieces():
    """Issue 11, finding 8: " con", " pro", " com" are pieces of longer words, not words."""
    pieces = [" con", " pro", " com", " house", " The", " people", " car", " north", "ing", " dis"]
    shared = [token for token, _, _ in shared_tokens(pieces, pieces[::-1], limit=100)]
    assert shared == [" house", " The", " people", " car", " north"]
    words = english_words()
    assert {"house", "people", "the", "january", "october"} <= words
    assert not {"con", "pro", "com", "ing", "tion"} & words


def test_a_model_compared_with_itself_is_perfectly_similar(tiny_model_dir, tmp_path):
    result = cross_model_analysis(str(tiny_model_dir), str(tiny_model_dir), store=None, lle_k=3)
    assert result.global_pearson == pytest.approx(1.0)
    assert result.lle_transfer == pytest.approx(result.lle_own, rel=1e-9)
    assert result.lle_own < result.lle_random


def test_two_different_models_use_their_shared_tokens(tiny_model_dir, tmp_path):
    other = build_tiny_model(tmp_path / "other", seed=1)
    store = open_store(":memory:")
    result = cross_model_analysis(str(tiny_model_dir), str(other), store=store, lle_k=3)
    loaded_a, loaded_b = (load_model(resolve_model(str(path))) for path in (tiny_model_dir, other))
    va, vb = vocabulary(loaded_a), vocabulary(loaded_b)
    rows = [(va.index(t), vb.index(t)) for t in result.tokens]
    a = input_embeddings(loaded_a)[[i for i, _ in rows]]
    b = input_embeddings(loaded_b)[[j for _, j in rows]]
    assert result.global_pearson == pytest.approx(global_similarity(a, b).pearson, rel=1e-9)
    cached = cross_model_analysis(str(tiny_model_dir), str(other), store=store, lle_k=3,
                                  loader=lambda *args: pytest.fail("the models must not load"))
    assert cached == result or np.isnan(result.steering_cosine)
