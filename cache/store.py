"""The DuckDB result store: the only module that imports duckdb.

Small and explicit (sqlite-utils habit): open/close, a recorded schema version, get/put by key.

Tables
------
meta(name, value)                          schema_version and migrations applied
results(key, kind, spec, meta, seconds, created)
                                           one row per analysed spec; ``spec`` and ``meta`` JSON
arrays(key, name, data)                    named numpy arrays of a result, as .npy bytes (no pickle)
layer_values(key, layer, name, value)      per-layer scalars in long form, for SQL and export
corpus_items(corpus, passage_id, key, position, source, status, message, created)
                                           which analyses belong to which prompt set (corpus);
                                           status "done" (the result is under ``key``) or
                                           "failed" (a deterministic input problem, ``message``)

Schema changes are migrations: numbered SQL applied in order to every store, new or old, and
recorded in ``meta`` (``schema_version`` and ``migrated_to_<n>``).
A result is written in one transaction, so a process killed mid-write leaves either the whole
result or nothing; a missing result is simply recomputed. Sessions of one Streamlit server are
threads of one process: they share one connection and each call takes its own ``cursor()``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Iterable, Iterator, Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd

from cache.errors import (StoreArgumentError, StoreCorruptError, StoreError, StoreLockedError, StoreReadOnlyError,
                          StoreRefusedError)
from cache.serialize import array_to_bytes, bytes_to_array
from cache.store_file import create_parent, inspect_store_path, is_damage

SCHEMA_VERSION = 2

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (name VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS results (
    key VARCHAR PRIMARY KEY, kind VARCHAR, spec JSON, meta JSON, seconds DOUBLE, created TIMESTAMP);
CREATE TABLE IF NOT EXISTS arrays (key VARCHAR, name VARCHAR, data BLOB, PRIMARY KEY (key, name));
CREATE TABLE IF NOT EXISTS layer_values (
    key VARCHAR, layer INTEGER, name VARCHAR, value DOUBLE, PRIMARY KEY (key, layer, name));
"""

# version -> SQL that brings a store from version - 1 to version.
_MIGRATIONS = {
    2: """
CREATE TABLE IF NOT EXISTS corpus_items (
    corpus VARCHAR, passage_id VARCHAR, key VARCHAR, position INTEGER, source VARCHAR,
    status VARCHAR, message VARCHAR, created TIMESTAMP, PRIMARY KEY (corpus, passage_id, key));
""",
}

MEMBER_STATUSES = ("done", "failed")


