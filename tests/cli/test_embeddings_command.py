"""``python -m cli embeddings``: the whole vocabulary, saved and served from the store; a stopped run
resumes; a store held by another process gets a one-line message."""

import subprocess
import sys
from pathlib import Path

import pipeline.vocabulary
from cache import open_store
from cli.main import main

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys
sys.path.insert(0, {root!r})
from cache import open_store
store = open_store({path!r})
print("ready", flush=True)
sys.stdin.read()
"""


def test_embeddings_are_measured_once_then_read_from_the_store(tiny_model_dir, isolated_store, capsys):
    args = ["embeddings", "--model", str(tiny_model_dir), "--store", str(isolated_store)]
    assert main(args) == 0
    first = capsys.readouterr()
    assert "ID: TwoNN" in first.out and "computed in" in first.out and "control tokens 3" in first.out
    assert main(args) == 0
    assert "from the store" in capsys.readouterr().out
    store = open_store(isolated_store, read_only=True)
    assert len(store.keys(kind=pipeline.vocabulary.EMBEDDING_KIND)) == 1
    store.close()


def test_a_stopped_run_says_how_to_resume(tiny_model_dir, isolated_store, capsys, monkeypatch):
    monkeypatch.setattr(pipeline.vocabulary, "BLOCK_ROWS", 300)
    calls = {"n": 0}
    search = pipeline.vocabulary.nearest_neighbors

    def interrupted_after_one_block(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return search(*args, **kwargs)

    monkeypatch.setattr(pipeline.vocabulary, "nearest_neighbors", interrupted_after_one_block)
    args = ["embeddings", "--model", str(tiny_model_dir), "--store", str(isolated_store)]
    assert main(args) == 130
    assert "1 more block(s) of rows are saved" in capsys.readouterr().err
    monkeypatch.setattr(pipeline.vocabulary, "nearest_neighbors", search)
    assert main(args) == 0


def test_a_held_store_is_reported_in_one_line(tiny_model_dir, isolated_store, capsys):
    open_store(isolated_store).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD.format(root=str(ROOT), path=str(isolated_store))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert main(["embeddings", "--model", str(tiny_model_dir), "--store", str(isolated_store)]) == 1
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Embeddings page" in err
