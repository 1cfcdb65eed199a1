"""Sharing one store between the dashboard and batch runs (DuckDB allows one writer process).

The rule: **the main store file belongs to whoever opened it (normally the dashboard); a batch run
never holds it for longer than a merge.**

* A batch run (the CLI, or a worker of a distributed engine) writes its results to its own
  *shard*: an ordinary store file in ``<store>.shards/`` named ``<host>-<pid>-<ms>-<n>.duckdb``.
  Its process holds the shard's lock while it writes, so nobody merges a shard that is still
  being written. :class:`ShardWriter` starts a new shard every ``rotate_seconds``, so finished
  shards become mergeable while a long run goes on.
* :func:`merge_shards` copies every shard that is not locked into the main store — each shard in
  one transaction — and deletes the shard only after the commit. A key that the main store holds
  already is replaced only when the shard's result is newer (``created``), exactly as a second
  ``put`` would replace it, so merging twice, or merging a shard whose results are partly in the
  store already, never duplicates a row. A process killed mid-merge leaves the shard in place,
  and the next merge does the work again.
* Who merges: the dashboard when it opens the store and when the user asks for it ("Refresh
  from CLI runs"); the CLI at the start of a run, at every shard rotation and at the end, each
  time only if the main file is free (otherwise the shards wait for the dashboard).

Results written to a shard are not visible to :func:`pipeline.analyse` in the dashboard until they
are merged (``analyse`` reads the main store only; reading shards would mean attaching files that
are usually locked by the run that writes them). A batch run sees the main store (when it is free)
and every shard that is not locked, so a rerun skips finished work wherever it lies — except
results already merged into a main store that the dashboard holds at that moment: those cannot be
read, are computed again and are dropped as duplicates at the next merge.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import duckdb

from cache.errors import StoreError, StoreLockedError, StoreReadOnlyError
from cache.store import (SCHEMA_VERSION, Membership, ResultStore, StoredResult, _is_lock_error, transaction,
                         move_aside, open_store)
from cache.store_file import has_duckdb_header, is_damage

SHARD_SUFFIX = ".duckdb"
DEFAULT_ROTATE_SECONDS = 300.0


def shard_dir(store_path: str | Path) -> Path:
    """The folder beside the store where batch runs put their shards: ``<store>.shards``."""
    return Path(f"{store_path}.shards")


def list_shards(store_path: str | Path) -> list[Path]:
    """Shard files of ``store_path``, oldest name first (locked ones included). Only regular files:
    a named pipe or device under a shard's name is never opened (it could block for ever)."""
    folder = shard_dir(store_path)
    return sorted(path for path in folder.glob(f"*{SHARD_SUFFIX}") if path.is_file()) if folder.is_dir() else []


def new_shard_path(store_path: str | Path) -> Path:
    """A fresh, unique shard name: host, process id, milliseconds and a random suffix."""
    host = "".join(c if c.isalnum() or c in "-_" else "-" for c in socket.gethostname())[:32] or "host"
    name = f"{host}-{os.getpid()}-{int(time.time() * 1000)}-{uuid.uuid4().hex[:6]}{SHARD_SUFFIX}"
    return shard_dir(store_path) / name


@dataclass(frozen=True)
class MergeReport:
    """What :func:`merge_shards` did.

    merged:   shards copied into the store and deleted.
    busy:     shards locked by a running process (merged by a later call).
    skipped:  (shard, reason) left in place or moved aside (unreadable, newer schema, failed copy).
    results_added / members_added: rows that were new or newer than the store's.
    """

    merged: tuple[Path, ...] = ()
    busy: tuple[Path, ...] = ()
    skipped: tuple[tuple[Path, str], ...] = ()
    results_added: int = 0
    members_added: int = 0

    @property
    def message(self) -> str:
        """One sentence for people (empty when there was nothing to do)."""
        parts = []
        if self.merged:
            parts.append(f"merged {self.results_added} results from {len(self.merged)} finished batch-run file(s)")
        if self.busy:
            parts.append(f"{len(self.busy)} file(s) still being written by a running batch job")
        if self.skipped:
            parts.append("not merged: " + "; ".join(f"{path.name}: {reason}" for path, reason in self.skipped))
        if not parts:
            return ""
        sentence = "; ".join(parts) + "."
        return sentence[0].upper() + sentence[1:]  # str.capitalize() would lowercase the rest


