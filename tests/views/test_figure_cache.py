"""Figures built once per analysis object (ui/figure_cache.py)."""

import gc

from ui import figure_cache
from ui.figure_cache import built_once


class Analysis:  # stands in for pipeline.Analysis: any object that can be weakly referenced
    pass


def test_built_once_per_analysis_and_options_then_forgotten_with_the_analysis():
    calls = []

    def figure(analysis, *, k=1):
        calls.append(k)
        return {"k": k}

    first, second = Analysis(), Analysis()
    assert built_once(figure, first, k=1) is built_once(figure, first, k=1)
    assert built_once(figure, first, k=2) == {"k": 2}
    assert built_once(figure, second, k=1) == {"k": 1}
    assert calls == [1, 2, 1]
    identity = id(first)
    del first
    gc.collect()
    assert [key[1] for key in figure_cache._built if key[0].endswith(".figure")] == [id(second)]
    assert identity not in figure_cache._watched
