"""The store never destroys data (issue 12, items 1–3): what is opened, what is refused, what is
moved aside. Permissions are tested in a child process without root's file-permission override
(tests/unprivileged.py), since CI runs as root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pytest

from cache import StoreCorruptError, StoreReadOnlyError, StoreRefusedError, open_store
from cache.shards import merge_shards, shard_dir
from tests.unprivileged import ROOT, python_unprivileged, run_unprivileged


def _put(store, key, value=1.0):
    store.put(key, kind="test", spec={"k": key}, meta={"value": value}, arrays={"a": np.full(3, value)},
              layer_values={"s": (np.array([1, 2]), np.array([value, value]))})


def _write_and_die(path: Path, n: int) -> None:
    """A writer stores ``n`` results and exits without closing (as after kill -9): they sit in the WAL."""
    code = textwrap.dedent(f"""
        import os, numpy as np
        from cache import open_store
        store = open_store({str(path)!r})
        for i in range({n}):
            store.put(f"k{{i}}", kind="test", spec={{}}, meta={{}}, arrays={{"a": np.arange(3)}})
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _untouched(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def damage(path: Path) -> None:
    """Keep DuckDB's headers (so the file is positively DuckDB) and cut off everything after them."""
    with open(path, "r+b") as handle:
        handle.truncate(12288)


# Item 1: a store that cannot be opened for writing --------------------------------------------------

def test_S01_a_read_only_store_with_a_wal_is_opened_read_only_not_moved(tmp_path):
    path = tmp_path / "results.duckdb"
    _write_and_die(path, 5)
    assert Path(f"{path}.wal").exists(), "the results must sit in the write-ahead log for this test"
    path.chmod(0o444)
    before = _untouched(tmp_path)
    code = (f"from cache import open_store; s = open_store({str(path)!r}); "
            "print(s.read_only, s.count(), '|'.join(s.notices))")
    child = python_unprivileged(code)
    assert child.returncode == 0, child.stderr
    read_only, count, notice = child.stdout.strip().split(" ", 2)
    assert (read_only, count) == ("True", "5") and "read-only" in notice
    assert _untouched(tmp_path) == before, "nothing may be moved, renamed or deleted"
    path.chmod(0o644)
    assert open_store(path).count() == 5


def test_S01_cli_merge_into_a_read_only_store_fails_and_loses_nothing(tmp_path):
    path = tmp_path / "results.duckdb"
    _write_and_die(path, 5)
    shard = shard_dir(path) / "finished.duckdb"
    shard.parent.mkdir()
    store = open_store(shard)
    _put(store, "from-shard")
    store.close()
    path.chmod(0o444)
    before = _untouched(tmp_path)
    child = run_unprivileged([sys.executable, "-m", "cli", "merge", "--store", str(path)])
    assert child.returncode == 1, child.stdout + child.stderr
    assert "read-only" in child.stderr and "Traceback" not in child.stderr
    assert "Nothing to merge" not in child.stdout
    assert _untouched(tmp_path) == before and shard.exists()
    path.chmod(0o644)
    assert open_store(path).count() == 5


def test_S01_a_read_only_store_rejects_writes_with_a_named_error(tmp_path):
    path = tmp_path / "results.duckdb"
    _put(open_store(path), "k")
    store = open_store(path, read_only=True)
    with pytest.raises(StoreReadOnlyError):
        _put(store, "other")
    with pytest.raises(StoreReadOnlyError):
        merge_shards(store)


def test_S01_a_store_in_a_read_only_folder_is_opened_read_only(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "results.duckdb"
    store = open_store(path)
    _put(store, "k")
    store.close()
    folder.chmod(0o555)
    try:
        child = python_unprivileged(f"from cache import open_store; s = open_store({str(path)!r}); "
                                    "print(s.read_only, s.count())")
    finally:
        folder.chmod(0o755)
    assert child.stdout.split() == ["True", "1"], child.stderr


def test_S01_an_unreadable_store_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "results.duckdb"
    _put(open_store(path), "k")
    path.chmod(0o000)
    before = _untouched(tmp_path)
    child = python_unprivileged(
        f"from cache import open_store, StoreRefusedError\ntry:\n    open_store({str(path)!r})\n"
        "except StoreRefusedError as e:\n    print('refused', e)")
    assert child.stdout.startswith("refused") and "cannot be read" in child.stdout, child.stderr
    assert _untouched(tmp_path) == before


# Item 2: any path given as the store ------------------------------------------------------------------

def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("what", ["text file", "empty file", "folder", "character device", "dangling symlink", "fifo"])
def test_S02_anything_but_a_duckdb_file_is_refused_and_left_untouched(tmp_path, what):
    path = tmp_path / "notes.txt"
    if what == "text file":
        path.write_text("my notes\n" * 100)
    elif what == "empty file":
        path = tmp_path / "results.duckdb"
        path.write_bytes(b"")
    elif what == "folder":
        path.mkdir()
        (path / "inside.txt").write_text("kept")
    elif what == "character device":
        path = Path("/dev/null")
    elif what == "dangling symlink":
        path.symlink_to(tmp_path / "nowhere")
    else:
        _fifo(path)
    before = _untouched(tmp_path)
    content = path.read_bytes() if what in ("text file", "empty file") else None
    with pytest.raises(StoreRefusedError, match="left as it is"):
        open_store(path)
    assert _untouched(tmp_path) == before
    assert not list(tmp_path.glob("*.corrupt-*"))
    if content is not None:
        assert path.read_bytes() == content


def test_S02_cli_refuses_a_text_file_as_the_store(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    child = subprocess.run([sys.executable, "-m", "cli", "merge", "--store", str(notes)], cwd=ROOT,
                           capture_output=True, text=True)
    assert child.returncode == 2 and "not a DuckDB database" in child.stderr and "Traceback" not in child.stderr
    assert notes.read_text() == "keep me" and _untouched(tmp_path) == ["notes.txt"]


def test_S02_a_damaged_duckdb_file_is_moved_aside_with_its_wal(tmp_path):
    path = tmp_path / "results.duckdb"
    _put(open_store(path), "k")
    damage(path)
    Path(f"{path}.wal").write_bytes(b"log bytes")
    kept = path.read_bytes()
    store = open_store(path)
    assert store.count() == 0 and "moved to" in store.notices[0]
    aside = sorted(tmp_path.glob("results.duckdb.corrupt-*"))
    assert len(aside) == 2 and aside[1].name == aside[0].name + ".wal"
    main = aside[0]
    assert main.read_bytes() == kept and Path(f"{main}.wal").read_bytes() == b"log bytes"


def test_S02_a_damaged_store_opened_read_only_is_not_moved(tmp_path):
    path = tmp_path / "results.duckdb"
    _put(open_store(path), "k")
    damage(path)
    with pytest.raises(StoreCorruptError, match="left as it is"):
        open_store(path, read_only=True)
    assert _untouched(tmp_path) == ["results.duckdb"]


def test_S02_a_symlink_to_a_store_is_followed(tmp_path):
    real = tmp_path / "real.duckdb"
    _put(open_store(real), "k")
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    assert open_store(link).count() == 1


# Item 3: errors while opening, and databases that are not ours ----------------------------------------

def test_S03_a_path_under_a_regular_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreRefusedError, match="not a folder"):
        open_store(tmp_path / "file" / "results.duckdb")
    with pytest.raises(StoreRefusedError, match="not a folder"):
        open_store(tmp_path / "file" / "deeper" / "results.duckdb")


def _still_free(path: Path) -> bool:
    """Another process can open the file for writing: no connection was leaked."""
    code = f"import duckdb; duckdb.connect({str(path)!r}).close(); print('free')"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "free"


def test_S03_another_programs_duckdb_file_is_refused_unchanged(tmp_path):
    path = tmp_path / "other.duckdb"
    other = duckdb.connect(str(path))
    other.execute("CREATE TABLE meta (key VARCHAR, setting INTEGER); INSERT INTO meta VALUES ('mine', 1)")
    other.execute("CREATE TABLE invoices (id INTEGER)")
    other.close()
    with pytest.raises(StoreRefusedError, match="another program"):
        open_store(path)
    tables = duckdb.connect(str(path), read_only=True).execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert sorted(tables) == [("invoices",), ("meta",)], "nothing may be written into a database that is not ours"
    assert _still_free(path)


@pytest.mark.parametrize("version", ["2b", "", "-1", "99"])
def test_S03_an_unusable_schema_version_is_refused(tmp_path, version):
    path = tmp_path / "results.duckdb"
    store = open_store(path)
    _put(store, "k")
    store.connection.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", [version])
    store.close()
    with pytest.raises(StoreRefusedError, match="schema"):
        open_store(path)
    assert _still_free(path) and _untouched(tmp_path) == ["results.duckdb"]


def test_S03_a_read_only_bind_mount_opens_read_only(tmp_path):
    source, mount = tmp_path / "source", tmp_path / "mount"
    source.mkdir()
    mount.mkdir()
    _put(open_store(source / "results.duckdb"), "k")
    if subprocess.run(["mount", "--bind", str(source), str(mount)], capture_output=True).returncode != 0:
        pytest.skip("bind mounts need CAP_SYS_ADMIN, which this process lacks")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only here")
        store = open_store(mount / "results.duckdb")
        assert store.read_only and store.count() == 1 and "read-only" in store.notices[0]
        store.close()
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)
    assert _untouched(source) == ["results.duckdb"]


def test_S03_an_immutable_store_opens_read_only(tmp_path):
    path = tmp_path / "results.duckdb"
    _put(open_store(path), "k")
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here (needs CAP_LINUX_IMMUTABLE and ext4/xfs/btrfs)")
    try:
        store = open_store(path)
        assert store.read_only and store.count() == 1
        store.close()
    finally:
        subprocess.run([chattr, "-i", str(path)], capture_output=True)
    assert _untouched(tmp_path) == ["results.duckdb"]


def test_S02_a_fifo_among_the_shards_is_never_opened(tmp_path):
    from cache.shards import list_shards, shard_status

    path = tmp_path / "results.duckdb"
    store = open_store(path)
    shard_dir(path).mkdir()
    os.mkfifo(shard_dir(path) / "pipe.duckdb")
    assert list_shards(path) == [] and shard_status(path).waiting == ()
    assert not merge_shards(store).skipped  # returns at once instead of blocking on the pipe