@dataclass(frozen=True)
class Membership:
    """One row of ``corpus_items``: passage ``passage_id`` of prompt set ``corpus`` was analysed
    under ``key`` (status "done"), or cannot be (status "failed", ``message`` says why).

    ``position`` is the passage's index in its set, ``source`` where its text came from.
    """

    corpus: str
    passage_id: str
    key: str
    position: int = 0
    source: str = ""
    status: str = "done"
    message: str = ""


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
    read_only: bool = False
    _write_lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        self.connection.close()

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreReadOnlyError(f"the result cache {self.path} is open read-only; nothing was saved.")

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

    def get(self, key: str, *, arrays: Collection[str] | None = None) -> StoredResult | None:
        """The result under ``key`` (None if absent); ``arrays`` limits which arrays are read."""
        try:
            return self._get(key, arrays)
        except duckdb.Error as error:
            raise StoreError(f"reading {self.path} failed: {error}") from error

    def _get(self, key: str, names: Collection[str] | None) -> StoredResult | None:
        row = self._query("SELECT kind, spec, meta, seconds, created FROM results WHERE key = ?", [key], one=True)
        if row is None:
            return None
        query, params = "SELECT name, data FROM arrays WHERE key = ?", [key]
        if names is not None:
            query, params = query + " AND list_contains(?, name)", [key, list(names)]
        arrays = {name: bytes_to_array(data) for name, data in self._query(query, params)}
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
        self._check_writable()
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
        with transaction(cursor):
            for table in ("results", "arrays", "layer_values"):
                cursor.execute(f"DELETE FROM {table} WHERE key = ?", [key])
            cursor.execute(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, now())",
                [key, kind, json.dumps(spec, sort_keys=True), json.dumps(meta), float(seconds)],
            )
            if arrays:
                cursor.executemany("INSERT INTO arrays VALUES (?, ?, ?)",
                                   [(key, name, array_to_bytes(value)) for name, value in arrays.items()])
            if long_rows:  # one bulk insert: row-by-row executemany cost ~0.1 s for a prompt's ~500 rows
                frame = pd.DataFrame(long_rows, columns=["key", "layer", "name", "value"])
                cursor.register("new_layer_values", frame)
                cursor.execute("INSERT INTO layer_values SELECT key, layer, name, value FROM new_layer_values")
                cursor.unregister("new_layer_values")

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

    # --- corpus membership ---------------------------------------------------------------------

    def put_membership(self, rows: Iterable[Membership]) -> int:
        """Record which analyses belong to which corpus, in one transaction; returns the row count.

        A row that exists already (same corpus, passage id and key) is replaced, so recording the
        same membership twice is harmless.
        """
        rows = list(rows)
        for row in rows:
            if row.status not in MEMBER_STATUSES:
                raise StoreArgumentError(f"membership status must be one of {MEMBER_STATUSES}; got {row.status!r}.")
        if not rows:
            return 0
        self._check_writable()
        values = [(r.corpus, r.passage_id, r.key, int(r.position), r.source, r.status, r.message) for r in rows]
        with self._write_lock:
            try:
                with self.connection.cursor() as cursor, transaction(cursor):
                    cursor.executemany("INSERT OR REPLACE INTO corpus_items VALUES (?, ?, ?, ?, ?, ?, ?, now())", values)
            except duckdb.Error as error:
                raise StoreError(f"writing to {self.path} failed: {error}") from error
        return len(rows)

    def members(self, corpus: str | None = None, *, status: str | None = None) -> list[Membership]:
        """Membership rows of ``corpus`` (every corpus if None), in passage order."""
        query, params, where = "SELECT corpus, passage_id, key, position, source, status, message FROM corpus_items", [], []
        if corpus is not None:
            where, params = where + ["corpus = ?"], params + [corpus]
        if status is not None:
            where, params = where + ["status = ?"], params + [status]
        if where:
            query += " WHERE " + " AND ".join(where)
        rows = self._query(query + " ORDER BY corpus, position, passage_id, key", params)
        return [Membership(*row) for row in rows]

    def corpus_names(self) -> list[str]:
        return [row[0] for row in self._query("SELECT DISTINCT corpus FROM corpus_items ORDER BY corpus")]

    def present(self, keys: Sequence[str], *, meta_fields: Sequence[str] = ()) -> dict[str, dict]:
        """Which of ``keys`` have a result: key -> {"created": timestamp, field: value, ...}.

        ``meta_fields`` are top-level fields of the result's ``meta``, read without loading any
        array (a JSON NaN comes back as ``float("nan")``; a missing field as None).
        """
        if not keys:
            return {}
        columns = "".join(f", json_extract_string(meta, '$.{_field_name(f)}')" for f in meta_fields)
        rows = self._query(f"SELECT key, created{columns} FROM results WHERE list_contains(?, key)", [list(keys)])
        return {row[0]: {"created": row[1], **{f: _json_scalar(v) for f, v in zip(meta_fields, row[2:])}}
                for row in rows}

    def failed(self, keys: Sequence[str]) -> dict[str, str]:
        """Keys among ``keys`` recorded as failed in any corpus: key -> message."""
        if not keys:
            return {}
        rows = self._query("SELECT key, any_value(message) FROM corpus_items WHERE status = 'failed' "
                           "AND list_contains(?, key) GROUP BY key", [list(keys)])
        return dict(rows)

    # --- tables for listing and export ---------------------------------------------------------

    def result_frame(self, *, kind: str | None = None, corpus: str | None = None,
                     spec_fields: Sequence[str] = (), meta_fields: Sequence[str] = ()):
        """A pandas DataFrame with one row per (result, corpus membership).

        Columns: key, kind, created, seconds, corpus, passage_id, position, source, then
        ``spec_<field>`` and ``meta_<field>`` for the requested fields (as JSON text; nested values
        stay JSON). With ``corpus`` only that corpus's "done" members are listed; without it every
        result of ``kind`` is, with NULL corpus columns when it belongs to no corpus.
        """
        columns = "".join(f", json_extract_string(r.spec, '$.{_field_name(f)}') AS \"spec_{f}\"" for f in spec_fields)
        columns += "".join(f", json_extract_string(r.meta, '$.{_field_name(f)}') AS \"meta_{f}\"" for f in meta_fields)
        select = ("SELECT r.key, r.kind, r.created, r.seconds, c.corpus, c.passage_id, c.position, c.source"
                  + columns)
        params: list = []
        if corpus is not None:
            query = select + " FROM corpus_items c JOIN results r ON r.key = c.key WHERE c.corpus = ? AND c.status = 'done'"
            params.append(corpus)
        else:
            query = select + " FROM results r LEFT JOIN corpus_items c ON c.key = r.key AND c.status = 'done' WHERE TRUE"
        if kind is not None:
            query += " AND r.kind = ?"
            params.append(kind)
        with self.connection.cursor() as cursor:
            return cursor.execute(query + " ORDER BY c.corpus, c.position, c.passage_id, r.created", params).df()

    def layer_frame(self, keys: Sequence[str] | None = None):
        """The ``layer_values`` long table (key, layer, name, value) as a DataFrame, for ``keys``."""
        query, params = "SELECT key, layer, name, value FROM layer_values", []
        if keys is not None:
            query, params = query + " WHERE list_contains(?, key)", [list(keys)]
        with self.connection.cursor() as cursor:
            return cursor.execute(query + " ORDER BY key, name, layer", params).df()


