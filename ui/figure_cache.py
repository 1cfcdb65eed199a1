"""Figures (and their data tables) built once per analysis and reused on every rerun of a page.

Building a Plotly figure validates every property (the Layers page's five figures: ~60 ms of a
~90 ms rerun). An analysis a session keeps (``st.session_state["outcomes"]``) is the same object
on every rerun and page switch, so its figures are kept in a small LRU cache
(:func:`functools.lru_cache`, the last ``MAX_FIGURES`` built) under the analysis's identity, the
builder and its options. The analysis is held weakly: a cached figure is never served for another
object (even one that reuses a dead analysis's ``id``). The cached objects are shared and must not
be changed by callers (``show_figure`` copies a figure before restyling it).
"""

from __future__ import annotations

import functools
import weakref
from typing import Callable, TypeVar

T = TypeVar("T")
MAX_FIGURES = 128


class _Same:
    """Hashes as the identity of an object and equals only a handle of that same living object."""

    __slots__ = ("ref", "identity")

    def __init__(self, value) -> None:
        self.ref, self.identity = weakref.ref(value), id(value)

    def __hash__(self) -> int:
        return self.identity

    def __eq__(self, other) -> bool:
        return isinstance(other, _Same) and self.ref() is not None and self.ref() is other.ref()


@functools.lru_cache(maxsize=MAX_FIGURES)
def _build(builder: Callable, analysis: _Same, options: tuple):
    return builder(analysis.ref(), **dict(options))


def built_once(builder: Callable[..., T], analysis, **options) -> T:
    """``builder(analysis, **options)``, computed on the first call for this analysis object."""
    return _build(builder, _Same(analysis), tuple(sorted(options.items())))
