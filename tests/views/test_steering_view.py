import numpy as np
import pytest

from pipeline.steering import CONDITIONS
from tests.tiny_model import build_tiny_model
from tests.views.apptest import figures, page, values


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    # A context long enough for the bundled map texts under the tiny BPE.
    return (build_tiny_model(tmp_path_factory.mktemp("steer-a"), context=512),
            build_tiny_model(tmp_path_factory.mktemp("steer-b"), n_layers=3, hidden_size=48, context=512, seed=1))


def _press(app, label):
    next(button for button in app.button if button.label.startswith(label)).click()
    return app.run()


def test_steering_page_draws_the_grid_and_side_by_side_generations(two_models, tiny_model_dir):
    model_a, model_b = two_models
    app = page("steering", model_dir=tiny_model_dir, timeout=240)
    app.run()
    app.selectbox(key="steering_Model A (source)").set_value("Other…")
    app.selectbox(key="steering_Model B (steered)").set_value("Other…")
    app.run()
    app.text_input(key="steering_Model A (source)_text").set_value(str(model_a))
    app.text_input(key="steering_Model B (steered)_text").set_value(str(model_b))
    app.run()
    assert any("Fit the layer maps" in info.value for info in app.info)
    _press(app, "Fit the layer maps")
    assert not app.exception and not app.error
    grid = next(f for f in figures(app) if "Emb2Emb maps between hidden states" in f["layout"]["title"]["text"])
    heat = grid["data"][0]
    np.testing.assert_allclose(values(heat["x"]), np.arange(4) / 3)  # B: 3 layers, depth 0..1
    np.testing.assert_allclose(values(heat["y"]), np.arange(5) / 4)  # A: 4 layers
    app.select_slider(key="steering_strength").set_value(8.0)
    app.run()
    _press(app, "Steer")
    assert not app.exception and not app.error
    effects = next(f for f in figures(app) if f["layout"]["title"]["text"].startswith("Steering"))
    assert list(effects["data"][0]["x"]) == list(CONDITIONS[1:])
    markdown = " ".join(m.value for m in app.markdown)
    for condition in CONDITIONS:
        assert f"**{condition}**" in markdown
    assert "I think the movie was" in markdown
    again = page("steering", model_dir=tiny_model_dir, timeout=120)  # a new session: both results from the cache
    again.session_state["steering_Model A (source)"] = "Other…"
    again.session_state["steering_Model B (steered)"] = "Other…"
    again.session_state["steering_Model A (source)_text"] = str(model_a)
    again.session_state["steering_Model B (steered)_text"] = str(model_b)
    again.run()
    assert not again.exception
    assert any("from the cache" in c.value for c in again.caption)
    # Presenting, the page's controls fold into the slide's bottom strip (issue 13, item 6).
    again.session_state["presentation_mode"] = True
    again.run()
    assert not again.exception and not again.error
    assert {"Controls: models", "Controls: fit", "Controls: steering", "Controls: steer"} <= {
        e.label for e in again.expander}
