"""``python -m cli``: run / list / export / merge on the tiny model, exit codes, Ctrl-C and resume,
and sharing the store with a running dashboard (a subprocess that holds the main file)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import cli.run
from cache import open_store
from cache.shards import list_shards
from cli.main import main
from pipeline.corpus import CachedLoader
from tests.tiny_model import SAMPLE_PASSAGES

ROOT = Path(__file__).resolve().parents[2]
TEXTS = SAMPLE_PASSAGES


@pytest.fixture
def prompts_file(tmp_path):
    path = tmp_path / "four.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "text": text}) + "\n" for i, text in enumerate(TEXTS)))
    return path


@pytest.fixture
def run_args(tiny_model_dir, prompts_file, isolated_store):
    return ["run", "--model", str(tiny_model_dir), "--prompts", str(prompts_file), "--shuffle", "0,1",
            "--max-tokens", "128", "--device", "cpu", "--store", str(isolated_store)]


@pytest.fixture
def no_loading(monkeypatch):
    def refuse(device, threads):
        return CachedLoader(load=lambda *a, **k: pytest.fail("the model must not be loaded"))

    monkeypatch.setattr(cli.run, "make_loader", refuse)


def _rows(path):
    store = open_store(path, read_only=True)
    try:
        return {table: store.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("results", "corpus_items")} | {
            "distinct": store.connection.execute("SELECT count(DISTINCT key) FROM results").fetchone()[0]}
    finally:
        store.close()


def test_help_imports_nothing_heavy():
    # What makes --help instant is what it does not import (a wall-clock limit here would only
    # measure the machine's load; the start-up time is measured in bench/cold_start.py).
    heavy_modules = ("torch", "transformers", "pandas", "duckdb", "pipeline", "numpy", "scipy", "numba",
                     "sklearn", "streamlit", "umap")
    code = ("import sys; import cli.main; p = cli.main.build_parser(); p.format_help(); "
            f"print([m for m in {heavy_modules!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    help_text = subprocess.run([sys.executable, "-m", "cli", "run", "--help"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout
    assert "--shuffle" in help_text and "--max-tokens" in help_text


def test_run_then_rerun_skips_without_loading(run_args, isolated_store, capsys, monkeypatch):
    assert main(run_args + ["--shard-minutes", "0.00001"]) == 0  # a new shard, merged at once, for every prompt
    assert "Done: 8 computed" in capsys.readouterr().err
    assert _rows(isolated_store) == {"results": 8, "corpus_items": 8, "distinct": 8}
    assert list_shards(isolated_store) == []  # the store was free: the run's file was merged in
    monkeypatch.setattr(cli.run, "make_loader", lambda device, threads: CachedLoader(
        load=lambda *a, **k: pytest.fail("the model must not be loaded")))
    assert main(run_args) == 0
    assert "0 computed, 8 already in the store" in capsys.readouterr().err
    assert _rows(isolated_store)["results"] == 8


def test_list_and_export(run_args, isolated_store, tmp_path, capsys):
    assert main(run_args) == 0
    capsys.readouterr()
    assert main(["list", "--store", str(isolated_store)]) == 0
    listing = capsys.readouterr().out
    assert "four" in listing and "8 prompt analyses" in listing and "Models:" in listing
    for fmt, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        out = tmp_path / fmt
        assert main(["export", "--store", str(isolated_store), "--format", fmt, "--out", str(out),
                     "--corpus", "four"]) == 0
        prompts, layers = read(out / f"prompts.{fmt}"), read(out / f"layers.{fmt}")
        assert len(prompts) == 8 and set(prompts["passage_id"]) == {"p0", "p1", "p2", "p3"}
        assert prompts["logits_id"].notna().all() and {"mean_loss", "contextual_entropy"} <= set(prompts.columns)
        assert {"layer", "statistic", "value", "shuffle_index"} <= set(layers.columns)
        assert set(layers["key"]) == set(prompts["key"]) and "twonn_mle" in set(layers["statistic"])


@pytest.mark.parametrize("changes, message", [
    (["--model", "nobody/nothing"], "not in the local Hugging Face cache"),
    (["--model", "/no/such/folder"], "No model directory"),
    (["--prompts", "no-such-set"], "no bundled prompt set named 'no-such-set'"),
    (["--prompts", "missing.jsonl"], "no prompt file"),
    (["--shuffle", "0,x"], "comma-separated integers"),
    (["--seeds", "0"], "at least 1"),
    (["--device", "tpu"], "invalid choice"),
    # C09–C10 (issue 12, items 6–7): bounded before anything is planned
    (["--shuffle", "10000"], "a shuffle index above 12 means nothing"),
    (["--shuffle", "99999999999999"], "a shuffle index above 12 means nothing"),
    (["--shuffle", "0,9"], "already shuffles every token of a prompt of at most 128 tokens"),
    (["--seeds", "200000000"], "must be at most 1,000"),
    (["--shard-minutes", "nan"], "finite number > 0"),
    (["--shard-minutes", "inf"], "finite number > 0"),
])
def test_bad_input_exits_2_with_one_line(run_args, changes, message, capsys, no_loading):
    args = list(run_args)
    for flag, value in zip(changes[::2], changes[1::2]):
        args[args.index(flag) + 1 if flag in args else len(args):] = ([value] + args[args.index(flag) + 2:]
                                                                       if flag in args else [flag, value])
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_bad_prompt_file_exits_2(run_args, tmp_path, capsys, no_loading):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine text here with quite a few words in it to pass the minimum"}\nnot json\n')
    args = list(run_args)
    args[args.index("--prompts") + 1] = str(bad)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "line 2" in err and len(err.splitlines()) == 1


def test_export_of_an_unknown_corpus_and_no_command(isolated_store, tmp_path, capsys):
    open_store(isolated_store).close()
    assert main(["export", "--store", str(isolated_store), "--out", str(tmp_path / "x"), "--corpus", "nope"]) == 2
    assert "no corpus 'nope'" in capsys.readouterr().err
    assert main([]) == 2


def test_ctrl_c_stops_after_the_current_prompt_and_a_rerun_resumes(run_args, isolated_store, capsys, monkeypatch):
    class InterruptingBar(cli.run.ProgressBar):
        def __call__(self, report):
            super().__call__(report)
            if report.done == 2 and report.computed == 2:
                os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends

    monkeypatch.setattr(cli.run, "ProgressBar", InterruptingBar)
    assert main(run_args) == 130
    err = capsys.readouterr().err
    assert "Stopping after the current prompt" in err and "Run the same command again to resume" in err
    assert "2 of 8" in err and _rows(isolated_store)["results"] == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler was put back
    monkeypatch.setattr(cli.run, "ProgressBar", cli.run.ProgressBar.__mro__[1])
    assert main(run_args) == 0
    assert "6 computed, 2 already in the store" in capsys.readouterr().err
    assert _rows(isolated_store) == {"results": 8, "corpus_items": 8, "distinct": 8}


APP = """
import json, sys
sys.path.insert(0, {root!r})
from cache import open_store
from cache.shards import merge_shards
store = open_store({path!r})
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "merge":
        report = merge_shards(store)
        print(json.dumps({{"merged": len(report.merged), "busy": len(report.busy), "added": report.results_added,
                          "count": store.count()}}), flush=True)
