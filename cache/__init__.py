"""The result store (DuckDB). The only package that imports duckdb."""

from cache.errors import StoreCorruptError, StoreError, StoreLockedError
from cache.keys import spec_key
from cache.paths import default_store_path
from cache.store import SCHEMA_VERSION, ResultStore, StoredResult, open_store

__all__ = [
    "SCHEMA_VERSION", "ResultStore", "StoreCorruptError", "StoreError", "StoreLockedError", "StoredResult",
    "default_store_path", "open_store", "spec_key",
]
