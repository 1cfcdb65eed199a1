"""Figures built once per analysis object (ui/figure_cache.py)."""

import gc

from ui.figure_cache import built_once


class Analysis:  # stands in for pipeline.Analysis: any object that can be weakly referenced
    pass


def test_built_once_per_analysis_and_options():
    calls = []

    def figure(analysis, *, k=1):
        calls.append(k)
        return {"k": k}

    first, second = Analysis(), Analysis()
    assert built_once(figure, first, k=1) is built_once(figure, first, k=1)
    assert built_once(figure, first, k=2) == {"k": 2}
    assert built_once(figure, second, k=1) == {"k": 1}
    assert calls == [1, 2, 1]


def test_a_dead_analysis_key_never_matches_an_object_that_reuses_its_address():
    from ui.figure_cache import _Same

    first = Analysis()
    stale = _Same(first)  # the key of first's cached figures
    del first
    gc.collect()
    other = Analysis()
    at_same_address = _Same(other)
    at_same_address.identity = stale.identity  # what CPython gives when it reuses first's memory
    assert hash(at_same_address) == hash(stale)
    assert at_same_address != stale and stale != at_same_address and stale != _Same(other)
    assert _Same(other) == _Same(other)  # a living object's keys match
