"""Shards: batch runs write their own files; merge_shards brings each row into the store exactly once."""

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from cache import open_store
from cache.shards import ShardWriter, list_shards, merge_shards, new_shard_path, shard_dir, shard_status
from cache.store import Membership


def _put(store, key, value=1.0):
    store.put(key, kind="prompt_analysis", spec={"key": key}, meta={"value": value, "logits_id": value},
              arrays={"a": np.full(3, value)}, layer_values={"s": (np.array([1, 2]), np.array([value, value]))})


def _counts(store):
    return {table: store.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("results", "arrays", "layer_values", "corpus_items")}


def _shard(main, keys, *, value=1.0, corpus="set"):
    path = new_shard_path(main)
    store = open_store(path)
    for index, key in enumerate(keys):
        _put(store, key, value)
        store.put_membership([Membership(corpus, f"p{index}", key, index)])
    store.close()
    return path


def test_merge_copies_every_row_once_and_deletes_the_shards(tmp_path):
    main_path = tmp_path / "results.duckdb"
    main = open_store(main_path)
    _put(main, "k0")
    first, second = _shard(main_path, ["k1", "k2"]), _shard(main_path, ["k2", "k3"])
    report = merge_shards(main)
    assert set(report.merged) == {first, second} and report.busy == () and report.skipped == ()
    assert _counts(main) == {"results": 4, "arrays": 4, "layer_values": 8, "corpus_items": 4}
    assert list_shards(main_path) == [] and "merged" in report.message.lower()
    assert merge_shards(main).merged == () and _counts(main)["results"] == 4
    np.testing.assert_array_equal(main.get("k3").arrays["a"], np.ones(3))


def test_a_newer_result_in_a_shard_replaces_the_stores_older_one(tmp_path):
    main_path = tmp_path / "results.duckdb"
    main = open_store(main_path)
    _put(main, "k1", value=1.0)
    time.sleep(0.01)
    _shard(main_path, ["k1"], value=2.0)
    assert merge_shards(main).results_added == 1
    assert main.get("k1").meta["value"] == 2.0 and _counts(main)["layer_values"] == 2
    _put(main, "k1", value=3.0)  # the store's result is now the newer one
    older = open_store(new_shard_path(main_path))
    older.connection.execute("BEGIN")
    _put_at = "INSERT INTO results VALUES ('k1', 'prompt_analysis', '{}', '{\"value\": 0.5}', 0, TIMESTAMP '2000-01-01')"
    older.connection.execute(_put_at)
    older.connection.execute("COMMIT")
    older.close()
    assert merge_shards(main).results_added == 0 and main.get("k1").meta["value"] == 3.0


def test_a_shard_being_written_is_left_alone_and_reported_busy(tmp_path):
    main_path = tmp_path / "results.duckdb"
    main = open_store(main_path)
    busy = _shard(main_path, ["k1"])
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(busy)!r}); print('ready', flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert shard_status(main_path).busy == (busy,)
        report = merge_shards(main)
        assert report.busy == (busy,) and report.merged == () and busy.exists()
        assert "still being written" in report.message
    finally:
        holder.kill()
        holder.wait()
    assert merge_shards(main).merged == (busy,) and main.count() == 1


def test_a_damaged_shard_is_moved_aside_with_its_log_not_deleted(tmp_path):
    main_path = tmp_path / "results.duckdb"
    main = open_store(main_path)
    broken = _shard(main_path, ["k1"])
    with open(broken, "r+b") as handle:
        handle.truncate(12288)  # DuckDB's headers stay: positively a DuckDB file, and damaged
    report = merge_shards(main)
    assert report.skipped and "moved to" in report.skipped[0][1] and not broken.exists()
    assert len(list(shard_dir(main_path).glob(f"{broken.name}.corrupt-*"))) == 1 and list_shards(main_path) == []


def test_a_shard_that_is_not_a_duckdb_file_is_left_in_place(tmp_path):
    main_path = tmp_path / "results.duckdb"
    main = open_store(main_path)
    shard_dir(main_path).mkdir()
    garbage = shard_dir(main_path) / "broken.duckdb"
    garbage.write_bytes(b"not a database" * 100)
    report = merge_shards(main)
    assert report.skipped and "left in place" in report.skipped[0][1]
    assert garbage.read_bytes() == b"not a database" * 100 and report.message.startswith("Not merged: broken.duckdb: cannot be read")


def test_merge_into_an_in_memory_store_from_explicit_shards(tmp_path):
    shard = _shard(tmp_path / "elsewhere.duckdb", ["k1", "k2"])
    store = open_store(":memory:")
    assert merge_shards(store, shards=[shard]).results_added == 2 and store.count() == 2


def test_shard_writer_reads_everywhere_rotates_and_merges_when_the_store_is_free(tmp_path):
    main_path = tmp_path / "results.duckdb"
    main = open_store(main_path)
    _put(main, "k_main", 5.0)
    main.close()
    leftover = _shard(main_path, ["k_left"])
    writer = ShardWriter(main_path, rotate_seconds=None)
    _put(writer.writer(), "k_new")
    found = writer.present(["k_main", "k_left", "k_new", "k_none"], meta_fields=("logits_id",))
    assert set(found) == {"k_main", "k_left", "k_new"} and found["k_main"]["logits_id"] == 5.0
    first = writer.shard_path
    report = writer.rotate()  # the store is free: the finished shard is merged at once
    assert first in report.merged and leftover in report.merged and not first.exists()
    writer.writer()
    assert writer.shard_path != first
    writer.put_membership([Membership("set", "p", "k_main", status="failed", message="no")])
    assert writer.failed(["k_main"]) == {"k_main": "no"}
    writer.close()
    assert writer.pending() == [] and list_shards(main_path) == []
    store = open_store(main_path, read_only=True)
    assert sorted(store.keys()) == ["k_left", "k_main", "k_new"] and len(store.members()) == 2
    store.close()


def test_an_empty_shard_is_removed_on_close(tmp_path):
    writer = ShardWriter(tmp_path / "results.duckdb")
    path = (writer.writer(), writer.shard_path)[1]
    writer.close(merge=False)
    assert not path.exists() and writer.pending() == []


def test_a_shard_left_by_a_killed_process_is_merged_from_its_log(tmp_path):
    main_path = tmp_path / "results.duckdb"
    shard = new_shard_path(main_path)
    shard.parent.mkdir(parents=True)
    code = ("import os, sys, numpy as np; sys.path.insert(0, {root!r}); from cache import open_store; "
            "s = open_store({path!r}); s.put('k1', kind='t', spec={{}}, meta={{}}, arrays={{'x': np.arange(3)}}); "
            "os._exit(0)").format(root=str(Path(__file__).resolve().parents[2]), path=str(shard))
    subprocess.run([sys.executable, "-c", code], check=True)  # exits without closing: results only in the WAL
    main = open_store(main_path)
    assert merge_shards(main).results_added == 1
    np.testing.assert_array_equal(main.get("k1").arrays["x"], np.arange(3))
    assert list_shards(main_path) == [] and not Path(f"{shard}.wal").exists()