def _sql_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _merge_one(cursor, alias: str) -> tuple[int, int]:
    """Copy one attached shard into the store in one transaction; returns (results, members)."""
    version = cursor.execute(f"SELECT value FROM {alias}.meta WHERE name = 'schema_version'").fetchone()
    version = int(version[0]) if version else 0
    if version > SCHEMA_VERSION:
        raise _Skip(f"written by a newer program (schema {version}, this one reads {SCHEMA_VERSION}); left in place")
    incoming = f"incoming_{alias}"
    newer = f"WHERE key IN (SELECT key FROM {incoming})"
    with transaction(cursor):
        # Keys that are new to the store, or whose shard result is newer than the store's.
        cursor.execute(f"CREATE TEMP TABLE {incoming} AS SELECT s.key FROM {alias}.results s "
                       "LEFT JOIN results m ON m.key = s.key WHERE m.key IS NULL OR s.created > m.created")
        results = int(cursor.execute(f"SELECT count(*) FROM {incoming}").fetchone()[0])
        for table in ("results", "arrays", "layer_values"):
            cursor.execute(f"DELETE FROM {table} {newer}")
        cursor.execute(f"INSERT INTO results SELECT key, kind, spec, meta, seconds, created FROM {alias}.results {newer}")
        cursor.execute(f"INSERT INTO arrays SELECT key, name, data FROM {alias}.arrays {newer}")
        cursor.execute(f"INSERT INTO layer_values SELECT key, layer, name, value FROM {alias}.layer_values {newer}")
        members = 0
        if version >= 2:  # corpus_items arrived with schema 2
            members = int(cursor.execute(
                f"SELECT count(*) FROM {alias}.corpus_items s LEFT JOIN corpus_items m "
                "ON m.corpus = s.corpus AND m.passage_id = s.passage_id AND m.key = s.key "
                "WHERE m.key IS NULL OR s.created > m.created").fetchone()[0])
            cursor.execute(
                "INSERT INTO corpus_items SELECT corpus, passage_id, key, position, source, status, message, created "
                f"FROM {alias}.corpus_items ON CONFLICT DO UPDATE SET position = excluded.position, "
                "source = excluded.source, status = excluded.status, message = excluded.message, "
                "created = excluded.created WHERE excluded.created > corpus_items.created")
        cursor.execute(f"DROP TABLE {incoming}")
    return results, members


class _Skip(Exception):
    """A shard that is left alone, with the reason."""


def _verify(cursor, alias: str) -> None:
    """Check, after the commit and before the shard is deleted, that every result, array and
    per-layer value of the shard is in the store (the same or a newer result under its key).

    The shard is the only other copy of its results, so it is deleted only when the store
    demonstrably holds all of them, not merely because the commit reported success (a merge on a
    full disk must never end with neither copy)."""
    checks = {
        "results": f"SELECT count(*) FROM {alias}.results s LEFT JOIN results m ON m.key = s.key "
                   "WHERE m.key IS NULL OR m.created < s.created",
        "arrays": f"SELECT count(*) FROM {alias}.arrays s JOIN {alias}.results r ON r.key = s.key "
                  "JOIN results m ON m.key = s.key AND m.created = r.created "
                  "LEFT JOIN arrays a ON a.key = s.key AND a.name = s.name WHERE a.key IS NULL",
        "per-layer values": f"SELECT count(*) FROM {alias}.layer_values s JOIN {alias}.results r ON r.key = s.key "
                            "JOIN results m ON m.key = s.key AND m.created = r.created "
                            "LEFT JOIN layer_values v ON v.key = s.key AND v.layer = s.layer AND v.name = s.name "
                            "WHERE v.key IS NULL",
    }
    for what, query in checks.items():
        missing = int(cursor.execute(query).fetchone()[0])
        if missing:
            raise _Skip(f"{missing} {what} were not in the store after the merge (is the disk full?); left in "
                        "place, to be merged again")


def _unreadable(shard: Path, error: Exception) -> str:
    """What happens to a shard that cannot be attached: moved aside (kept) only if it is a DuckDB file
    that DuckDB reports as damaged, else left in place."""
    try:
        damaged = has_duckdb_header(shard) and is_damage(str(error))
    except OSError:
        damaged = False
    if not damaged:
        return f"cannot be read ({error}); left in place"
    try:
        aside = move_aside(shard)
    except StoreError as problem:
        return str(problem)
    return f"damaged ({error}); moved to {aside.name}"


