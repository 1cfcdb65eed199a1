"""The vocabulary's geometry: every row by default, reserved rows dropped, blocks saved and resumed."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from cache import open_store
from geometry.local_id import local_id
from geometry.embedding_id import embedding_matrix_id
from pipeline.vocabulary import (BLOCK_KIND, reserved_rows, stored_embedding_results, vocabulary_geometry)

N_ROWS, N_UNUSED, WIDTH = 17_000, 40, 6


class _Tokenizer:
    all_special_ids = [0, 1]
    added_tokens_decoder = {}

    def __init__(self, pieces):
        self.pieces = pieces

    def __len__(self):
        return len(self.pieces)

    def convert_ids_to_tokens(self, ids):
        return [self.pieces[i] for i in ids]


def _fake_model(seed=0, n_rows=N_ROWS):
    """A "loaded model" whose vocabulary is larger than the old 16,384-row default sample: words
    on a 3-dimensional curved sheet in 6 dimensions, 40 <unused…> rows and 2 control tokens."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(-1, 1, size=(n_rows, 3))
    matrix = np.column_stack([t, np.sin(2 * t[:, :1]), t[:, 1:2] * t[:, 2:3], np.cos(t[:, :1])]).astype(np.float32)
    pieces = ["<pad>", "<bos>"] + [f"<unused{i}>" for i in range(N_UNUSED)] + [f"Ġw{i}" for i in range(n_rows - 2 - N_UNUSED)]
    tokenizer = _Tokenizer(pieces)
    embedding = torch.nn.Embedding(n_rows, WIDTH)
    embedding.weight.data = torch.from_numpy(matrix)
    model = SimpleNamespace(get_input_embeddings=lambda: embedding)
    return SimpleNamespace(model=model, tokenizer=tokenizer), matrix


def test_every_row_is_used_by_default_and_reserved_rows_are_dropped(tiny_model_dir):
    """Issue 11, finding 6: the default was a 16,384-row sample, and <unused…> rows were kept."""
    loaded, _ = _fake_model()
    store = open_store(":memory:")
    geometry = vocabulary_geometry(str(tiny_model_dir), store=store, loader=lambda *args: loaded)
    result = geometry.result
    assert result.n_subsampled_out == 0 and result.n_rows == N_ROWS
    assert result.n_reserved_rows == N_UNUSED + 2
    assert geometry.dropped["unused placeholders"] == N_UNUSED and geometry.dropped["control tokens"] == 2
    assert result.n_used == N_ROWS - N_UNUSED - 2 - result.n_zero_rows - result.n_exact_duplicates - result.n_near_duplicates
    assert 2.5 < result.id_twonn < 3.5  # the sheet is 3-dimensional
    np.testing.assert_array_equal(geometry.rows, np.arange(N_UNUSED + 2, N_ROWS))
    again = vocabulary_geometry(str(tiny_model_dir), store=store, loader=lambda *args: pytest.fail("must not load"))
    assert again.from_cache and again.result == result
    np.testing.assert_array_equal(again.neighbors, geometry.neighbors)
    assert [row["model"] for row in stored_embedding_results(store)] == [geometry.model_name]


def test_blocks_are_saved_as_they_go_and_a_stopped_search_resumes(tiny_model_dir):
    loaded, matrix = _fake_model(seed=1, n_rows=3000)
    store = open_store(":memory:")
    done = []

    def stop_after_two_blocks(fraction, message):
        if message.startswith("Nearest neighbours"):
            done.append(message)
            if len(done) == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        vocabulary_geometry(str(tiny_model_dir), store=store, loader=lambda *args: loaded, block_rows=800,
                            progress=stop_after_two_blocks)
    assert len(store.keys(kind=BLOCK_KIND)) == 2
    messages = []
    resumed = vocabulary_geometry(str(tiny_model_dir), store=store, loader=lambda *args: loaded, block_rows=800,
                                  progress=lambda fraction, message: messages.append(message))
    assert len(store.keys(kind=BLOCK_KIND)) == 4
    blocks = [message for message in messages if message.startswith("Nearest neighbours")]
    assert len(blocks) == 4 and "s left" not in blocks[1] and "s left" in blocks[2]  # 1-2 reused, 3 timed
    whole = vocabulary_geometry(str(tiny_model_dir), store=None, loader=lambda *args: loaded)
    assert resumed.result.id_twonn == pytest.approx(whole.result.id_twonn, rel=1e-12)
    np.testing.assert_array_equal(resumed.neighbors, whole.neighbors)
    reserved = np.zeros(len(matrix), dtype=bool)
    reserved[: N_UNUSED + 2] = True
    reference = embedding_matrix_id(matrix, exclude=reserved)  # one search of the whole matrix
    assert whole.result.id_twonn == pytest.approx(reference.id_twonn, rel=1e-9)
    assert whole.result.id_local_mle == pytest.approx(reference.id_local_mle, rel=1e-9)
    rows = whole.rows
    np.testing.assert_allclose(whole.local_ids, local_id(matrix[rows].astype(float), k=20).ids, rtol=1e-9)


def test_a_sample_only_when_asked(tiny_model_dir):
    loaded, _ = _fake_model(seed=2, n_rows=3000)
    sampled = vocabulary_geometry(str(tiny_model_dir), store=None, loader=lambda *args: loaded, max_points=1000)
    assert sampled.result.n_used == 1000 and sampled.result.n_subsampled_out > 0
    assert sampled.dropped["left out by the sample"] == sampled.result.n_subsampled_out


def test_reserved_rows_by_name_and_by_the_tokenizer():
    tokens = ["<unused0>", "[unused7]", "<|reserved_special_token_3|>", "<extra_id_2>", " unused", "<s>", "word"]
    mask, placeholders, control = reserved_rows(tokens, special_ids=[0, 5])
    assert mask.tolist() == [True, True, True, True, False, True, False]
    assert (placeholders, control) == (4, 1)
