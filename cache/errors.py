"""Named errors of the result store."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for result-store errors."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB file (DuckDB allows one writer process)."""


class StoreCorruptError(StoreError):
    """The file exists but is not a readable DuckDB database."""
