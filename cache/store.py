"""The DuckDB result store: the only module that imports duckdb.

Small and explicit (sqlite-utils habit): open/close, a recorded schema version, get/put by key.

Tables
------
meta(name, value)                          schema_version and migrations applied
results(key, kind, spec, meta, seconds, created)
                                           one row per analysed spec; ``spec`` and ``meta`` JSON
arrays(key, name, data)                    named numpy arrays of a result, as .npy bytes (no pickle)
layer_values(key, layer, name, value)      per-layer scalars in long form, for SQL and export

A result is written in one transaction, so a process killed mid-write leaves either the whole
result or nothing; a missing result is simply recomputed. Sessions of one Streamlit server are
threads of one process: they share one connection and each call takes its own ``cursor()``.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import duckdb
import numpy as np

from cache.errors import StoreCorruptError, StoreError, StoreLockedError
from cache.serialize import array_to_bytes, bytes_to_array

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS results (
    key VARCHAR PRIMARY KEY, kind VARCHAR, spec JSON, meta JSON, seconds DOUBLE, created TIMESTAMP);
CREATE TABLE IF NOT EXISTS arrays (key VARCHAR, name VARCHAR, data BLOB, PRIMARY KEY (key, name));
CREATE TABLE IF NOT EXISTS layer_values (
    key VARCHAR, layer INTEGER, name VARCHAR, value DOUBLE, PRIMARY KEY (key, layer, name));
"""


@dataclass(frozen=True)
class StoredResult:
    """What :meth:`ResultStore.get` returns."""

    key: str
    kind: str
    spec: dict
    meta: dict
    arrays: Mapping[str, np.ndarray]
    seconds: float
    created: Any


@dataclass
class ResultStore:
    """A DuckDB file (or ``:memory:``) holding analysis results. Use :func:`open_store`."""

    path: str
    connection: duckdb.DuckDBPyConnection
    notices: list[str] = field(default_factory=list)
    _write_lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        self.connection.close()

    def _query(self, sql: str, params=(), *, one: bool = False):
        """Run one read query on its own cursor (thread-safe) and close the cursor."""
        with self.connection.cursor() as cursor:
            result = cursor.execute(sql, list(params))
            return result.fetchone() if one else result.fetchall()

    def schema_version(self) -> int:
        row = self._query("SELECT value FROM meta WHERE name = 'schema_version'", one=True)
        return int(row[0]) if row else 0

    def has(self, key: str) -> bool:
        return self._query("SELECT 1 FROM results WHERE key = ?", [key], one=True) is not None

    def get(self, key: str) -> StoredResult | None:
        try:
            return self._get(key)
        except duckdb.Error as error:
            raise StoreError(f"reading {self.path} failed: {error}") from error

    def _get(self, key: str) -> StoredResult | None:
        row = self._query("SELECT kind, spec, meta, seconds, created FROM results WHERE key = ?", [key], one=True)
        if row is None:
            return None
        arrays = {name: bytes_to_array(data)
                  for name, data in self._query("SELECT name, data FROM arrays WHERE key = ?", [key])}
        kind, spec, meta, seconds, created = row
        return StoredResult(key=key, kind=kind, spec=json.loads(spec), meta=json.loads(meta), arrays=arrays,
                            seconds=float(seconds), created=created)

    def put(
        self,
        key: str,
        *,
        kind: str,
        spec: Mapping,
        meta: Mapping,
        arrays: Mapping[str, np.ndarray],
        layer_values: Mapping[str, tuple[np.ndarray, np.ndarray]] = {},
        seconds: float = 0.0,
    ) -> None:
        """Store one result atomically, replacing any earlier result under the same key.

        ``layer_values`` maps a statistic name to (layers, values), written to the long table.
        """
        long_rows = [
            (key, int(layer), name, float(value))
            for name, (layers, values) in layer_values.items()
            for layer, value in zip(layers, values)
        ]
        with self._write_lock:
            try:
                self._write(key, kind, spec, meta, arrays, long_rows, seconds)
            except duckdb.Error as error:
                raise StoreError(f"writing to {self.path} failed: {error}") from error

    def _write(self, key, kind, spec, meta, arrays, long_rows, seconds) -> None:
        with self.connection.cursor() as cursor:
            self._write_in(cursor, key, kind, spec, meta, arrays, long_rows, seconds)

    @staticmethod
    def _write_in(cursor, key, kind, spec, meta, arrays, long_rows, seconds) -> None:
        cursor.execute("BEGIN TRANSACTION")
        try:
            for table in ("results", "arrays", "layer_values"):
                cursor.execute(f"DELETE FROM {table} WHERE key = ?", [key])
            cursor.execute(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, now())",
                [key, kind, json.dumps(spec, sort_keys=True), json.dumps(meta), float(seconds)],
            )
            if arrays:
                cursor.executemany("INSERT INTO arrays VALUES (?, ?, ?)",
                                   [(key, name, array_to_bytes(value)) for name, value in arrays.items()])
            if long_rows:
                cursor.executemany("INSERT INTO layer_values VALUES (?, ?, ?, ?)", long_rows)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise

    def lookup_meta(self, *, kind: str, spec_field: str, prefix: str, meta_field: str):
        """``meta[meta_field]`` of the newest result whose ``spec[spec_field]`` starts with ``prefix``."""
        row = self._query(
            "SELECT json_extract(meta, ?) FROM results WHERE kind = ? AND starts_with(json_extract_string(spec, ?), ?) "
            "ORDER BY created DESC LIMIT 1",
            [f"$.{meta_field}", kind, f"$.{spec_field}", prefix], one=True,
        )
        return None if row is None else json.loads(row[0])

    def keys(self, *, kind: str | None = None) -> list[str]:
        query, params = "SELECT key FROM results", []
        if kind:
            query, params = query + " WHERE kind = ?", [kind]
        return [row[0] for row in self._query(query + " ORDER BY created", params)]

    def count(self) -> int:
        return int(self._query("SELECT count(*) FROM results", one=True)[0])


