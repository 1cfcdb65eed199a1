import numpy as np

from cache import open_store
from pipeline import corpus_stats as stats
from pipeline.corpus import CorpusConfig, load_corpus, plan_corpus, run_corpus
from prompts import Passage
from tests.views.apptest import figures, page, values

TEXTS = [
    "Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex today.",
    "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun all day long.",
    "Geometry of tokens changes with depth: intrinsic dimension rises, then falls again near the output.",
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))\nprint(add(4, 5))\nprint(add(6, 7))",
]


def test_corpus_view_draws_profiles_and_correlations_from_the_store(tiny_model_dir, isolated_store):
    store = open_store(isolated_store)
    config = CorpusConfig(model=str(tiny_model_dir), max_tokens=64)
    passages = [Passage(id=f"p{i}", text=text, source="test") for i, text in enumerate(TEXTS)]
    units = plan_corpus(passages, config, corpus="tiny-set", shuffles=[0, 2], seeds=2)
    run_corpus(units, config, sink=store)
    store.close()
    app = page("corpus", model_dir=tiny_model_dir, timeout=120).run()
    assert not app.exception and not app.error
    profile = next(f for f in figures(app) if "ID (GRIDE r=2) per layer" in f["layout"]["title"]["text"])
    names = [t["name"] for t in profile["data"] if t.get("name") and "p < 0.05" not in t["name"]]
    assert names == ["S=0 (4 passages)", "S=2 (4 passages)"]
    items = load_corpus(open_store(isolated_store), "tiny-set")
    expected = stats.id_profile(items, estimator="gride_2")
    line = next(t for t in profile["data"] if t.get("name") == "S=0 (4 passages)")
    np.testing.assert_allclose(values(line["y"]), expected[expected.shuffle_index == 0].sort_values("layer")["mean"])
    assert any("Correlation of intrinsic dimension" in f["layout"]["title"]["text"] for f in figures(app))
    logits = next(f for f in figures(app) if "logits ID with contextual entropy" in f["layout"]["title"]["text"])
    expected_logits = stats.logits_entropy_table(items, shuffle_index=0)
    np.testing.assert_allclose(values(logits["data"][0]["y"]), expected_logits.pearson_r)
    assert values(logits["data"][0]["x"]).tolist() == expected_logits.range_scaling.tolist()
    # Presenting, the page's controls fold into the slide's bottom strip (issue 13, item 6).
    app.session_state["presentation_mode"] = True
    app.run()
    assert not app.exception and not app.error
    assert {"Controls: prompt sets", "Controls: prompt set", "Controls: estimator"} <= {e.label for e in app.expander}


def test_corpus_view_without_results_says_how_to_start(tiny_model_dir):
    app = page("corpus", model_dir=tiny_model_dir).run()
    assert not app.exception
    assert any("No prompt set has been analysed yet" in info.value for info in app.info)