def _detach(cursor, alias: str) -> None:
    try:
        cursor.execute(f"DETACH {alias}")
    except duckdb.Error:  # after an IO error the attachment may be gone already; the merge's own error is reported
        pass


def _remove(shard: Path) -> None:
    shard.unlink(missing_ok=True)
    Path(f"{shard}.wal").unlink(missing_ok=True)


def merge_shards(store: ResultStore, *, shards: Iterable[str | Path] | None = None) -> MergeReport:
    """Bring the results of finished batch runs into ``store`` and delete their shard files.

    ``shards`` defaults to every file in ``<store path>.shards/``. A shard that another process
    holds (a run still writing) is skipped and reported as busy; a damaged DuckDB one is moved
    aside to ``<name>.corrupt-<unix time>`` with its log (kept, never deleted), any other unreadable
    one is left in place and reported. Each shard is copied in one transaction and deleted only
    after the commit and a check that the store holds every row of it. Safe to call at any time
    and from any thread of the process that holds ``store``; cheap when there is nothing to merge.
    :class:`StoreReadOnlyError` if ``store`` is open read-only.
    """
    if store.read_only:
        raise StoreReadOnlyError(f"the result cache {store.path} is open read-only, so finished batch-run files "
                                 f"cannot be merged into it; they wait in {shard_dir(store.path)}/.")
    paths = [Path(p) for p in (list_shards(store.path) if shards is None else shards)]
    merged, busy, skipped = [], [], []
    results = members = 0
    for shard in paths:
        if not shard.is_file():
            continue
        alias = f"shard_{uuid.uuid4().hex[:12]}"
        with store._write_lock, store.connection.cursor() as cursor:
            try:
                cursor.execute(f"ATTACH {_sql_literal(shard)} AS {alias} (READ_ONLY)")
            except duckdb.Error as error:
                if _is_lock_error(error):
                    busy.append(shard)
                else:
                    skipped.append((shard, _unreadable(shard, error)))
                continue
            try:
                added = _merge_one(cursor, alias)
                _verify(cursor, alias)
            except _Skip as reason:
                skipped.append((shard, str(reason)))
                added = None
            except duckdb.Error as error:
                skipped.append((shard, f"could not be merged ({error}); left in place"))
                added = None
            finally:
                _detach(cursor, alias)
        if added is not None:
            results, members = results + added[0], members + added[1]
            merged.append(shard)
            _remove(shard)
    return MergeReport(merged=tuple(merged), busy=tuple(busy), skipped=tuple(skipped),
                       results_added=results, members_added=members)


@dataclass(frozen=True)
class ShardStatus:
    """Shards waiting beside a store: finished ones (mergeable now) and ones being written."""

    waiting: tuple[Path, ...]
    busy: tuple[Path, ...]


def shard_status(store_path: str | Path) -> ShardStatus:
    """Which shards are finished and which are still written by a running process."""
    waiting, busy = [], []
    for shard in list_shards(store_path):
        try:
            duckdb.connect(str(shard), read_only=True).close()
            waiting.append(shard)
        except duckdb.Error as error:
            (busy if _is_lock_error(error) else waiting).append(shard)
    return ShardStatus(waiting=tuple(waiting), busy=tuple(busy))


def _newest(into: dict[str, dict], found: dict[str, dict]) -> None:
    for key, value in found.items():
        if key not in into or value["created"] > into[key]["created"]:
            into[key] = value


