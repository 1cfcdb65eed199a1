"""The CLI never loses a store's results (issue 12, items 1, 6 and 7): a read-only store is read,
not replaced; a full disk names its IO error; oversized plans are refused before planning."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest

import cli.run
from cache import open_store
from cache.shards import list_shards
from cli.main import main
from tests.tiny_model import SAMPLE_PASSAGES
from tests.unprivileged import ROOT, run_unprivileged


@pytest.fixture
def prompts_file(tmp_path):
    path = tmp_path / "four.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "text": text}) + "\n" for i, text in enumerate(SAMPLE_PASSAGES)))
    return path


def _run_args(model, prompts, store, *extra):
    return ["run", "--model", str(model), "--prompts", str(prompts), "--max-tokens", "128", "--device", "cpu",
            "--store", str(store), *extra]


def test_C11_run_against_a_read_only_store_reads_it_and_recomputes_nothing(tiny_model_dir, prompts_file, tmp_path,
                                                                             capsys):
    store = tmp_path / "results.duckdb"
    assert main(_run_args(tiny_model_dir, prompts_file, store, "--shuffle", "0")) == 0
    capsys.readouterr()
    store.chmod(0o444)
    child = run_unprivileged([sys.executable, "-m", "cli", *_run_args(tiny_model_dir, prompts_file, store,
                                                                       "--shuffle", "0")])
    assert child.returncode == 0, child.stderr[-2000:]
    assert "0 computed, 4 already in the store" in child.stderr and "read-only" in child.stderr
    assert not list(tmp_path.glob("*.corrupt-*")) and open_store(store, read_only=True).count() == 4


def test_C10_a_run_on_a_full_disk_names_the_io_error_and_loses_nothing(tiny_model_dir, prompts_file, tmp_path, capsys):
    """The disk is "full" through a lowered file-size limit (RLIMIT_FSIZE) while the run goes on:
    Python ignores SIGXFSZ, so every write past 40 kB fails with EFBIG, as on a full disk."""
    store = tmp_path / "results.duckdb"
    args = _run_args(tiny_model_dir, prompts_file, store, "--shuffle", "0", "--limit", "3", "--shard-minutes", "0.00001")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, hard))
    try:
        code = main(args)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    err = capsys.readouterr().err
    assert "File too large" in err, err[-2000:]
    assert "until the dashboard merges them" not in err and "rollback" not in err and code in (0, 1)
    assert main(["merge", "--store", str(store)]) == 0  # room again: every finished result arrives
    assert open_store(store, read_only=True).count() == 3 and list_shards(store) == []


def test_C09_a_plan_too_large_for_memory_is_refused_before_planning(tiny_model_dir, prompts_file, tmp_path,
                                                                      monkeypatch, capsys):
    monkeypatch.setattr(cli.run, "MAX_ANALYSES", 10)
    monkeypatch.setattr("pipeline.corpus.plan_corpus", lambda *a, **k: pytest.fail("nothing may be planned"))
    assert main(_run_args(tiny_model_dir, prompts_file, tmp_path / "s.duckdb", "--shuffle", "0,1", "--seeds", "3")) == 2
    assert "4 passages × 4 shuffles and seeds = 16 analyses" in capsys.readouterr().err
