"""The stored analysis holds every registered statistic; a result stored by an older layout (or with
other registered statistics) is recomputed, never misread; the cache key follows every version."""

import dataclasses
import importlib

import numpy as np
import pytest

from cache import open_store
from geometry.registry import statistics
from geometry.suite import SuiteSettings
from pipeline import Request, analyse
from pipeline.analysis import KIND, from_record, layer_series, statistic_label, to_record
from pipeline.spec import statistic_versions

TEXT = ("Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. "
        "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.")


@pytest.fixture(scope="module")
def outcome(tiny_model_dir):
    return analyse(Request(model=str(tiny_model_dir), prompt=TEXT, with_token_neighbors=False), store=None)


def test_every_registered_statistic_is_stored_and_labelled(outcome):
    analysis = outcome.analysis
    n_layers = analysis.layers.size
    assert list(analysis.statistics) == [statistic.name for statistic in statistics()]
    series = layer_series(analysis)
    for statistic in statistics():
        stored = analysis.statistics[statistic.name]
        assert stored.columns == statistic.column_names(SuiteSettings())
        assert stored.values.shape == stored.errors.shape == (statistic.layers(n_layers).size, len(stored.columns))
        np.testing.assert_array_equal(stored.layers, statistic.layers(n_layers))
        for column in stored.columns:
            np.testing.assert_array_equal(series[column][1], analysis.series(column)[1])
            assert statistic_label(column) == statistic.label_of(column) != column
    # the shapes the pages read, through the shortcuts
    assert analysis.gride.shape == (n_layers, analysis.range_scalings.size)
    assert analysis.overlap.shape == (n_layers - 1, SuiteSettings().overlap_k)
    assert analysis.cosine.shape == (n_layers + 1,)
    assert statistic_label("gride_4") == "GRIDE r=4" and statistic_label("overlap_k3") == "neighbourhood overlap χ_3"
    assert statistic_label("twonn_mle") == "TwoNN (MLE)" and statistic_label("n_duplicates") == "n_duplicates"


def test_a_record_round_trips(outcome):
    restored = from_record(*to_record(outcome.analysis))
    assert restored is not None
    for column in outcome.analysis.columns:
        for got, want in zip(restored.series(column), outcome.analysis.series(column)):
            np.testing.assert_array_equal(got, want)


def _old_layout(analysis):
    """The record as the layout before the registry stored it: one array per statistic field."""
    meta, arrays = to_record(analysis)
    del meta["statistic_columns"]
    arrays = {name: array for name, array in arrays.items() if "." not in name}
    arrays |= {"twonn_linear": analysis.twonn_linear, "twonn_linear_error": analysis.twonn_linear_error,
               "twonn_mle": analysis.twonn_mle, "twonn_mle_error": analysis.twonn_mle_error,
               "gride": analysis.gride, "gride_error": analysis.gride_error, "cosine": analysis.cosine,
               "cosine_offdiagonal": analysis.cosine_offdiagonal, "overlap": analysis.overlap}
    return meta, arrays


def test_an_old_layout_or_a_missing_statistic_is_not_read(outcome):
    assert from_record(*_old_layout(outcome.analysis)) is None
    meta, arrays = to_record(outcome.analysis)
    del meta["statistic_columns"]["cosine"]
    assert from_record(meta, {name: a for name, a in arrays.items() if not name.startswith("cosine.")}) is None
    meta, arrays = to_record(outcome.analysis)
    meta["statistic_columns"]["not_registered"] = ["not_registered"]
    assert from_record(meta, arrays) is None


def test_an_old_layout_in_the_store_is_recomputed_transparently(tiny_model_dir):
    store = open_store(":memory:")
    request = Request(model=str(tiny_model_dir), prompt=TEXT, with_token_neighbors=False)
    first = analyse(request, store=store)
    meta, arrays = _old_layout(first.analysis)
    store.put(first.key, kind=KIND, spec=dataclasses.asdict(first.spec), meta=meta, arrays=arrays)
    again = analyse(request, store=store)
    assert not again.from_cache and again.key == first.key
    np.testing.assert_array_equal(again.analysis.gride, first.analysis.gride)
    assert analyse(request, store=store).from_cache  # stored again, in the current layout


def test_every_registered_version_is_in_the_key(monkeypatch):
    versions = statistic_versions()
    assert {statistic.name for statistic in statistics()} <= set(versions)
    module = importlib.import_module("geometry.gride")  # (geometry.gride is also a function's name)
    monkeypatch.setattr(module, "STATISTIC", dataclasses.replace(module.STATISTIC, version=module.STATISTIC.version + 1))
    assert statistic_versions() == {**versions, "gride": versions["gride"] + 1}
