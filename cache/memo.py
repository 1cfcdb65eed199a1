"""Get or compute: a result from the store by key, else computed and put there.

Every cached computation of the program goes through :func:`memoize` (or, for a batch that
computes several results in one go, its two halves :func:`recall` and :func:`keep`). A store that
fails never stops a computation: a result that cannot be read is computed afresh, one that cannot
be written (a store opened read-only, a full disk) is still returned, and either way
``Memo.notice`` says what happened, in words for the user.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Generic, Mapping, Protocol, TypeVar

from cache.errors import StoreError
from cache.store import StoredResult

T = TypeVar("T")


class Store(Protocol):
    """What :func:`memoize` needs of a store (a :class:`cache.ResultStore`, a :class:`cache.ShardWriter`)."""

    def get(self, key: str, **options: Any) -> StoredResult | None: ...

    def put(self, key: str, **record: Any) -> None: ...


@dataclass(frozen=True)
class Memo(Generic[T]):
    """A result and where it came from.

    value:      the result.
    from_cache: True when it was read from the store, False when it was computed now.
    seconds:    time taken by :func:`memoize` (reading, or computing and writing).
    notice:     "" or a sentence saying that the store could not be read or written.
    """

    value: T
    from_cache: bool
    seconds: float
    notice: str = ""


def recall(store: Store | None, key: str, *, decode: Callable[[StoredResult], T | None],
           **options: Any) -> tuple[T | None, str]:
    """(the decoded result under ``key`` or None, a notice). ``decode`` returns None for a record
    that does not serve (another kind, a result lacking something asked for): it is computed again.
    A store that cannot be read gives None and a notice; ``options`` go to ``store.get``."""
    if store is None:
        return None, ""
    try:
        record = store.get(key, **options)
    except StoreError as error:
        return None, f"The cache could not be read ({error}); computing afresh."
    return (None if record is None else decode(record)), ""


def keep(store: Store | None, key: str, record: Mapping[str, Any]) -> str:
    """Put ``record`` (the keyword arguments of :meth:`cache.ResultStore.put`: kind, spec, meta,
    arrays, ...) under ``key``; returns "" or a notice when the store cannot take it."""
    if store is None:
        return ""
    try:
        store.put(key, **record)
    except StoreError as error:
        return f"The result could not be saved to the cache ({error})."
    return ""


def memoize(store: Store | None, key: str, *, decode: Callable[[StoredResult], T | None],
            compute: Callable[[], T], encode: Callable[[T], Mapping[str, Any]]) -> Memo[T]:
    """The result under ``key``: ``decode``-d from the store when it is there and serves, else
    ``compute()``-d and stored as ``encode(result)`` (the keyword arguments of
    :meth:`cache.ResultStore.put`). With ``store=None`` it is simply computed."""
    started = time.perf_counter()
    found, notice = recall(store, key, decode=decode)
    if found is not None:
        return Memo(found, from_cache=True, seconds=time.perf_counter() - started)
    value = compute()
    notice = keep(store, key, encode(value)) or notice
    return Memo(value, from_cache=False, seconds=time.perf_counter() - started, notice=notice)
