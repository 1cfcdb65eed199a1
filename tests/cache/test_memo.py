"""cache.memo: one get-or-compute for every cached computation."""

from __future__ import annotations

import numpy as np
import pytest

from cache import StoreError, open_store, spec_key
from cache.memo import keep, memoize, recall


def _decode(record):
    return dict(record.arrays) if record.kind == "t" else None


def _encode(arrays):
    return dict(kind="t", spec={"x": 1}, meta={}, arrays=arrays)


@pytest.fixture
def store():
    return open_store(":memory:")


def test_the_first_call_computes_and_stores_the_second_reads(store):
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(3)}

    first = memoize(store, "k", decode=_decode, compute=compute, encode=_encode)
    second = memoize(store, "k", decode=_decode, compute=compute, encode=_encode)
    assert (first.from_cache, second.from_cache, len(calls)) == (False, True, 1)
    assert np.array_equal(second.value["a"], np.arange(3)) and first.notice == second.notice == ""
    assert first.seconds >= 0 and second.seconds >= 0
    assert store.get("k").spec == {"x": 1}


def test_a_record_that_does_not_serve_is_computed_again(store):
    store.put("k", kind="other", spec={}, meta={}, arrays={})
    memo = memoize(store, "k", decode=_decode, compute=lambda: {"a": np.ones(2)}, encode=_encode)
    assert not memo.from_cache and store.get("k").kind == "t"


def test_without_a_store_it_computes():
    memo = memoize(None, "k", decode=_decode, compute=lambda: {"a": np.ones(2)}, encode=_encode)
    assert not memo.from_cache and memo.notice == ""
    assert recall(None, "k", decode=_decode) == (None, "") and keep(None, "k", {}) == ""


def test_a_read_only_store_returns_the_result_with_a_notice(tmp_path):
    path = tmp_path / "results.duckdb"
    open_store(path).close()
    store = open_store(path, read_only=True)
    memo = memoize(store, "k", decode=_decode, compute=lambda: {"a": np.ones(2)}, encode=_encode)
    assert not memo.from_cache and memo.value["a"].tolist() == [1.0, 1.0]
    assert memo.notice.startswith("The result could not be saved to the cache (") and "read-only" in memo.notice


class _Broken:
    def get(self, key, **options):
        raise StoreError("disk on fire")

    def put(self, key, **record):
        raise StoreError("still on fire")


def test_a_store_that_cannot_be_read_or_written_still_gives_the_result():
    memo = memoize(_Broken(), "k", decode=_decode, compute=lambda: {"a": np.ones(1)}, encode=_encode)
    assert not memo.from_cache and memo.value["a"].tolist() == [1.0]
    assert memo.notice == "The result could not be saved to the cache (still on fire)."
    assert recall(_Broken(), "k", decode=_decode) == (None, "The cache could not be read (disk on fire); computing afresh.")
