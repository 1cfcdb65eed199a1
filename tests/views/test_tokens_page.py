import re

import numpy as np

from cache import open_store
from pipeline import Request, analyse
from ui.figures.tokens import UNCLUSTERED, cluster_colour
from tests.views.apptest import PROMPT, figures, html_bodies, page, press_run, values


def lle_weights_shown(app) -> list[float]:
    """The LLE weights in the page's neighbour table (its last column, to 4 decimals)."""
    body = next((body for body in html_bodies(app) if "tg-table neighbors" in body), "")
    return [float(cells[-1]) for cells in (re.findall(r"<td>([^<]*)</td>", row) for row in
                                           re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)) if cells]


def test_tokens_page_paints_text_lists_clusters_and_neighbors(tiny_model_dir):
    app = press_run(page("tokens", model_dir=tiny_model_dir).run())
    assert not app.exception and not app.error
    expected = analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=None).analysis
    heatmap = next(f for f in figures(app) if f["data"][0]["type"] == "heatmap")["data"][0]
    z = heatmap["z"]
    z = np.asarray(values(z)).reshape(expected.local_id.shape) if isinstance(z, dict) else np.asarray(z, dtype=float)
    np.testing.assert_allclose(z, expected.local_id, rtol=1e-6)
    tokens = [expected.tokens[i] for i in expected.kept]
    assert heatmap["x"] == [f"#{i} {t!r}" for i, t in zip(expected.kept, tokens)]  # hover names the token
    assert "customdata" not in heatmap  # one label per column, not a copy per cell
    painted = html_bodies(app)
    assert any("local ID (k=10" in body for body in painted)
    painted_text = next(body for body in painted if "local ID (k=10" in body)
    assert painted_text.count("<span title=") == expected.n_tokens  # every token, in the cloud or not
    section = next(body for body in painted if 'class="tg-table clusters"' in body)
    rows = re.findall(r'<tr><td><span class="swatch" style="background:(#[0-9A-Fa-f]{6})"></span></td>'
                      r"<td>([^<]*)</td><td[^>]*>([^<]*)</td><td[^>]*>(\d+)</td>", section)
    colours, names, means, sizes = zip(*rows)
    assert sum(map(int, sizes)) == expected.kept.size
    assert names[-1] == "not clustered" and means[-1] == ""  # the high-local-ID half, in grey
    assert int(sizes[-1]) == expected.kept.size - np.ceil(expected.kept.size / 2)
    assert list(map(float, means[:-1])) == sorted(map(float, means[:-1]))
    # Each swatch has its cluster's colour, the colour its tokens have in the text above the table.
    assert list(colours) == [cluster_colour(int(name)) for name in names[:-1]] + [UNCLUSTERED]
    assert all(f"color:{colour}" in section for colour in colours)
    weights = lle_weights_shown(app)
    assert len(weights) == expected.neighbor_indices.shape[-1] and abs(sum(weights) - 1.0) < len(weights) * 5e-5 + 1e-6


def test_layer_slider_changes_the_painted_layer(tiny_model_dir, isolated_store):
    analyse(Request(model=str(tiny_model_dir), prompt=PROMPT), store=open_store(isolated_store))
    app = page("tokens", model_dir=tiny_model_dir).run()
    assert not app.exception
    app.slider(key="tokens_layer").set_value(2).run()
    assert any("layer 2)" in body for body in html_bodies(app))
    # The page's export holds the two HTML tables' data, at the slider's layer, with provenance.
    registered = app.session_state["_page_figures"]
    for name in ("token-clusters", "token-neighbours"):
        figure, data, _ = registered[name]
        assert figure is None and set(data.layer) == {2} and "prompt_sha256" in data.columns


def test_a_corpus_result_without_neighbor_lists_says_so_and_run_adds_them(tiny_model_dir, isolated_store):
    store = open_store(isolated_store)
    analyse(Request(model=str(tiny_model_dir), prompt=PROMPT, with_token_neighbors=False), store=store)
    store.close()
    app = page("tokens", model_dir=tiny_model_dir).run()
    assert not app.exception and not app.error
    assert any("corpus run" in info.value for info in app.info)
    assert not lle_weights_shown(app)
    app = press_run(app)
    assert not app.exception and not any("corpus run" in info.value for info in app.info)
    weights = lle_weights_shown(app)
    assert weights and abs(sum(weights) - 1.0) < len(weights) * 5e-5 + 1e-6


def test_cjk_and_emoji_tokens_show_their_characters(tiny_model_dir):
    """Issue 13, item 3: the tiny byte-level tokenizer splits 日本 and 🙂 into byte tokens."""
    prompt = "日本の本 🙂 " + PROMPT
    app = press_run(page("tokens", model_dir=tiny_model_dir, prompt=prompt).run())
    assert not app.exception and not app.error
    painted = " ".join(html_bodies(app))
    assert "\ufffd" not in painted and "⟨日" in painted and "⟨🙂" in painted
    picker = app.selectbox(key="tokens_selected")
    assert picker.options and not any("\ufffd" in option for option in picker.options)


def test_tokens_left_out_of_the_cloud_stay_in_the_painted_text(tiny_model_dir):
    """With BOS, the special token is left out of the geometry but still shown (unpainted)."""
    app = page("tokens", model_dir=tiny_model_dir)
    app.session_state["add_special_tokens"] = True
    app = press_run(app.run())
    assert not app.exception and not app.error
    expected = analyse(Request(model=str(tiny_model_dir), prompt=PROMPT, add_special_tokens=True), store=None).analysis
    painted = next(body for body in html_bodies(app) if "local ID (k=10" in body)
    assert painted.count("<span title=") == expected.n_tokens
    if expected.kept.size < expected.n_tokens:
        assert "#0: no local ID" in painted
