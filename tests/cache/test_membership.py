"""Corpus membership, key lookups and tables of the store (in-memory stores), and the v1 → v2 migration."""

import math

import numpy as np
import pytest

from cache import SCHEMA_VERSION, open_store
from cache.store import Membership


def _put(store, key, *, logits_id=float("nan"), kind="prompt_analysis", model="m1"):
    store.put(key, kind=kind, spec={"model_fingerprint": model, "settings": {"k": 1}, "max_tokens": 64},
              meta={"logits_id": logits_id, "mean_loss": 2.5, "model_name": "tiny"},
              arrays={"a": np.arange(3), "b": np.ones((2, 2), np.float32)},
              layer_values={"twonn_mle": (np.array([1, 2]), np.array([3.0, 4.0]))})


def test_membership_round_trip_and_replacement():
    store = open_store(":memory:")
    rows = [Membership("set", "p1", "k1", 0, "src:1"), Membership("set", "p2", "k2", 1, "src:2"),
            Membership("other", "p1", "k1", 0)]
    assert store.put_membership(rows) == 3
    store.put_membership([Membership("set", "p2", "k2", 1, "src:2", status="failed", message="too short")])
    assert store.corpus_names() == ["other", "set"]
    members = store.members("set")
    assert [(m.passage_id, m.key, m.status) for m in members] == [("p1", "k1", "done"), ("p2", "k2", "failed")]
    assert members[1].message == "too short"
    assert [m.key for m in store.members("set", status="done")] == ["k1"]
    assert len(store.members()) == 3
    with pytest.raises(ValueError, match="status"):
        store.put_membership([Membership("set", "p3", "k3", status="maybe")])


def test_present_reads_meta_fields_without_arrays_and_failed_lists_failures():
    store = open_store(":memory:")
    _put(store, "k1", logits_id=7.5)
    _put(store, "k2")
    store.put_membership([Membership("set", "p3", "k3", status="failed", message="S too large")])
    found = store.present(["k1", "k2", "k3"], meta_fields=("logits_id", "mean_loss", "missing"))
    assert set(found) == {"k1", "k2"}
    assert found["k1"]["logits_id"] == 7.5 and math.isnan(found["k2"]["logits_id"])
    assert found["k1"]["mean_loss"] == 2.5 and found["k1"]["missing"] is None and found["k1"]["created"] is not None
    assert store.present([]) == {}
    assert store.failed(["k1", "k3"]) == {"k3": "S too large"}
    with pytest.raises(ValueError, match="identifier"):
        store.present(["k1"], meta_fields=("a'; DROP TABLE results; --",))


def test_get_can_read_a_subset_of_arrays():
    store = open_store(":memory:")
    _put(store, "k1")
    assert set(store.get("k1", arrays=["a"]).arrays) == {"a"}
    assert set(store.get("k1").arrays) == {"a", "b"}


def test_result_and_layer_frames():
    store = open_store(":memory:")
    _put(store, "k1")
    _put(store, "k2")
    _put(store, "x", kind="derived")
    store.put_membership([Membership("set", "p1", "k1", 0), Membership("set", "p2", "k2", 1, status="failed")])
    everything = store.result_frame(kind="prompt_analysis", spec_fields=("model_fingerprint", "settings"),
                                    meta_fields=("model_name",))
    assert sorted(everything["key"]) == ["k1", "k2"]
    assert everything.loc[everything["key"] == "k2", "corpus"].isna().all()  # a failed membership is not "done"
    assert set(everything["spec_model_fingerprint"]) == {"m1"} and set(everything["meta_model_name"]) == {"tiny"}
    assert everything["spec_settings"].iloc[0].replace(" ", "") == '{"k":1}'
    in_set = store.result_frame(corpus="set")
    assert in_set[["passage_id", "key"]].values.tolist() == [["p1", "k1"]]
    values = store.layer_frame(["k1"])
    assert values[["layer", "name", "value"]].values.tolist() == [[1, "twonn_mle", 3.0], [2, "twonn_mle", 4.0]]
    assert len(store.layer_frame()) == 6


def test_a_version_1_store_is_migrated_and_the_migration_recorded(tmp_path):
    path = tmp_path / "old.duckdb"
    store = open_store(path)
    _put(store, "k1")
    store.connection.execute("DROP TABLE corpus_items")
    store.connection.execute("UPDATE meta SET value = '1' WHERE name = 'schema_version'")
    store.connection.execute("DELETE FROM meta WHERE name LIKE 'migrated_to_%'")
    store.close()
    with pytest.raises(Exception, match="schema version 1"):
        open_store(path, read_only=True)  # read-only opens never migrate
    store = open_store(path)
    assert store.schema_version() == SCHEMA_VERSION == 2
    assert store.get("k1") is not None and store.members() == []
    recorded = store.connection.execute("SELECT name FROM meta WHERE name LIKE 'migrated_to_%'").fetchall()
    assert recorded == [("migrated_to_2",)]


def test_open_store_waits_for_a_lock_to_be_released(tmp_path):
    import subprocess
    import sys
    import time

    path = tmp_path / "busy.duckdb"
    open_store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); "
                               "time.sleep(0.8); c.close(); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        store = open_store(path, wait_seconds=10)
        assert time.monotonic() - started < 8
        store.close()
    finally:
        holder.kill()
        holder.wait()