_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _field_name(name: str) -> str:
    """Field names end up inside a JSON path: only plain identifiers are accepted."""
    if not _FIELD.match(name):
        raise StoreArgumentError(f"a field name must be a plain identifier (letters, digits, _); got {name!r}.")
    return name


def _json_scalar(text: str | None):
    """A JSON scalar from ``json_extract_string``: numbers (NaN included) as float, else the text."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _is_lock_error(error: Exception) -> bool:
    return "lock" in str(error).lower()


@contextmanager
def transaction(cursor) -> Iterator[None]:
    """``with transaction(cursor): ...`` runs the block's statements as one transaction: COMMIT
    when the block ends, ROLLBACK when it raises (anything, KeyboardInterrupt included), and the
    block's own error propagates. ``cursor`` is a DuckDB cursor or connection.

    The ROLLBACK never hides that error: DuckDB may already have aborted the transaction (e.g.
    after an IO error such as a full disk), and then ROLLBACK itself fails with "no transaction
    is active", which is ignored.
    """
    cursor.execute("BEGIN TRANSACTION")
    try:
        yield
        cursor.execute("COMMIT")
    except BaseException:
        try:
            cursor.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise


def _connect(path: str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection, or a named error: locked, damaged (by DuckDB's own words), or refused."""
    try:
        return duckdb.connect(path, read_only=read_only)
    except duckdb.Error as error:
        if _is_lock_error(error):
            raise StoreLockedError(
                f"The result cache {path} is in use by another process (DuckDB allows one writer). "
                "Results will not be saved until it is free."
            ) from error
        if is_damage(str(error)):
            raise StoreCorruptError(f"The result cache {path} is damaged: {error}") from error
        raise StoreRefusedError(f"The result cache {path} cannot be opened: {error}") from error


# Every table this program creates (version 1 and every migration): a database holding anything else is not ours.
_OUR_TABLES = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", _SCHEMA_V1 + "".join(_MIGRATIONS.values())))
APPLICATION = "token-geometry"