@dataclass
class ShardWriter:
    """Where a batch run writes: its own shard files, merged into the main store when it is free.

    ``writer()`` gives the store the next result goes to (a new shard every ``rotate_seconds``;
    the finished one is merged at once if the main store is free). ``present``/``failed`` look in
    the main store (when free) and in every shard that is not locked, this run's included.
    ``close()`` merges what it can and says where the rest is.
    """

    store_path: Path
    rotate_seconds: float | None = DEFAULT_ROTATE_SECONDS
    notices: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    blocked: str = ""
    _store: ResultStore | None = None
    _opened_at: float = 0.0

    def __post_init__(self) -> None:
        self.store_path = Path(self.store_path)

    @property
    def shard_path(self) -> Path | None:
        """The shard being written now (None before the first write)."""
        return Path(self._store.path) if self._store is not None else None

    def writer(self) -> ResultStore:
        due = self.rotate_seconds is not None and time.monotonic() - self._opened_at > self.rotate_seconds
        if self._store is not None and due:
            self.rotate()
        if self._store is None:
            path = new_shard_path(self.store_path)
            self._store = open_store(path)
            self._opened_at = time.monotonic()
            self.written.append(path)
        return self._store

    def rotate(self) -> MergeReport | None:
        """Finish the current shard (so it can be merged) and merge it now if the store is free."""
        self._close_shard()
        return self.merge_into_main()

    def merge_into_main(self, *, wait_seconds: float = 0.0) -> MergeReport | None:
        """Merge every finished shard into the main store, or None if that cannot be done now
        (``blocked`` says why: another process holds it, or it is read-only)."""
        try:
            main = open_store(self.store_path, wait_seconds=wait_seconds)
        except StoreLockedError:
            self.blocked = "it is open in another process (the dashboard?)"
            return None
        try:
            if main.read_only:
                self.blocked = main.notices[0] if main.notices else "it is read-only"
                return None
            self.blocked = ""
            return merge_shards(main)
        finally:
            main.close()

    def _close_shard(self) -> None:
        if self._store is None:
            return
        path = Path(self._store.path)
        empty = self._store.count() == 0 and not self._store.members()
        self._store.close()
        self._store = None
        if empty:
            _remove(path)
            self.written.remove(path)

    def _sources(self) -> list[ResultStore]:
        """Read-only views of the main store and of every unlocked shard (closed by the caller)."""
        stores = []
        paths = ([self.store_path] if self.store_path.exists() else []) + [
            shard for shard in list_shards(self.store_path) if shard != self.shard_path]
        for path in paths:
            try:
                stores.append(open_store(path, read_only=True))
            except StoreLockedError:
                continue  # the dashboard holds the main store, or another run is writing that shard
            except StoreError as error:
                self.notices.append(f"{path.name} was not read: {error}")
        return stores

    def _each(self, query) -> list:
        answers = []
        for source in self._sources():
            try:
                answers.append(query(source))
            except StoreError as error:
                self.notices.append(str(error))
            finally:
                source.close()
        if self._store is not None:
            answers.append(query(self._store))
        return answers

    def present(self, keys: Sequence[str], *, meta_fields: Sequence[str] = ()) -> dict[str, dict]:
        """:meth:`ResultStore.present` over every readable store; the newest result of a key wins."""
        found: dict[str, dict] = {}
        for answer in self._each(lambda store: store.present(keys, meta_fields=meta_fields)):
            _newest(found, answer)
        return found

    def get(self, key: str, **options) -> StoredResult | None:
        """:meth:`ResultStore.get` over every readable store; the newest result of the key wins."""
        found = [record for record in self._each(lambda store: store.get(key, **options)) if record is not None]
        return max(found, key=lambda record: record.created, default=None)

    def put(self, key: str, **record) -> None:
        """:meth:`ResultStore.put` into this run's shard (so the writer can stand in for a store)."""
        self.writer().put(key, **record)

    def failed(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for answer in self._each(lambda store: store.failed(keys)):
            found.update(answer)
        return found

    def put_membership(self, rows: Iterable[Membership]) -> int:
        return self.writer().put_membership(rows)

    def members(self, corpus: str | None = None) -> list[Membership]:
        """Membership rows of ``corpus`` in every readable store (duplicates removed)."""
        found: dict[tuple, Membership] = {}
        for answer in self._each(lambda store: store.members(corpus)):
            found.update({(m.corpus, m.passage_id, m.key): m for m in answer})
        return list(found.values())

    def close(self, *, merge: bool = True, wait_seconds: float = 2.0) -> MergeReport | None:
        """Finish the current shard and, if ``merge``, merge finished shards into the main store
        (waiting up to ``wait_seconds`` for it). Returns None when the main store was busy."""
        self._close_shard()
        return self.merge_into_main(wait_seconds=wait_seconds) if merge else None

    def pending(self) -> list[Path]:
        """This run's shards that are still waiting to be merged."""
        return [path for path in self.written if path.exists()]
