import numpy as np
import pytest

from cache import open_store
from pipeline import Request, analyse
from tests.views.apptest import PROMPT, figures, page, press_run, values


def _id_figure(app):
    return next(f for f in figures(app) if "Intrinsic dimension" in f["layout"]["title"]["text"])


def test_before_run_the_page_asks_for_a_run(tiny_model_dir):
    app = page("layers", model_dir=tiny_model_dir).run()
    assert not app.exception
    assert any("press **Run**" in info.value for info in app.info)


def test_run_draws_every_estimator_with_the_computed_values(tiny_model_dir, isolated_store):
    app = press_run(page("layers", model_dir=tiny_model_dir).run())
    assert not app.exception and not app.error
    figure = _id_figure(app)
    expected = analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=None).analysis
    names = [trace["name"] for trace in figure["data"] if trace.get("showlegend", True)]
    assert names == ["TwoNN (linear fit)", "TwoNN (MLE)", "GRIDE r=2", "GRIDE r=4", "GRIDE r=8"]
    # each estimator's own peak is marked, with its value and layer (not the TwoNN MLE's for all)
    annotations = [a["text"] for a in figure["layout"]["annotations"]]
    for name, series in (("GRIDE r=4", expected.gride_at(4)[0]), ("TwoNN (linear fit)", expected.twonn_linear)):
        assert f"{name}: {np.nanmax(series):.2f} @ {expected.peak_layer_of(series)}" in annotations
    linear = figure["data"][0]
    np.testing.assert_allclose(values(linear["y"]), expected.twonn_linear, rtol=1e-9)
    assert values(linear["x"]).tolist() == expected.layers.tolist()
    assert all(trace["error_y"]["visible"] for trace in figure["data"] if trace.get("showlegend", True))
    assert any(metric.value == str(expected.n_tokens) for metric in app.metric)
    # Presenting, the peak labels grow with the rest of the figure's text.
    app.session_state["presentation_mode"] = True
    app.run()
    assert not app.exception
    assert {a["font"]["size"] for a in _id_figure(app)["layout"]["annotations"]} == {16}


def test_a_revisit_is_served_from_the_cache_without_the_model(tiny_model_dir, isolated_store):
    analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=open_store(isolated_store))
    app = page("layers", model_dir=tiny_model_dir).run()  # a fresh session, no Run pressed
    assert not app.exception
    assert any("from the DuckDB cache" in message.value for message in app.success)
    assert _id_figure(app)["data"]


@pytest.mark.parametrize(
    "prompt, model, message",
    [
        ("   ", None, "empty"),
        ("Hi there", None, "at least"),
        (PROMPT, "/no/such/model/folder", "does not exist"),
    ],
)
def test_bad_input_gives_a_message_not_a_traceback(tiny_model_dir, prompt, model, message):
    app = page("layers", model_dir=model or tiny_model_dir, prompt=prompt).run()
    app = press_run(app)
    assert not app.exception
    assert any(message in error.value for error in app.error)


def _open_tab(app, name):
    app.session_state["layers_tab"] = name
    return app.run()


def test_only_the_open_tab_is_drawn_and_each_tab_shows_its_values(tiny_model_dir, isolated_store):
    app = press_run(page("layers", model_dir=tiny_model_dir).run())
    expected = analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=None).analysis
    drawn = figures(app)
    assert len(drawn) == 1 and drawn[0]["layout"]["title"]["text"].startswith("Intrinsic dimension")  # one tab ran

    overlap = figures(_open_tab(app, "Neighbourhood overlap"))
    assert not app.exception and len(overlap) == 1
    np.testing.assert_allclose(values(overlap[0]["data"][0]["y"]), expected.overlap[:, 0], rtol=1e-12)
    app.slider(key="overlap_k_slider").set_value(3).run()
    np.testing.assert_allclose(values(figures(app)[0]["data"][0]["y"]), expected.overlap[:, 2], rtol=1e-12)

    cosine = figures(_open_tab(app, "Cosine similarity"))
    np.testing.assert_allclose(values(cosine[0]["data"][0]["y"]), expected.cosine, rtol=1e-12)

    scale = figures(_open_tab(app, "Scale analysis"))[0]["data"]
    lines = [trace for trace in scale if trace.get("name", "").startswith("layer ")]
    assert len(lines) == expected.layers.size
    np.testing.assert_allclose(values(lines[-1]["y"]), expected.gride[-1], rtol=1e-12)

    _open_tab(app, "Structured vs shuffled")
    assert any("shuffle sweep" in button.label for button in app.button) and figures(app) == []


def test_a_link_with_a_tab_setting_opens_that_tab(tiny_model_dir, isolated_store):
    analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=open_store(isolated_store))
    app = page("layers", model_dir=tiny_model_dir)
    app.session_state["url_k"] = 2  # what read_url_once leaves for ?k=2
    app.run()
    assert not app.exception
    assert app.slider(key="overlap_k_slider").value == 2
    assert "k = 2" in figures(app)[0]["layout"]["title"]["text"]


def test_left_out_tokens_are_counted_in_the_one_notes_box_with_how_to_keep_them(tiny_model_dir):
    """The note on left-out tokens, the count of tokens in the cloud and the way back are one
    warning (one element on every page), not a note plus a caption under the chart."""
    prompt = "<s>" + PROMPT  # the tiny tokenizer reads "<s>" as its BOS token: a special token, left out
    app = press_run(page("layers", model_dir=tiny_model_dir, prompt=prompt).run())
    assert not app.exception
    expected = analyse(Request(model=str(tiny_model_dir), prompt=prompt), store=None).analysis
    boxes = [w.value for w in app.warning if "token cloud" in w.value]
    assert len(boxes) == 1
    assert "Left out of the token cloud: 1 special token" in boxes[0]
    assert f"{expected.kept.size} of {expected.n_tokens} tokens are in the cloud" in boxes[0]
    assert expected.kept.size == expected.n_tokens - 1
    app.session_state["keep_outlier_tokens"] = True
    app = press_run(app.run())
    kept = [w.value for w in app.warning if "token cloud" in w.value]
    assert kept and "Kept in the token cloud (as asked)" in kept[0] and "tokens are in the cloud" not in kept[0]