"""


def test_the_cli_writes_to_a_shard_while_the_app_holds_the_store_and_merge_brings_every_row_once(
        run_args, isolated_store, capsys, monkeypatch):
    open_store(isolated_store).close()
    app = subprocess.Popen([sys.executable, "-c", APP.format(root=str(ROOT), path=str(isolated_store))],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout.readline().strip() == "ready"

        class StopAfterThree(cli.run.ProgressBar):
            def __call__(self, report):
                super().__call__(report)
                if report.done == 3:
                    os.kill(os.getpid(), signal.SIGINT)

        monkeypatch.setattr(cli.run, "ProgressBar", StopAfterThree)
        assert main(run_args) == 130  # interrupted while the app holds the store
        err = capsys.readouterr().err
        assert "open in another process" in err and "Refresh from CLI runs" in err
        assert len(list_shards(isolated_store)) == 1
        monkeypatch.setattr(cli.run, "ProgressBar", StopAfterThree.__mro__[1])
        assert main(run_args) == 0  # resumes from the unmerged shard: only the 5 missing ones are computed
        assert "5 computed, 3 already in the store" in capsys.readouterr().err
        app.stdin.write("merge\n")
        app.stdin.flush()
        merged = json.loads(app.stdout.readline())
        assert merged == {"merged": 2, "busy": 0, "added": 8, "count": 8}
        app.stdin.write("merge\n")
        app.stdin.flush()
        assert json.loads(app.stdout.readline()) == {"merged": 0, "busy": 0, "added": 0, "count": 8}
    finally:
        app.kill()
        app.wait()
    assert list_shards(isolated_store) == []
    assert _rows(isolated_store) == {"results": 8, "corpus_items": 8, "distinct": 8}
    assert main(["list", "--store", str(isolated_store)]) == 0


def test_list_says_when_the_store_is_held_by_another_process(isolated_store, capsys):
    open_store(isolated_store).close()
    holder = subprocess.Popen([sys.executable, "-c", APP.format(root=str(ROOT), path=str(isolated_store))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        assert main(["list", "--store", str(isolated_store)]) == 1
        assert "held by another process" in capsys.readouterr().err and time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("flag", ["--token-neighbors", "--token-neighbours"])
def test_both_spellings_of_the_token_neighbors_flag_ask_for_the_lists(flag):
    from cli.main import build_parser

    parsed = build_parser().parse_args(["run", "--model", "m", "--prompts", "p.jsonl", flag])
    assert parsed.token_neighbors is True
    assert build_parser().parse_args(["run", "--model", "m", "--prompts", "p.jsonl"]).token_neighbors is False


def test_list_counts_results_without_the_apps_bookkeeping(isolated_store, capsys):
    """Timings (for the app's estimates) and prompts kept for links are records, not results."""
    from cli.store_commands import BOOKKEEPING_KINDS
    from ui.estimates import KIND as TIMING_KIND
    from ui.url import PROMPT_KIND

    assert set(BOOKKEEPING_KINDS) == {TIMING_KIND, PROMPT_KIND}
    store = open_store(isolated_store)
    store.put("timing:a", kind=TIMING_KIND, spec={}, meta={}, arrays={})
    store.put("prompt:b", kind=PROMPT_KIND, spec={"prompt_sha256": "b"}, meta={"prompt": "x"}, arrays={})
    store.close()
    assert main(["list", "--store", str(isolated_store)]) == 0
    assert ": 0 results, 0 prompt analyses" in capsys.readouterr().out
