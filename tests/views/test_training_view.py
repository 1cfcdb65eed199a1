"""AppTests of the Training view: a checkpoint series and a LoRA sweep from the store, drawn with
the stored numbers; bad checkpoint folders give a message, not a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from cache import open_store
from lm import load_model, resolve_model
from pipeline.checkpoints import checkpoints_from_folders, measure_series
from pipeline.lora_sweep import SweepSettings, run_sweep
from tests.tiny_checkpoints import train_tiny_checkpoints
from tests.views.apptest import PROMPT, figures, page, values


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return train_tiny_checkpoints(tmp_path_factory.mktemp("trainer-output"), steps=4, save_every=2)


def test_the_view_draws_the_stored_series_and_sweep(run_dir, tiny_model_dir, isolated_store):
    store = open_store(isolated_store)
    series = measure_series("tiny run", checkpoints_from_folders([run_dir]), store=store, prompt=PROMPT)
    loaded = load_model(resolve_model(str(tiny_model_dir)))
    settings = SweepSettings(block_tokens=16, train_blocks=8, heldout_blocks=4, steps=2, batch_size=2)
    sweep = run_sweep(loaded, ranks=[1, 2], settings=settings, intrinsic_dimension=1.5, put=store.put)
    store.close()

    app = page("training", model_dir=tiny_model_dir).run()
    assert not app.exception and not app.error
    drawn = figures(app)
    ids = next(f for f in drawn if "token-embedding matrix across training" in f["layout"]["title"]["text"])
    np.testing.assert_allclose(values(ids["data"][0]["x"]), [2, 4])
    np.testing.assert_allclose(values(ids["data"][0]["y"]), [p.embedding.id_twonn for p in series.points])
    np.testing.assert_allclose(values(ids["data"][2]["y"]), [100 * p.embedding.redundancy for p in series.points])
    heatmap = next(f for f in drawn if "Layer ID profile" in f["layout"]["title"]["text"])
    z = heatmap["data"][0]["z"]
    z = values(z).reshape(2, -1) if isinstance(z, dict) else np.asarray(z, dtype=float)
    np.testing.assert_allclose(z, np.vstack([p.layer_id for p in series.points]))
    lora = next(f for f in drawn if "LoRA rank" in f["layout"]["title"]["text"])
    np.testing.assert_allclose(values(lora["data"][0]["x"]), [1, 2])
    np.testing.assert_allclose(values(lora["data"][0]["y"]), [r.perplexity for r in sweep[1:]])
    summary = " ".join(block.value for block in app.markdown)
    assert f"Without an adapter the held-out perplexity is {sweep[0].perplexity:.3f}." in summary
    best = min(sweep[1:], key=lambda r: r.perplexity)
    assert f"is at rank {best.rank}" in summary
    # Presenting, the page's controls fold into the slide's bottom strip (issue 13, item 6).
    app.session_state["presentation_mode"] = True
    app.run()
    assert not app.exception and not app.error
    labels = {e.label for e in app.expander}
    assert {"Controls: checkpoints", "Controls: series", "Controls: axis", "Controls: sweep"} <= labels
    assert "Add checkpoints to a series" not in labels and len(figures(app)) == len(drawn)


def test_a_folder_without_checkpoints_gives_a_message(tiny_model_dir, tmp_path):
    app = page("training", model_dir=tiny_model_dir).run()
    app.text_area(key="training_folders").set_value(str(tmp_path)).run()
    next(b for b in app.button if b.label == "Measure the checkpoints").click()
    app.run()
    assert not app.exception
    assert any("no checkpoint-<step> folders" in error.value for error in app.error)


def test_checkpoints_measured_from_the_page_are_drawn(run_dir, tiny_model_dir):
    app = page("training", model_dir=tiny_model_dir, timeout=180).run()
    app.text_area(key="training_folders").set_value(str(run_dir)).run()
    app.text_input(key="training_name").set_value("from the page").run()
    next(b for b in app.button if b.label == "Measure the checkpoints").click()
    app.run()
    assert not app.exception and not app.error
    ids = next(f for f in figures(app) if "token-embedding matrix across training" in f["layout"]["title"]["text"])
    np.testing.assert_allclose(values(ids["data"][0]["x"]), [2, 4])
    assert any("Layer ID profile" in f["layout"]["title"]["text"] for f in figures(app))
