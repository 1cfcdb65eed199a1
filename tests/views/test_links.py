"""Links restore what was on screen; the layer and the token follow the user across pages (ui.url, ui.state)."""

from __future__ import annotations

from cache import open_store
from pipeline import Request, analyse
from pipeline.spec import text_hash
from tests.views.apptest import PROMPT, page, whole_app
from ui.url import PROMPT_KIND


def test_a_committed_prompt_is_kept_by_its_hash_so_a_link_restores_it_before_any_run(tiny_model_dir, isolated_store):
    pasted = "A prompt pasted but never run, " * 5
    app = page("layers", model_dir=tiny_model_dir, prompt=pasted).run()
    assert not app.exception
    digest = text_hash(pasted)
    assert app.query_params["prompt"] == [digest[:16]] or app.query_params["prompt"] == digest[:16]
    store = open_store(isolated_store)
    assert store.lookup_meta(kind=PROMPT_KIND, spec_field="prompt_sha256", prefix=digest[:16], meta_field="prompt") == pasted
    store.close()

    fresh = page("layers", model_dir=tiny_model_dir, prompt=None)
    del fresh.session_state["prompt"]
    fresh.query_params.update({"prompt": digest[:16], "max_tokens": "256", "bos": "1", "dtype": "float32"})
    fresh.run()
    assert not fresh.exception
    assert fresh.session_state["prompt"] == pasted
    assert fresh.session_state["max_tokens"] == 256 and fresh.session_state["add_special_tokens"] is True
    assert not any("not in this machine's cache" in w.value for w in fresh.warning)


def test_the_layer_and_the_token_follow_the_user_from_tokens_to_umap_and_neighbors(tiny_model_dir, isolated_store):
    analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=open_store(isolated_store))
    app = whole_app(model_dir=tiny_model_dir)
    app.switch_page("views/tokens.py").run()
    app.slider(key="tokens_layer").set_value(2).run()
    app.selectbox(key="tokens_selected").set_value(3).run()
    assert not app.exception
    assert app.query_params["layer"] in ("2", ["2"]) and app.session_state["view_token"] is not None
    token = app.session_state["view_token"]
    app.switch_page("views/neighbors.py").run()
    assert not app.exception and app.slider(key="neighbors_layer").value == 2
    app.switch_page("views/projection.py").run()
    assert not app.exception and app.slider(key="umap_layer").value == 2
    assert app.selectbox(key="umap_token").value == 3 and app.session_state["view_token"] == token


def test_the_layers_link_names_its_tab_and_carries_only_that_tabs_settings(tiny_model_dir, isolated_store):
    analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=open_store(isolated_store))
    app = page("layers", model_dir=tiny_model_dir)
    app.query_params.update({"tab": "sweep", "k": "1", "shuffle": "1", "seeds": "1"})
    app.run()
    assert not app.exception
    assert app.query_params["tab"] in ("sweep", ["sweep"])
    assert "k" not in app.query_params  # a stale k from the overlap tab no longer travels with the sweep
    assert app.query_params["seeds"] in ("1", ["1"])


def test_the_sweep_link_restores_every_chosen_s_not_only_the_largest(tiny_model_dir, isolated_store):
    """Before: the link carried only max(S), so S = {0, 1, 2} came back as {0, 2}."""
    analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=open_store(isolated_store))
    app = page("layers", model_dir=tiny_model_dir)
    app.query_params.update({"tab": "sweep", "shuffle": "1,2", "seeds": "1"})
    app.run()
    assert not app.exception
    assert app.multiselect(key="sweep_shuffles").value == [0, 1, 2]
    assert app.query_params["shuffle"] in ("1,2", ["1,2"])
    bad = page("layers", model_dir=tiny_model_dir)
    bad.query_params.update({"tab": "sweep", "shuffle": "1,99"})
    bad.run()
    assert not bad.exception and bad.multiselect(key="sweep_shuffles").value == [0, 1]
    assert any("99" in w.value for w in bad.warning)


def test_the_every_statistic_link_restores_the_chosen_statistic(tiny_model_dir, isolated_store):
    analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=open_store(isolated_store))
    first = page("layers", model_dir=tiny_model_dir)
    first.query_params.update({"tab": "statistics"})
    first.run()
    columns = first.selectbox(key="layers_statistic").options
    assert not first.exception and first.query_params["tab"] in ("statistics", ["statistics"]) and len(columns) > 1
    chosen = first.selectbox(key="layers_statistic").select_index(len(columns) - 1).run().selectbox(
        key="layers_statistic").value
    link = {name: value for name, value in dict(first.query_params).items() if name != "model"}  # a path: Run first
    again = page("layers", model_dir=tiny_model_dir)
    again.query_params.update({name: value[-1] if isinstance(value, list) else value for name, value in link.items()})
    again.run()
    assert not again.exception and again.selectbox(key="layers_statistic").value == chosen
