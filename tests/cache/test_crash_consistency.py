"""A process killed in the middle of writing leaves a consistent store (whole results or none)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np

from cache import open_store

WRITER = textwrap.dedent("""
    import sys, numpy as np
    from cache import open_store
    store = open_store(sys.argv[1])
    print("ready", flush=True)
    for i in range(10_000):
        arrays = {f"a{j}": np.full((200, 200), i, dtype=np.float64) for j in range(5)}
        store.put(f"key-{i}", kind="test", spec={"i": i}, meta={"i": i}, arrays=arrays,
                  layer_values={"v": (np.arange(30), np.full(30, float(i)))})
""")


def test_sigkill_during_writes_leaves_whole_results_only(tmp_path):
    path = tmp_path / "crash.duckdb"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True, cwd=root,
                              env={**os.environ, "PYTHONPATH": root})
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(2.0)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    store = open_store(path)
    keys = store.keys(kind="test")
    assert keys, "some results were committed before the kill"
    connection = store.connection
    orphans = connection.execute("SELECT count(*) FROM arrays WHERE key NOT IN (SELECT key FROM results)").fetchone()[0]
    assert orphans == 0
    for key in keys:
        record = store.get(key)
        assert sorted(record.arrays) == [f"a{j}" for j in range(5)]
        assert all(np.all(array == record.meta["i"]) for array in record.arrays.values())
    per_key = connection.execute("SELECT key, count(*) FROM layer_values GROUP BY key").fetchall()
    assert {key for key, _ in per_key} == set(keys) and all(count == 30 for _, count in per_key)
