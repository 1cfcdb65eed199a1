"""The Layers, Compare and Corpus pages offer every registered per-layer statistic (geometry.registry),
and draw the stored values of the one chosen: a statistic added to the registry appears on them."""

import numpy as np

from cache import open_store
from geometry.registry import owner, statistics
from pipeline import Request, analyse
from pipeline import corpus_stats as stats
from pipeline.analysis import statistic_label
from pipeline.corpus import CorpusConfig, load_corpus, plan_corpus, run_corpus
from prompts import Passage
from tests.views.apptest import PROMPT, figures, page, press_run, values


def _first_columns(analysis) -> list[str]:
    """One column of each registered statistic."""
    return [analysis.statistics[statistic.name].columns[0] for statistic in statistics()]


def test_the_layers_page_offers_and_draws_every_registered_statistic(tiny_model_dir, isolated_store):
    app = press_run(page("layers", model_dir=tiny_model_dir).run())
    expected = analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=None).analysis
    app.session_state["layers_tab"] = "Every statistic"
    app.run()
    assert not app.exception and not app.error
    choice = app.selectbox(key="layers_statistic")
    assert choice.options == [statistic_label(column) for column in expected.columns]
    for column in _first_columns(expected):
        choice.set_value(column).run()
        (figure,) = figures(app)
        assert figure["layout"]["title"]["text"].startswith(f"{statistic_label(column)} per layer")
        layers, series, errors = expected.series(column)
        trace = figure["data"][0]
        np.testing.assert_allclose(values(trace["y"]), series, rtol=1e-12)
        assert values(trace["x"]).tolist() == layers.tolist()
        assert trace["error_y"]["visible"] == owner(column).with_error


def test_every_layers_tab_is_a_slide_of_the_presentation():
    """Presentation mode steps through the Layers tabs by name: a tab missing there (as "Every
    statistic" was) sent "next" back to the first slide."""
    import ast
    from pathlib import Path

    from ui.present import LAYERS_TABS

    source = ast.parse((Path(__file__).resolve().parents[2] / "views" / "layers.py").read_text(encoding="utf-8"))
    tabs = next(node.value for node in ast.walk(source) if isinstance(node, ast.Assign)
                and getattr(node.targets[0], "id", None) == "TABS")
    assert tuple(key.value for key in tabs.keys) == LAYERS_TABS


def test_a_link_opens_the_tab_at_its_statistic(tiny_model_dir, isolated_store):
    analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=open_store(isolated_store))
    app = page("layers", model_dir=tiny_model_dir)
    app.session_state["url_tab"], app.session_state["url_statistic"] = "statistics", "gride_4"  # ?tab=…&statistic=…
    app.run()
    assert not app.exception
    assert app.selectbox(key="layers_statistic").value == "gride_4"
    assert figures(app)[0]["layout"]["title"]["text"].startswith("GRIDE r=4 per layer")
    assert app.query_params["tab"] == "statistics" and app.query_params["statistic"] == "gride_4"


def test_the_compare_page_offers_the_registered_statistics(tiny_model_dir, isolated_store):
    store = open_store(isolated_store)
    other_prompt = "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun. " * 2
    first = analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=store).analysis
    analyse(Request(model=str(tiny_model_dir), prompt=other_prompt), store=store)
    store.close()
    app = page("compare", model_dir=tiny_model_dir).run()
    app.radio[0].set_value("two prompts, same model").run()
    app.text_area(key="compare_prompt").set_value(other_prompt).run()
    assert not app.exception and not app.error
    measure = next(box for box in app.selectbox if box.label == "Measure")
    offered = [c for statistic in statistics() for c in statistic.offered(first.statistics[statistic.name].columns)]
    assert measure.options == [statistic_label(column) for column in offered]
    shown = {"TwoNN (linear fit)", "GRIDE r=8", "neighbourhood overlap χ_1", "mean cosine similarity"}
    assert shown <= set(measure.options)
    measure.set_value("cosine").run()
    comparison = next(f for f in figures(app) if "Two prompts" in f["layout"]["title"]["text"])
    np.testing.assert_allclose(values(comparison["data"][0]["y"]), first.cosine, rtol=1e-9)


def test_the_corpus_page_offers_every_registered_statistic(tiny_model_dir, isolated_store):
    store = open_store(isolated_store)
    config = CorpusConfig(model=str(tiny_model_dir), max_tokens=64)
    passages = [Passage(id=f"p{i}", text=PROMPT[i * 7:] + " and so on, again and again.", source="test")
                for i in range(3)]
    run_corpus(plan_corpus(passages, config, corpus="tiny-set", shuffles=[0, 2], seeds=1), config, sink=store)
    store.close()
    app = page("corpus", model_dir=tiny_model_dir, timeout=120).run()
    assert not app.exception and not app.error
    items = load_corpus(open_store(isolated_store), "tiny-set")
    columns = items[0].analysis.columns
    choice = app.selectbox(key="corpus_statistic")
    assert choice.options == [statistic_label(column) for column in columns]
    estimators = next(box for box in app.selectbox if box.label == "Estimator")
    assert estimators.options == [statistic_label(c) for c in columns if owner(c).dimension]
    for column in _first_columns(items[0].analysis):
        choice.set_value(column).run()
        profile = next(f for f in figures(app)
                       if f["layout"]["title"]["text"].startswith(f"{statistic_label(column)} per layer"))
        expected = stats.layer_profile(items, statistic=column)
        line = next(t for t in profile["data"] if t.get("name") == "S=0 (3 passages)")
        np.testing.assert_allclose(values(line["y"]), expected[expected.shuffle_index == 0].sort_values("layer")["mean"])
