"""Named errors of the result store."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for result-store errors."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB file (DuckDB allows one writer process)."""


class StoreCorruptError(StoreError):
    """The file is a DuckDB database (by its header) that DuckDB reports as damaged."""


class StoreRefusedError(StoreError):
    """The path is not a store this program may open: not a regular DuckDB file, a database of
    another program, a newer schema, or a folder that cannot be created. Nothing was changed."""


class StoreReadOnlyError(StoreError):
    """A write to a store that was opened read-only (e.g. the file or its folder is not writable)."""


class StoreArgumentError(StoreError, ValueError):
    """A call the store refuses before touching the file: an unknown membership status, a field
    name that is not a plain identifier."""
