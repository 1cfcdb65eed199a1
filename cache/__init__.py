"""The result store (DuckDB). The only package that imports duckdb."""

from cache.errors import (StoreArgumentError, StoreCorruptError, StoreError, StoreLockedError, StoreReadOnlyError,
                          StoreRefusedError)
from cache.keys import spec_key
from cache.paths import default_store_path
from cache.store import SCHEMA_VERSION, Membership, ResultStore, StoredResult, open_store
from cache.shards import MergeReport, ShardWriter, merge_shards, shard_status

__all__ = [
    "SCHEMA_VERSION", "Membership", "MergeReport", "ResultStore", "ShardWriter", "StoreArgumentError",
    "StoreCorruptError", "StoreError", "StoreLockedError", "StoreReadOnlyError", "StoreRefusedError", "StoredResult", "default_store_path",
    "merge_shards", "open_store", "shard_status", "spec_key",
]