def _is_lock_error(error: Exception) -> bool:
    return "lock" in str(error).lower()


def _connect(path: str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(path, read_only=read_only)
    except duckdb.Error as error:
        if _is_lock_error(error):
            raise StoreLockedError(
                f"The result cache {path} is in use by another process (DuckDB allows one writer). "
                "Results will not be saved until it is free."
            ) from error
        raise StoreCorruptError(f"The result cache {path} cannot be read: {error}") from error


def _create_schema(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(_SCHEMA)
    connection.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (name) DO NOTHING", [str(SCHEMA_VERSION)]
    )


def open_store(path: str | Path, *, read_only: bool = False) -> ResultStore:
    """Open (creating if needed) the store at ``path``; ``":memory:"`` gives a throw-away store.

    A file that is not a DuckDB database (truncated, garbage) is moved aside to
    ``<name>.corrupt-<unix time>`` (kept, never deleted) and a fresh store is started; the
    store's ``notices`` say so. A file locked by another process raises :class:`StoreLockedError`.
    """
    path = str(path)
    notices: list[str] = []
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = _connect(path, read_only=read_only)
        if not read_only:
            _create_schema(connection)
    except StoreCorruptError as error:
        if path == ":memory:" or read_only:
            raise
        aside = f"{path}.corrupt-{int(time.time())}"
        Path(path).rename(aside)
        Path(f"{path}.wal").unlink(missing_ok=True)
        notices.append(f"The cache file was unreadable ({error.__cause__}); it was moved to {aside} and a fresh cache started.")
        connection = _connect(path, read_only=False)
        _create_schema(connection)
    store = ResultStore(path=path, connection=connection, notices=notices)
    # Close the connection when the store is dropped or, at the latest, when the interpreter exits.
    weakref.finalize(store, connection.close)
    found = store.schema_version()
    if found != SCHEMA_VERSION:
        connection.close()
        raise StoreCorruptError(f"The cache {path} has schema version {found}; this program needs {SCHEMA_VERSION}.")
    return store
