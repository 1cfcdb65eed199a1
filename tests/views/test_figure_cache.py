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


def test_a_figure_is_never_served_for_another_object_at_a_dead_analysis_address():
    built_for = []

    def figure(analysis):
        built_for.append(id(analysis))
        return {"built": len(built_for)}

    first = Analysis()
    identity = id(first)
    assert built_once(figure, first) == {"built": 1}
    del first
    gc.collect()
    # CPython hands the freed memory to a later object of the same size.
    candidates = [Analysis() for _ in range(1000)]
    reused = next((candidate for candidate in candidates if id(candidate) == identity), None)
    assert reused is not None, "no object reused the address; the check below would prove nothing"
    assert built_once(figure, reused) == {"built": 2}  # built for it, not the dead analysis's figure
    assert built_for == [identity, identity]