def _user_objects(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Tables, views and sequences of the file's main database: name -> kind."""
    found = {}
    for kind, function in (("table", "duckdb_tables"), ("view", "duckdb_views"), ("sequence", "duckdb_sequences")):
        where = "database_name = current_database()" + (" AND NOT internal" if kind == "view" else "")
        for (name,) in connection.execute(f"SELECT {kind}_name FROM {function}() WHERE {where}").fetchall():
            found[name] = kind
    return found


def _check_ours(connection: duckdb.DuckDBPyConnection, path: str) -> int:
    """The schema version of a store written by this program (0 for an empty database);
    :class:`StoreRefusedError` for another program's database or a schema this program cannot use.
    Reads only: nothing is written into a database before it is known to be ours."""
    objects = _user_objects(connection)
    if not objects:
        return 0
    foreign = sorted(name for name, kind in objects.items() if kind != "table" or name not in _OUR_TABLES)
    refuse = f"The cache file {path} is a DuckDB database of another program"
    if foreign or not {"meta", "results"} <= objects.keys():
        shown = ", ".join(foreign[:5]) or "no results table"
        raise StoreRefusedError(f"{refuse} ({shown}); it was left as it is. Choose another file.")
    columns = [row[0] for row in connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND table_name = 'meta' "
        "ORDER BY column_index").fetchall()]
    if columns != ["name", "value"]:
        raise StoreRefusedError(f"{refuse} (its meta table has columns {columns}); it was left as it is.")
    rows = dict(connection.execute("SELECT name, value FROM meta WHERE name IN ('schema_version', 'application')")
                .fetchall())
    if rows.get("application", APPLICATION) != APPLICATION:
        raise StoreRefusedError(f"{refuse} ({rows['application']!r}); it was left as it is.")
    text = rows.get("schema_version")
    if text is None or not str(text).isdigit() or not 1 <= int(text) <= 10**6:
        raise StoreRefusedError(f"The cache file {path} records schema version {text!r}, which is not one this "
                                "program wrote; it was left as it is.")
    if int(text) > SCHEMA_VERSION:
        raise StoreRefusedError(f"The cache file {path} was written by a newer version of this program (schema "
                                f"{text}; this one reads up to {SCHEMA_VERSION}); it was left as it is.")
    return int(text)


