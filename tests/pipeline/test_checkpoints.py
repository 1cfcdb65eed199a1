"""A series of checkpoints made by training a tiny model: discovery, the measured series against
a direct computation on each checkpoint's weights, caching, extension and bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from transformers import AutoTokenizer

from cache import open_store
from geometry.embedding_id import embedding_matrix_id
from pipeline.checkpoints import (CheckpointError, checkpoints_from_folders, hub_checkpoints, measure_series,
                                  stored_series)
from tests.tiny_checkpoints import train_tiny_checkpoints

PROMPT = "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun. " * 2


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return train_tiny_checkpoints(tmp_path_factory.mktemp("trainer-output"), steps=6, save_every=2)


def _embedding_matrix(folder) -> np.ndarray:
    from safetensors.numpy import load_file

    weights = load_file(str(folder / "model.safetensors"))
    return weights["model.embed_tokens.weight"]


def test_a_trainer_output_folder_lists_its_checkpoints_by_step(run_dir):
    checkpoints = checkpoints_from_folders([run_dir])
    assert [c.step for c in checkpoints] == [2, 4, 6]
    assert [c.label for c in checkpoints] == ["checkpoint-2", "checkpoint-4", "checkpoint-6"]
    # a list of checkpoint folders, in any order, gives the same series
    folders = [run_dir / "checkpoint-6", run_dir / "checkpoint-2"]
    assert [c.step for c in checkpoints_from_folders(folders)] == [2, 6]


def test_the_series_matches_the_estimator_on_each_checkpoints_weights_and_is_cached(run_dir, tmp_path):
    store = open_store(tmp_path / "store.duckdb")
    checkpoints = checkpoints_from_folders([run_dir])
    series = measure_series("tiny", checkpoints, store=store, prompt=PROMPT)
    assert [p.step for p in series.points] == [2, 4, 6] and not series.missing
    assert len({p.fingerprint for p in series.points}) == 3  # the weights differ, so do the cache keys
    for point, checkpoint in zip(series.points, checkpoints):
        matrix = _embedding_matrix(run_dir / checkpoint.label)
        special = np.zeros(matrix.shape[0], dtype=bool)  # <unk>, <s>, </s>: reserved rows, left out
        special[AutoTokenizer.from_pretrained(run_dir / checkpoint.label).all_special_ids] = True
        direct = embedding_matrix_id(matrix, exclude=special)
        assert point.embedding.id_twonn == pytest.approx(direct.id_twonn, rel=1e-9)
        assert point.embedding.id_twonn_mle == pytest.approx(direct.id_twonn_mle, rel=1e-9)
        assert point.embedding.redundancy == pytest.approx(1 - direct.id_twonn / 32)
        assert point.layer_id.shape == (4,) and np.isfinite(point.layer_id).all()
        assert point.peak_id == pytest.approx(point.layer_id.max())
        assert point.peak_layer == int(np.argmax(point.layer_id)) + 1
    # the embedding matrix changed along training, so its ID is not the same number three times
    assert len({round(p.embedding.id_twonn, 6) for p in series.points}) == 3
    # read back from the store only: the same numbers, and the series remembers its checkpoints and prompt
    again = measure_series("tiny", checkpoints, store=store, prompt=PROMPT, only_cached=True)
    assert [p.embedding for p in again.points] == [p.embedding for p in series.points]
    np.testing.assert_array_equal(again.points[1].layer_id, series.points[1].layer_id)
    stored = stored_series(store)
    assert [c.step for c in stored["tiny"]["checkpoints"]] == [2, 4, 6]
    assert stored["tiny"]["prompts"] == [PROMPT]


def test_a_series_is_extended_with_new_checkpoints_and_reports_unmeasured_ones(run_dir, tmp_path):
    store = open_store(tmp_path / "store.duckdb")
    first, *rest = checkpoints_from_folders([run_dir])
    measure_series("tiny", [first], store=store)
    cached_only = measure_series("tiny", [first, *rest], store=store, only_cached=True)
    assert [p.step for p in cached_only.points] == [2]
    assert cached_only.missing == ("checkpoint-4: not in the store yet", "checkpoint-6: not in the store yet")
    measure_series("tiny", rest, store=store)
    assert [c.step for c in stored_series(store)["tiny"]["checkpoints"]] == [2, 4, 6]


def test_unusable_folders_are_refused_with_a_reason(run_dir, tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint-<step> folders"):
        checkpoints_from_folders([tmp_path])
    renamed = tmp_path / "final-model"
    shutil.copytree(run_dir / "checkpoint-2", renamed)
    with pytest.raises(CheckpointError, match="cannot tell the training step"):
        checkpoints_from_folders([renamed])
    no_tokenizer = tmp_path / "run" / "checkpoint-9"
    shutil.copytree(run_dir / "checkpoint-2", no_tokenizer)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (no_tokenizer / name).unlink()
    with pytest.raises(CheckpointError, match="no tokenizer files"):
        checkpoints_from_folders([tmp_path / "run"])
    with pytest.raises(CheckpointError, match="appears twice"):
        checkpoints_from_folders([run_dir, run_dir / "checkpoint-4"])


def test_hub_revisions_come_from_the_local_cache_only(run_dir, tmp_path, monkeypatch):
    """A Pythia-like cache entry (branches step2, step4) built by hand; nothing is downloaded."""
    import huggingface_hub.constants as constants

    cache = tmp_path / "hub"
    repo = cache / "models--org--pythia-tiny"
    for step, commit in ((2, "a" * 40), (4, "b" * 40)):
        shutil.copytree(run_dir / f"checkpoint-{step}", repo / "snapshots" / commit)
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / f"step{step}").write_text(commit)
    (repo / "blobs").mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    found = hub_checkpoints("org/pythia-tiny", revisions=["step4", "step2"])
    assert [(c.step, c.label) for c in found] == [(2, "org/pythia-tiny@step2"), (4, "org/pythia-tiny@step4")]
    assert found[1].location.endswith("b" * 40)
    assert [c.step for c in hub_checkpoints("org/pythia-tiny")] == [2, 4]  # every cached step<N> branch
    with pytest.raises(CheckpointError, match="not in the local Hugging Face cache"):
        hub_checkpoints("org/pythia-tiny", revisions=["step8"])
