"""Figures (and their data tables) built once per analysis and reused on every rerun of a page.

Building a Plotly figure validates every property (the Layers page's five figures: ~60 ms of a
~90 ms rerun). An analysis a session keeps (``st.session_state["outcomes"]``) is the same object
on every rerun and page switch, so its figures are kept under its identity, with the builder and
its options, until the analysis itself is garbage-collected. The cached objects are shared and
must not be changed by callers (``show_figure`` copies a figure before restyling it).
"""

from __future__ import annotations

import threading
import weakref
from typing import Callable, TypeVar

T = TypeVar("T")
_built: dict[tuple, object] = {}
_watched: set[int] = set()
_lock = threading.Lock()


def _forget(identity: int) -> None:
    with _lock:
        _watched.discard(identity)
        for key in [key for key in _built if key[1] == identity]:
            del _built[key]


def built_once(builder: Callable[..., T], analysis, **options) -> T:
    """``builder(analysis, **options)``, computed on the first call for this analysis object."""
    key = (f"{builder.__module__}.{builder.__qualname__}", id(analysis), tuple(sorted(options.items())))
    with _lock:
        if key in _built:
            return _built[key]  # type: ignore[return-value]
    value = builder(analysis, **options)
    with _lock:
        if id(analysis) not in _watched:
            _watched.add(id(analysis))
            weakref.finalize(analysis, _forget, id(analysis))
        _built[key] = value
    return value
