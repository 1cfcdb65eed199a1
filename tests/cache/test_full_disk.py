"""A full disk loses nothing and hides no error (issue 12, item 7).

The disk is "full" for a child process whose file-size limit (RLIMIT_FSIZE) is lowered: Python
ignores SIGXFSZ, so every write past the limit fails with EFBIG ("File too large"), as on a full disk.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np

from cache import open_store
from cache.shards import list_shards, merge_shards, new_shard_path
from tests.unprivileged import ROOT


def _child(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def _put(store, key):
    store.put(key, kind="t", spec={"k": key}, meta={}, arrays={"a": np.random.default_rng(0).random(20_000)},
              layer_values={"v": (np.arange(30), np.ones(30))})


def test_F01_a_write_on_a_full_disk_reports_the_io_error_and_keeps_what_was_committed(tmp_path):
    path = tmp_path / "results.duckdb"
    child = _child(f"""
        import resource, numpy as np
        from cache import open_store, StoreError
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, resource.RLIM_INFINITY))
        store = open_store({str(path)!r})
        saved = 0
        try:
            for i in range(100):
                store.put(f"k{{i}}", kind="t", spec={{}}, meta={{}}, arrays={{"a": np.random.rand(20_000)}})
                saved += 1
        except StoreError as error:
            print(saved, error)
    """)
    saved, message = child.stdout.split(" ", 1)
    assert "File too large" in message and "rollback" not in message, child.stdout + child.stderr
    assert 0 < int(saved) < 100 and open_store(path).count() == int(saved)


def test_F01_a_merge_on_a_full_disk_keeps_the_shards_and_says_why(tmp_path):
    path = tmp_path / "results.duckdb"
    open_store(path).close()
    for index in range(3):
        shard = open_store(new_shard_path(path))
        _put(shard, f"k{index}")
        shard.close()
    child = _child(f"""
        import resource
        from cache import open_store
        from cache.shards import merge_shards
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.RLIM_INFINITY))
        store = open_store({str(path)!r})
        print(merge_shards(store).message)
    """)
    message = child.stdout.strip()
    assert "File too large" in message and "rollback" not in message, child.stdout + child.stderr
    assert message.startswith(("Merged", "Not merged")) and "TransactionContext Error" in message  # case kept
    assert len(list_shards(path)) >= 1
    report = merge_shards(open_store(path))  # space again: everything arrives, nothing was lost
    assert open_store(path, read_only=True).count() == 3 and list_shards(path) == [] and not report.skipped
