"""cache.store.transaction: one BEGIN/COMMIT/ROLLBACK for every write of the store."""

from __future__ import annotations

import duckdb
import pytest

from cache.store import transaction


@pytest.fixture
def connection():
    connection = duckdb.connect(":memory:")
    connection.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    yield connection
    connection.close()


def _rows(connection) -> list[int]:
    return [row[0] for row in connection.execute("SELECT x FROM t ORDER BY x").fetchall()]


def test_the_block_is_committed_when_it_ends(connection):
    with transaction(connection):
        connection.execute("INSERT INTO t VALUES (1), (2)")
    assert _rows(connection) == [1, 2]


@pytest.mark.parametrize("error", [ValueError("boom"), KeyboardInterrupt()])
def test_an_error_in_the_block_rolls_everything_back_and_propagates(connection, error):
    with pytest.raises(type(error)):
        with transaction(connection):
            connection.execute("INSERT INTO t VALUES (1)")
            raise error
    assert _rows(connection) == []


class _AbortedCursor:
    """A cursor whose transaction DuckDB has already aborted: ROLLBACK fails."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def execute(self, sql: str):
        self.statements.append(sql)
        if sql == "ROLLBACK":
            raise duckdb.TransactionException("cannot rollback - no transaction is active")


def test_a_failed_statement_keeps_its_own_error_when_rollback_fails_too():
    """DuckDB aborts the transaction on an IO error (a full disk); ROLLBACK then fails, and that
    second error must not replace the first (tests/cache/test_full_disk.py checks it for real)."""
    cursor = _AbortedCursor()
    with pytest.raises(duckdb.IOException, match="File too large"):
        with transaction(cursor):
            raise duckdb.IOException("File too large")
    assert cursor.statements == ["BEGIN TRANSACTION", "ROLLBACK"]


def test_a_cursor_works_as_well_as_a_connection(connection):
    with connection.cursor() as cursor, transaction(cursor):
        cursor.execute("INSERT INTO t VALUES (5)")
    assert _rows(connection) == [5]
