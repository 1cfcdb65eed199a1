"""Corpus runs on a local Ray cluster (``ray.init(num_cpus=2)``, started once for this module, in a
temporary folder removed afterwards) with the tiny model: a Ray run stores exactly what a
sequential run stores; a worker that dies is retried and its units are stored once; a run stopped
(first Ctrl-C) or interrupted (second Ctrl-C) and resumed redoes only the missing units; two
drivers running the same corpus at once store each result once.

Every run uses one torch thread, in the workers and in the sequential run, so the numbers are
bit-identical and can be compared value for value."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import ray

from cache import merge_shards, open_store
from cache.shards import ShardWriter, list_shards
from cli.main import main
from pipeline.corpus import CorpusConfig, plan_corpus, run_corpus
from pipeline.ray_executor import RayExecutor, run_group
from prompts import read_prompt_file
from tests.cli.test_cli import APP, ROOT  # a process that holds the store, as the dashboard does
from tests.tiny_model import SAMPLE_PASSAGES


@pytest.fixture(scope="module")
def cluster():
    temp = tempfile.mkdtemp(prefix="ray-tests-")  # Ray's session files: ours alone, removed below
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
             _temp_dir=temp)
    try:
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def prompts_file(tmp_path):
    path = tmp_path / "four.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "text": t}) + "\n" for i, t in enumerate(SAMPLE_PASSAGES)))
    return path


@pytest.fixture
def plan(tiny_model_dir, prompts_file):
    config = CorpusConfig(model=str(tiny_model_dir), max_tokens=64)
    return config, plan_corpus(read_prompt_file(prompts_file), config, shuffles=[0], seeds=1)


def _executor(**options) -> RayExecutor:
    return RayExecutor(device="cpu", threads=1, **({"units_per_task": 1} | options))


def _tables(path: Path) -> dict[str, list]:
    store = open_store(path, read_only=True)
    try:
        query = store.connection.execute
        return {"layer_values": query("SELECT key, layer, name, value FROM layer_values ORDER BY ALL").fetchall(),
                "arrays": query("SELECT key, name, md5(data::VARCHAR) FROM arrays ORDER BY ALL").fetchall(),
                "results": query("SELECT key, kind, spec FROM results ORDER BY ALL").fetchall(),
                "members": query("SELECT corpus, passage_id, key, position, source, status FROM corpus_items "
                                 "ORDER BY ALL").fetchall()}
    finally:
        store.close()


def _counts(path: Path) -> tuple[int, int, int]:
    """(result rows, distinct result keys, membership rows) of the main store."""
    store = open_store(path, read_only=True)
    try:
        rows, keys = store.connection.execute("SELECT count(*), count(DISTINCT key) FROM results").fetchone()
        return rows, keys, store.connection.execute("SELECT count(*) FROM corpus_items").fetchone()[0]
    finally:
        store.close()


def test_a_ray_run_equals_a_sequential_run(cluster, tiny_model_dir, prompts_file, tmp_path, capsys):
    base = ["run", "--model", str(tiny_model_dir), "--prompts", str(prompts_file), "--shuffle", "0,1",
            "--max-tokens", "64", "--device", "cpu", "--threads", "1"]
    sequential, distributed = tmp_path / "sequential.duckdb", tmp_path / "ray.duckdb"
    assert main(base + ["--store", str(sequential)]) == 0
    assert main(base + ["--store", str(distributed), "--executor", "ray", "--units-per-task", "3"]) == 0
    err = capsys.readouterr().err
    assert "Ray: 3 task(s) of up to 3 prompts" in err and "Done: 8 computed" in err
    assert list_shards(distributed) == []  # every task's file came back, was merged and removed
    expected, found = _tables(sequential), _tables(distributed)
    assert len(found["results"]) == 8 and len(found["members"]) == 8 and len(found["layer_values"]) > 8 * 4
    for table in expected:
        assert found[table] == expected[table], table


def test_a_task_the_cluster_cannot_run_is_refused_in_one_line(cluster, tiny_model_dir, prompts_file, tmp_path,
                                                               capsys):
    code = main(["run", "--model", str(tiny_model_dir), "--prompts", str(prompts_file), "--device", "cpu",
                 "--store", str(tmp_path / "store.duckdb"), "--executor", "ray", "--gpus-per-task", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1] == ("error: a task asks for 1 GPU(s) (--gpus-per-task) but the Ray cluster has 0 "
                                     "in all; ask for less or add nodes.")


def test_while_the_app_holds_the_store_the_shards_wait_and_the_cli_says_where(cluster, tiny_model_dir, prompts_file,
                                                                             isolated_store, capsys):
    open_store(isolated_store).close()
    app = subprocess.Popen([sys.executable, "-c", APP.format(root=str(ROOT), path=str(isolated_store))],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout.readline().strip() == "ready"
        assert main(["run", "--model", str(tiny_model_dir), "--prompts", str(prompts_file), "--max-tokens", "64",
                     "--device", "cpu", "--store", str(isolated_store), "--executor", "ray",
                     "--units-per-task", "2"]) == 0
        err = capsys.readouterr().err
        assert "Done: 4 computed" in err and "Results wait in 2 file(s)" in err, err
        app.stdin.write("merge\n")
        app.stdin.flush()
        assert json.loads(app.stdout.readline()) == {"merged": 2, "busy": 0, "added": 4, "count": 4}
    finally:
        app.kill()
        app.wait()
    assert list_shards(isolated_store) == []


def crash_once(units, config, **options):
    """A task whose first attempt (in this test) dies after writing its shard: Ray retries it."""
    outcome = run_group(units, config, **options)
    try:
        descriptor = os.open(options["store_path"] + ".crashed", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return outcome
    os.write(descriptor, outcome.shard_path.encode())
    os.close(descriptor)
    os._exit(1)  # the worker process dies, as on a lost node or an out-of-memory kill


def test_a_dead_worker_is_retried_and_its_units_stored_once(cluster, plan, isolated_store):
    config, units = plan
    writer = ShardWriter(isolated_store)
    summary = run_corpus(units, config, sink=writer,
                         executor=_executor(units_per_task=2, shards="shared", task=crash_once, max_retries=2))
    writer.close()
    crashed = Path(f"{isolated_store}.crashed")
    assert crashed.is_file(), "no worker died: the test did not test anything"
    dead_attempts_shard = Path(crashed.read_text())
    assert dead_attempts_shard.parent == Path(f"{isolated_store}.shards")
    assert not dead_attempts_shard.exists()  # its results were merged too (then the file was removed)
    assert (summary.computed, summary.failed, summary.stopped) == (4, 0, False)  # each unit reported once
    assert _counts(isolated_store) == (4, 4, 4)  # computed twice, stored once
    assert list_shards(isolated_store) == []


def test_the_drivers_own_open_shard_is_closed_before_a_merge(cluster, plan, isolated_store):
    config, units = plan
    writer = ShardWriter(isolated_store)
    writer.put_membership([units[0].membership(status="failed", message="recorded earlier")])  # opens its shard
    summary = run_corpus(units[1:3], config, sink=writer, executor=_executor(units_per_task=1))
    writer.close()
    assert summary.computed == 2
    assert list(Path(f"{isolated_store}.shards").iterdir()) == []  # nothing left over, nothing moved aside
    assert _counts(isolated_store) == (2, 2, 3)


def test_stopped_and_interrupted_runs_resume_with_only_the_missing_units(cluster, tiny_model_dir, prompts_file,
                                                                         isolated_store):
    config = CorpusConfig(model=str(tiny_model_dir), max_tokens=64)
    units = plan_corpus(read_prompt_file(prompts_file), config, shuffles=[0, 1], seeds=1)
    stored: set[str] = set()

    def run(**options) -> tuple[object, list[str]]:
        reported: list[str] = []

        def progress(report):
            if report.current is not None:
                reported.append(report.current.unit.key)
                if options.get("interrupt"):
                    raise KeyboardInterrupt  # the second Ctrl-C, raised in the middle of the run
        writer = ShardWriter(isolated_store)
        try:
            summary = run_corpus(units, config, sink=writer, executor=_executor(), progress=progress,
                                 should_stop=lambda: bool(options.get("stop") and reported))
        finally:
            writer.close()
        return summary, reported

    summary, first = run(stop=True)  # first Ctrl-C after the first result: the running task finishes
    assert summary.stopped and 1 <= summary.computed < len(units) and len(first) == summary.computed
    stored |= set(first)
    with pytest.raises(KeyboardInterrupt):
        run(interrupt=True)  # the tasks still running are cancelled; what was reported is stored
    second = _stored_keys(isolated_store) - stored
    assert len(second) >= 1 and not second & set(first)
    stored |= second
    summary, third = run()
    assert not summary.stopped and summary.skipped == len(stored)
    assert set(third) == {u.key for u in units} - stored and len(third) == len(set(third))  # only the missing ones
    assert _counts(isolated_store) == (8, 8, 8)


def _stored_keys(path: Path) -> set[str]:
    store = open_store(path, read_only=True)
    try:
        return set(store.keys())
    finally:
        store.close()


def test_two_drivers_on_one_corpus_store_each_result_once(cluster, plan, isolated_store):
    config, units = plan
    barrier, errors, summaries = threading.Barrier(2), [], []

    def driver() -> None:
        writer = ShardWriter(isolated_store)
        try:
            barrier.wait(timeout=60)  # both plan before either has stored anything
            summaries.append(run_corpus(units, config, sink=writer, executor=_executor(units_per_task=2)))
        except BaseException as error:  # asserted below
            errors.append(error)
        finally:
            writer.close()

    threads = [threading.Thread(target=driver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert len(summaries) == 2 and sum(s.computed + s.skipped for s in summaries) == 2 * len(units)
    store = open_store(isolated_store)
    try:
        merge_shards(store)  # anything a driver could not merge while the other held the store
    finally:
        store.close()
    assert list_shards(isolated_store) == []
    assert _counts(isolated_store) == (4, 4, 4)
