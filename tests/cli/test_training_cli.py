"""``python -m cli checkpoints`` and ``python -m cli lora-sweep`` on the tiny model: results in the
store, resume, and one-line errors for bad input (exit code 2)."""

from __future__ import annotations

import pytest

from cache import open_store
from cli.main import main
from pipeline.checkpoints import stored_series
from pipeline.lora_sweep import stored_sweeps
from tests.tiny_checkpoints import train_tiny_checkpoints

PROMPT = "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun. " * 2


def test_checkpoints_command_measures_and_records_the_series(tmp_path, isolated_store, capsys):
    run_dir = train_tiny_checkpoints(tmp_path / "out", steps=4, save_every=2)
    assert main(["checkpoints", str(run_dir), "--prompt", PROMPT, "--name", "tiny", "--store", str(isolated_store)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in printed] == [["step", "2"], ["step", "4"]]
    assert all("peak layer" in line for line in printed)
    store = open_store(isolated_store)
    assert [c.step for c in stored_series(store)["tiny"]["checkpoints"]] == [2, 4]


def test_lora_sweep_command_stores_each_rank_and_resumes(tiny_model_dir, isolated_store, capsys):
    args = ["lora-sweep", "--model", str(tiny_model_dir), "--ranks", "1,2", "--steps", "2", "--block-tokens", "16",
            "--train-blocks", "8", "--heldout-blocks", "4", "--batch-size", "2", "--device", "cpu",
            "--store", str(isolated_store)]
    assert main(args) == 0
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["0", "1", "2"]
    assert main(args) == 0  # everything is stored: nothing is trained again
    captured = capsys.readouterr()
    assert captured.out == "" and "0 rank(s) computed, 3 already stored" in captured.err
    assert [row["rank"] for row in stored_sweeps(open_store(isolated_store))] == [0, 1, 2]


@pytest.mark.parametrize("args, message", [
    (["lora-sweep", "--ranks", "0,2"], "ranks must be integers >= 1"),
    (["lora-sweep", "--steps", "0"], "must be at least 1"),
    (["checkpoints"], "give a folder of checkpoint-<step> folders"),
    (["checkpoints", "/no/such/folder"], "is not a folder"),
])
def test_bad_arguments_are_one_line_errors(args, message, capsys):
    assert main(args) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
