"""AppTests of the Neighbours, UMAP, Compare and Embeddings views on the tiny model."""

import numpy as np

from cache import open_store
from geometry.shuffle import max_shuffle_index
from pipeline import Request, analyse
from tests.views.apptest import PROMPT, figures, page, values


def _cached(tiny_model_dir, isolated_store, **changes):
    request = Request(model=str(tiny_model_dir), prompt=changes.pop("prompt", PROMPT), **changes)
    return analyse(request, store=open_store(isolated_store)).analysis


def test_neighbors_histogram_holds_the_angles_of_both_conditions(tiny_model_dir, isolated_store):
    structured = _cached(tiny_model_dir, isolated_store)
    app = page("neighbors", model_dir=tiny_model_dir).run()
    full = max_shuffle_index(structured.kept.size)
    next(b for b in app.button if b.label.startswith("Add the fully shuffled")).click()
    app.run()
    assert not app.exception and not app.error
    histogram = next(f for f in figures(app) if f["data"][0]["type"] == "histogram")
    assert [trace["name"] for trace in histogram["data"]] == ["structured (S=0)", f"fully shuffled (S={full})"]
    layer = structured.layers.size  # the slider starts at the last layer
    np.testing.assert_allclose(np.sort(values(histogram["data"][0]["x"])), np.sort(structured.angles[layer - 1]), rtol=1e-6)
    means = next(f for f in figures(app) if "Mean nearest-neighbour angle" in f["layout"]["title"]["text"])
    np.testing.assert_allclose(values(means["data"][0]["y"]), np.nanmean(structured.angles, axis=1), rtol=1e-5)


def test_umap_projects_every_token_and_caches_the_projection(tiny_model_dir, isolated_store):
    analysis = _cached(tiny_model_dir, isolated_store)
    app = page("projection", model_dir=tiny_model_dir, timeout=180).run()
    assert not app.exception and not app.error
    scatter = next(f for f in figures(app) if "UMAP of the token cloud" in f["layout"]["title"]["text"])
    assert values(scatter["data"][0]["x"]).size == analysis.kept.size
    store = open_store(isolated_store)
    assert any(store.get(key).spec.get("view") == "umap" for key in store.keys(kind="derived"))


def test_aligned_umap_draws_layers_and_token_path_on_fixed_axes(tiny_model_dir, isolated_store):
    """Issue 13 item 1: aligned layers share one frame; the token path's axes hold every layer."""
    analysis = _cached(tiny_model_dir, isolated_store)
    app = page("projection", model_dir=tiny_model_dir, timeout=180).run()
    app.toggle(key="umap_aligned").set_value(True).run()
    app.selectbox(key="umap_token").set_value(0).run()
    assert not app.exception and not app.error
    scatter = next(f for f in figures(app) if "UMAP of the token cloud" in f["layout"]["title"]["text"])
    path = next(f for f in figures(app) if "through the layers" in f["layout"]["title"]["text"])
    assert values(path["data"][1]["x"]).size == analysis.layers.size
    for figure in (scatter, path):
        x_range, y_range = figure["layout"]["xaxis"]["range"], figure["layout"]["yaxis"]["range"]
        assert figure["layout"]["xaxis"]["autorange"] is False
        for points in (values(scatter["data"][0]["x"]), values(path["data"][1]["x"])):
            assert x_range[0] <= points.min() and points.max() <= x_range[1]
        for points in (values(scatter["data"][0]["y"]), values(path["data"][1]["y"])):
            assert y_range[0] <= points.min() and points.max() <= y_range[1]
    assert scatter["layout"]["xaxis"]["range"] == path["layout"]["xaxis"]["range"]


def test_compare_two_prompts_draws_both_runs(tiny_model_dir, isolated_store):
    first = _cached(tiny_model_dir, isolated_store)
    other_prompt = "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun. " * 2
    second = _cached(tiny_model_dir, isolated_store, prompt=other_prompt)
    app = page("compare", model_dir=tiny_model_dir).run()
    app.radio[0].set_value("two prompts, same model").run()
    app.text_area(key="compare_prompt").set_value(other_prompt).run()
    assert not app.exception and not app.error
    comparison = next(f for f in figures(app) if "Two prompts" in f["layout"]["title"]["text"])
    assert len(comparison["data"]) == 2
    np.testing.assert_allclose(values(comparison["data"][0]["y"]), first.twonn_linear, rtol=1e-9)
    np.testing.assert_allclose(values(comparison["data"][1]["y"]), second.twonn_linear, rtol=1e-9)


def test_embeddings_view_measures_the_matrix_and_lists_it(tiny_model_dir):
    app = page("embeddings", model_dir=tiny_model_dir).run()
    next(b for b in app.button if b.label.startswith("Measure")).click()
    app.run()
    assert not app.exception and not app.error
    labels = [metric.label for metric in app.metric]
    assert "Redundancy 1 − ID/D" in labels and "Suggested LoRA rank" in labels
    bar = next(f for f in figures(app) if f["data"][0]["type"] == "bar")
    assert len(values(bar["data"][0]["y"])) == 1


def test_umap_joint_projection_shows_both_conditions(tiny_model_dir, isolated_store):
    structured = _cached(tiny_model_dir, isolated_store)
    full = max_shuffle_index(structured.kept.size)
    shuffled = _cached(tiny_model_dir, isolated_store, shuffle_index=full)
    app = page("projection", model_dir=tiny_model_dir, timeout=180).run()
    app.selectbox(key="umap_colour").set_value("shuffle condition").run()
    assert not app.exception and not app.error
    joint = next(f for f in figures(app) if "and its shuffled version" in f["layout"]["title"]["text"])
    assert [t["name"] for t in joint["data"]] == ["structured (S=0)", f"shuffled (S={full})"]
    assert [values(t["x"]).size for t in joint["data"]] == [structured.kept.size, shuffled.kept.size]
    # The joint UMAP has data buttons too (issue 13, item 10).
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels.count("Data (CSV)") == 1 and labels.count("Data (Parquet)") == 1
