import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

from cache import SCHEMA_VERSION, StoreLockedError, StoreRefusedError, open_store, spec_key


def _put(store, key="k1", value=1.0):
    store.put(key, kind="test", spec={"a": 1}, meta={"tokens": ["x", "y"], "value": value},
              arrays={"ids": np.arange(5), "grid": np.eye(3, dtype=np.float32)},
              layer_values={"twonn": (np.array([1, 2]), np.array([3.5, 4.5]))}, seconds=1.5)


def test_round_trip_in_memory():
    store = open_store(":memory:")
    assert store.schema_version() == SCHEMA_VERSION
    _put(store)
    got = store.get("k1")
    assert got.meta == {"tokens": ["x", "y"], "value": 1.0}
    np.testing.assert_array_equal(got.arrays["ids"], np.arange(5))
    assert got.arrays["grid"].dtype == np.float32
    assert got.seconds == 1.5 and store.get("missing") is None
    rows = store.connection.execute("SELECT layer, value FROM layer_values WHERE name = 'twonn' ORDER BY layer").fetchall()
    assert rows == [(1, 3.5), (2, 4.5)]


def test_put_twice_replaces_instead_of_duplicating(tmp_path):
    store = open_store(tmp_path / "s.duckdb")
    _put(store, value=1.0)
    _put(store, value=2.0)
    assert store.count() == 1 and store.get("k1").meta["value"] == 2.0
    assert store.connection.execute("SELECT count(*) FROM layer_values").fetchone()[0] == 2


def test_results_survive_reopening(tmp_path):
    path = tmp_path / "s.duckdb"
    store = open_store(path)
    _put(store)
    store.close()
    assert open_store(path).get("k1").meta["value"] == 1.0


def test_failed_write_leaves_nothing_behind():
    store = open_store(":memory:")

    class Unsavable:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.put("k2", kind="test", spec={}, meta={}, arrays={"bad": Unsavable()})
    assert store.get("k2") is None and store.count() == 0


def test_a_file_locked_by_another_process_raises_a_named_error(tmp_path):
    path = tmp_path / "locked.duckdb"
    open_store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match="another process"):
            open_store(path)
    finally:
        holder.kill()


def test_a_garbage_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "garbage.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreRefusedError, match="not a DuckDB database"):
        open_store(path)
    assert path.read_bytes() == b"this is not a database" * 100 and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_spec_key_changes_with_every_field():
    @dataclass(frozen=True)
    class Spec:
        model: str
        k: int

    assert spec_key(Spec("a", 1)) == spec_key(Spec("a", 1))
    assert len({spec_key(Spec("a", 1)), spec_key(Spec("a", 2)), spec_key(Spec("b", 1))}) == 3


def test_lookup_meta_by_spec_prefix():
    store = open_store(":memory:")
    store.put("a", kind="analysis", spec={"prompt_sha256": "abcdef123"}, meta={"prompt": "hello"}, arrays={})
    store.put("b", kind="other", spec={"prompt_sha256": "abcdef999"}, meta={"prompt": "other kind"}, arrays={})
    assert store.lookup_meta(kind="analysis", spec_field="prompt_sha256", prefix="abcdef", meta_field="prompt") == "hello"
    assert store.lookup_meta(kind="analysis", spec_field="prompt_sha256", prefix="zzz", meta_field="prompt") is None


def test_threads_opening_a_new_store_at_once_all_get_it(tmp_path):
    """Connections of one process share DuckDB's database instance: two threads creating the same
    new store raced on the first ``meta`` rows (a primary-key conflict surfaced as a refusal)."""
    import threading

    for attempt in range(20):
        path = tmp_path / f"race-{attempt}.duckdb"
        barrier, errors, stores = threading.Barrier(4), [], []

        def open_it():
            barrier.wait()
            try:
                stores.append(open_store(path))
            except Exception as error:  # asserted below
                errors.append(error)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert {store.schema_version() for store in stores} == {SCHEMA_VERSION}
        for store in stores:
            store.close()