def _create_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the version-1 tables if missing, then apply every migration the file lacks.
    Called only for a new file or one :func:`_check_ours` accepted."""
    connection.execute(_SCHEMA_V1)
    connection.execute("INSERT INTO meta VALUES ('schema_version', '1') ON CONFLICT (name) DO NOTHING")
    connection.execute("INSERT INTO meta VALUES ('application', ?) ON CONFLICT (name) DO NOTHING", [APPLICATION])
    found = int(connection.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0])
    for version in range(found + 1, SCHEMA_VERSION + 1):
        with transaction(connection):
            connection.execute(_MIGRATIONS[version])
            connection.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", [str(version)])
            connection.execute("INSERT OR REPLACE INTO meta VALUES (?, CAST(now() AS VARCHAR))",
                               [f"migrated_to_{version}"])


def _connect_waiting(path: str, *, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """:func:`_connect`, retrying for up to ``wait_seconds`` while another process holds the lock."""
    deadline = time.monotonic() + max(0.0, wait_seconds)
    delay = 0.05
    while True:
        try:
            return _connect(path, read_only=read_only)
        except StoreLockedError:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _aside_name(path: Path) -> Path:
    """``<name>.corrupt-<unix time>`` (with ``-2``, ``-3``… if that exists already)."""
    stem = f"{path.name}.corrupt-{int(time.time())}"
    candidate, n = path.with_name(stem), 1
    while candidate.exists() or Path(f"{candidate}.wal").exists():
        n += 1
        candidate = path.with_name(f"{stem}-{n}")
    return candidate


def move_aside(path: Path) -> Path:
    """Rename a damaged DuckDB file and its write-ahead log to ``<name>.corrupt-<time>[.wal]``
    (kept, never deleted). :class:`StoreCorruptError` if that is not possible."""
    aside = _aside_name(path)
    wal, wal_aside = Path(f"{path}.wal"), Path(f"{aside}.wal")
    try:
        if wal.exists():
            wal.rename(wal_aside)
        path.rename(aside)
    except OSError as error:
        if wal_aside.exists() and not wal.exists():
            wal_aside.rename(wal)  # put the log back: the pair stays together
        raise StoreCorruptError(f"The result cache {path} is damaged and could not be moved aside "
                                f"({error.strerror or error}); it was left as it is.") from None
    return aside


# DuckDB's file lock keeps other processes out, but the connections of one process share one database
# instance: threads opening a new store at once would race to create its tables and first ``meta`` rows
# (a write-write conflict). Checking and creating the schema is therefore one step per process.
_SCHEMA_LOCK = threading.Lock()


def _open_file(path: str, *, read_only: bool, wait_seconds: float) -> tuple[duckdb.DuckDBPyConnection, int]:
    """Connect and check that the database is ours; the connection is closed on any failure."""
    connection = _connect_waiting(path, read_only=read_only, wait_seconds=wait_seconds)
    try:
        with _SCHEMA_LOCK:
            return _check_and_create(connection, path, read_only=read_only)
    except BaseException as error:
        connection.close()
        if isinstance(error, duckdb.Error):
            raise StoreRefusedError(f"The result cache {path} cannot be used: {error}") from error
        raise


def _check_and_create(connection: duckdb.DuckDBPyConnection, path: str, *,
                      read_only: bool) -> tuple[duckdb.DuckDBPyConnection, int]:
    """:func:`_check_ours`, then (when writable) create or migrate the schema; returns the version."""
    found = _check_ours(connection, path)
    if read_only and found == 0:
        raise StoreRefusedError(f"The cache file {path} is an empty DuckDB database, not a result store yet.")
    if read_only and found != SCHEMA_VERSION:  # migrating needs write access
        raise StoreRefusedError(f"The cache {path} has schema version {found}; this program needs "
                                f"{SCHEMA_VERSION} and migrates it when it can open it for writing.")
    if not read_only:
        _create_schema(connection)
        found = SCHEMA_VERSION
    return connection, found


def open_store(path: str | Path, *, read_only: bool = False, wait_seconds: float = 0.0) -> ResultStore:
    """Open (creating if needed) the store at ``path``; ``":memory:"`` gives a throw-away store.

    What lies at ``path`` is checked first (:mod:`cache.store_file`): anything that is not a
    regular DuckDB file, or a DuckDB database of another program, raises
    :class:`StoreRefusedError` and is left untouched. A store that the user cannot write (a
    read-only file, folder or mount) is opened read-only, with a notice; writes to it raise
    :class:`StoreReadOnlyError`. Only a DuckDB file that DuckDB reports as damaged is moved aside
    to ``<name>.corrupt-<unix time>`` together with its ``.wal`` (kept, never deleted) and a fresh
    store is started; the store's ``notices`` say so. A file locked by another process raises
    :class:`StoreLockedError`, after retrying for up to ``wait_seconds`` (a batch run holds the
    file for moments only, when it merges its results in; see :mod:`cache.shards`).
    """
    path = str(path)
    notices: list[str] = []
    if path == ":memory:":
        connection = duckdb.connect(path)
        _create_schema(connection)
        return _store(path, connection, notices, read_only=False)
    target = inspect_store_path(path)
    if not target.exists:
        if read_only:
            raise StoreRefusedError(f"There is no result cache at {path} yet.")
        if not target.writable:
            raise StoreRefusedError(f"Cannot create the result cache {path}: {target.why_read_only}.")
        create_parent(target.path)
    opened_read_only = read_only or not target.writable
    if opened_read_only and not read_only:
        notices.append(f"The result cache {path} is opened read-only ({target.why_read_only}): stored results are "
                       "shown, new ones are not saved.")
    try:
        connection, _ = _open_file(path, read_only=opened_read_only, wait_seconds=wait_seconds)
    except StoreCorruptError as error:
        if opened_read_only:
            raise StoreCorruptError(f"{error} It was left as it is (the cache is opened read-only).") from error
        aside = move_aside(target.path)
        notices.append(f"The cache file was damaged ({error.__cause__}); it was moved to {aside} (with its log, if "
                       "any) and a fresh cache started.")
        connection, _ = _open_file(path, read_only=False, wait_seconds=0.0)
    return _store(path, connection, notices, read_only=opened_read_only)


def _store(path: str, connection, notices: list[str], *, read_only: bool) -> ResultStore:
    store = ResultStore(path=path, connection=connection, notices=notices, read_only=read_only)
    # Close the connection when the store is dropped or, at the latest, when the interpreter exits.
    weakref.finalize(store, connection.close)
    return store
