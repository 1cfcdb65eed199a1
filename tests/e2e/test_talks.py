"""Issue 13 in a real browser: runs that survive, links that restore the view, the layer and the
token followed across pages, presentation mode, exports, the uploader's limit.

One browser context for the module (one Streamlit session, one model run), reused by the tests in
order; a fresh context only where a link must be opened as a new session would open it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.e2e.conftest import APP_TIMEOUT, RUN_TIMEOUT, browser_page
from tests.e2e.test_browser import EXCEPTION, PLOT, assert_no_exception, open_app, press_run, set_prompt, sidebar, \
    wait_for_app

# Distinct from the other e2e module's prompt, so the first Run computes.
PROMPT = ("A lighthouse keeper writes in his log every night: the wind from the west, the lamp trimmed, "
          "two ships passing to the south. In winter the storms are long and the supply boat is late; "
          "he reads old letters and listens to the radio until the sea is calm again.")


def query(url: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlsplit(url).query).items()}


def nav(page, title: str) -> None:
    """Open a page from the sidebar's navigation (again, if a click during a rerun was lost)."""
    link = page.locator('[data-testid="stSidebarNav"] a', has_text=title).first
    target = urlsplit(link.get_attribute("href")).path
    for _ in range(3):
        link.click()
        try:
            page.wait_for_function(f"() => location.pathname === {target!r}", timeout=15_000)
            break
        except Exception:  # playwright's TimeoutError
            wait_for_app(page, timeout=RUN_TIMEOUT)
    page.wait_for_timeout(300)
    wait_for_app(page, timeout=RUN_TIMEOUT)


def open_tab(page, name: str, tab: str) -> dict[str, str]:
    """Click a Layers tab and wait until its rerun has written the tab into the URL (the click
    starts a rerun a moment later, so the app can still read as idle right after it)."""
    page.get_by_role("tab", name=name).click()
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('tab') === {tab!r}", timeout=RUN_TIMEOUT)
    wait_for_app(page)
    return query(page.url)


def chart_boxes(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(e => {
        const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; })""")


def step(page, action, path: str) -> None:
    """Press next/previous until the page's path is ``path`` (a press that lands while the page is
    rerunning, e.g. for the window-size report, can be lost; a person would press again)."""
    for _ in range(3):
        action()
        try:
            page.wait_for_function(f"() => location.pathname.endsWith('{path}')", timeout=15_000)
            return
        except Exception:  # playwright's TimeoutError: try once more
            wait_for_app(page)
    assert urlsplit(page.url).path.endswith(path), page.url


@pytest.fixture(scope="module")
def session(browser, app_url):
    """One page (one Streamlit session) at 1280×720 for the whole module."""
    with browser_page(browser, app_url, width=1280, height=720, accept_downloads=True) as page:
        yield page


@pytest.fixture
def shoot(session, artifacts_dir, request):
    from tests.e2e.conftest import Shots

    return Shots(session, artifacts_dir, request.node.name)


def test_a_run_survives_a_second_click_and_a_page_switch_and_says_what_it_does(session, shoot):
    page = session
    open_app(page)
    set_prompt(page, PROMPT)
    press_run(page)
    status = page.locator('[data-testid="stExpanderDetails"]', has_text="elapsed").first
    status.wait_for(timeout=RUN_TIMEOUT)
    shoot("progress")
    first = int(re.search(r"(\d+) s elapsed", status.inner_text()).group(1))
    page.wait_for_timeout(1500)
    press_run(page)  # a second click attaches to the running job; it does not restart it
    page.wait_for_timeout(1200)
    if page.locator("text=elapsed").count():  # still running: the clock went on
        again = int(re.search(r"(\d+) s elapsed", page.locator("text=elapsed").first.inner_text()).group(1))
        if again >= first + 1:  # the same run, its clock went on
            nav(page, "Tokens")  # leave mid-run, then the result is shown on the page we went to
        else:  # the run had ended before the click (a fast machine, the model already loaded): the second
            # click must be served from the cache, never computed again
            page.get_by_text("from the DuckDB cache").first.wait_for(timeout=RUN_TIMEOUT)
    page.wait_for_selector(PLOT, timeout=RUN_TIMEOUT)
    wait_for_app(page, timeout=RUN_TIMEOUT)
    shoot("result-after-switch")
    assert_no_exception(page)
    assert page.get_by_text("Computed in").count() + page.get_by_text("from the DuckDB cache").count() >= 1


def test_the_layers_token_list_is_filled_when_opened(session, shoot):
    """The Layers page's list of tokens is sent only once its expander is opened (a data grid in a
    closed expander cost every page switch); opened, it lists every token."""
    page = session
    nav(page, "Layers")
    main = page.locator('[data-testid="stMain"]')
    expander = main.locator('[data-testid="stExpander"]', has_text=re.compile(r"The \d+ tokens")).first
    assert expander.locator('[data-testid="stDataFrame"]').count() == 0
    expander.locator("summary").click()
    expander.locator('[data-testid="stDataFrame"]').wait_for(timeout=APP_TIMEOUT)
    wait_for_app(page)
    shoot("token-list-open")
    assert_no_exception(page)


def test_quick_slider_presses_leave_the_link_on_the_slider_layer(session, shoot):
    """Presses faster than a rerun interrupt the run that wrote the URL; the link must still end on
    the layer the slider shows (it once stayed one press behind for over a minute)."""
    page = session
    if "/tokens" not in page.url:
        nav(page, "Tokens")
    slider = main_slider(page)
    for key, pause in (("ArrowLeft", 0), ("ArrowRight", 60), ("ArrowLeft", 150), ("ArrowRight", 400)):
        slider.focus()
        for _ in range(3):
            slider.press(key)
            page.wait_for_timeout(pause)
        wait_for_app(page)
        shown = slider.get_attribute("aria-valuenow") or slider.get_attribute("aria-valuetext")
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('layer') === {shown!r}",
                               timeout=10_000)
    shoot("after-quick-presses")


def test_the_layer_and_a_clicked_token_follow_to_umap_and_into_the_link(session, shoot, browser, app_url):
    page = session
    if "/tokens" not in page.url:
        nav(page, "Tokens")
    slider = main_slider(page)
    slider.focus()
    for _ in range(3):
        slider.press("ArrowLeft")
        page.wait_for_timeout(400)
    wait_for_app(page)
    layer = query(page.url)["layer"]
    span = page.locator(".painted-root span").nth(4)
    for _ in range(40):  # the component's script makes the tokens clickable once it has run
        if span.evaluate("e => getComputedStyle(e).cursor") == "pointer":
            break
        page.wait_for_timeout(250)
    span.click()
    page.wait_for_function("() => location.search.includes('token=')", timeout=APP_TIMEOUT)
    wait_for_app(page)
    shoot("token-clicked")
    token = query(page.url).get("token")
    assert token is not None
    # The clicked token is outlined, and only it (the text is in the component's shadow root, which
    # Playwright's locators enter and document.querySelector does not).
    chosen = page.locator(".painted-root span.chosen")
    chosen.wait_for()
    assert chosen.count() == 1 and chosen.evaluate("e => getComputedStyle(e).outlineWidth") == "3px"
    assert chosen.evaluate("e => [...e.closest('.painted-root').querySelectorAll('span')].indexOf(e)") == 4
    nav(page, "UMAP")
    page.wait_for_selector(PLOT, timeout=RUN_TIMEOUT)
    wait_for_app(page, timeout=RUN_TIMEOUT)
    shoot("umap")
    assert query(page.url)["layer"] == layer and query(page.url)["token"] == token
    highlighted = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(
        gd => gd.data.filter(t => String(t.mode || '').includes('text')).map(t => t.name || 'highlight'))""")
    assert highlighted, "the token picked on Tokens is not highlighted on the UMAP"
    assert_no_exception(page)

    # A click on a UMAP point selects that token (here, and in the link).
    page.locator(PLOT).first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    point = page.evaluate("""() => {
        const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
            g => /UMAP of the token cloud/.test(String(g._fullLayout.title.text)));
        const trace = gd._fullData[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        const box = gd.getBoundingClientRect(), index = 9;
        return {x: box.left + xa._offset + xa.l2p(trace.x[index]), y: box.top + ya._offset + ya.l2p(trace.y[index])};
    }""")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_timeout(800)
    wait_for_app(page, timeout=RUN_TIMEOUT)
    shoot("umap-point-clicked")
    assert query(page.url)["token"] != token
    token = query(page.url)["token"]

    # The link opens the same view in a new session, without a Run (the result is cached).
    link = page.url
    other = browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 720})
    try:
        fresh = other.new_page()
        fresh.goto(link)
        wait_for_app(fresh, timeout=RUN_TIMEOUT)
        fresh.wait_for_selector(PLOT, timeout=RUN_TIMEOUT)
        wait_for_app(fresh, timeout=RUN_TIMEOUT)
        assert query(fresh.url)["layer"] == layer and query(fresh.url)["token"] == token
        assert fresh.get_by_role("textbox", name="Prompt", exact=True).input_value() == PROMPT
        assert {"dtype", "max_tokens", "bos"} <= set(query(fresh.url))
        assert fresh.locator(EXCEPTION).count() == 0
    finally:
        other.close()


def test_a_prompt_committed_without_run_survives_a_reload(session, shoot):
    page = session
    pasted = PROMPT.replace("lighthouse keeper", "night watchman")
    set_prompt(page, pasted)
    page.reload()
    wait_for_app(page)
    shoot("reloaded-before-run")
    assert sidebar(page).get_by_role("textbox", name="Prompt", exact=True).input_value() == pasted
    assert page.get_by_text("not in this machine's cache").count() == 0
    set_prompt(page, PROMPT)


def test_the_layers_link_names_the_open_tab_and_only_its_settings(session, shoot):
    page = session
    nav(page, "Layers")
    assert "k" in open_tab(page, "Neighbourhood overlap", "overlap")
    params = open_tab(page, "Structured vs shuffled", "sweep")
    shoot("sweep-tab")
    assert params["tab"] == "sweep" and "k" not in params and {"shuffle", "seeds", "estimator"} <= set(params)


# Position, height and colour of the band behind presentation mode's folded controls.
BAND = """() => { const s = getComputedStyle(document.querySelector('[data-testid="stMain"]'), '::after');
    return [s.position, s.height, s.backgroundColor]; }"""


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["720p", "1080p"])
def test_presentation_mode_fits_title_and_figure_and_moves_by_arrow_keys(session, shoot, size):
    page = session
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    try:
        nav(page, "Neighbours")
        page.goto(page.url + "&present=1")
        wait_for_app(page)
        page.wait_for_selector(PLOT)
        page.wait_for_timeout(1500)  # the window's size is reported, the figure is resized once
        wait_for_app(page)
        shoot(f"present-{width}")
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        title = page.locator("h1").first.bounding_box()
        first = chart_boxes(page)[0]
        assert title["y"] >= 0 and first["top"] > title["y"] and first["bottom"] <= height, (title, first, height)
        # The folded controls sit on an opaque band: the next figure does not show between them.
        position, band, colour = page.evaluate(BAND)
        assert position == "fixed" and band == "64px" and colour not in ("rgba(0, 0, 0, 0)", "transparent")
        assert first["bottom"] <= height - 64 + 1, (first, height)
        step(page, lambda: page.locator("body").press("ArrowRight"), "/umap")
        wait_for_app(page, timeout=RUN_TIMEOUT)
        assert query(page.url).get("present") == "1"
        step(page, lambda: page.get_by_role("button", name="Previous").click(), "/neighbours")
        wait_for_app(page)
        page.get_by_role("button", name="Leave").click()
        page.wait_for_function("() => !location.search.includes('present=1')", timeout=APP_TIMEOUT)
        wait_for_app(page)
        page.locator('[data-testid="stSidebar"]').wait_for(state="visible")
        assert page.evaluate(BAND)[0] != "fixed"  # no band outside presentation mode
    finally:  # leave presentation mode even after a failure, so the module's later tests start from a normal page
        page.set_viewport_size({"width": 1280, "height": 720})
        params = query(page.url)
        if params.pop("present", None) is not None:
            page.goto(urlsplit(page.url)._replace(query=urlencode(params)).geturl())
            wait_for_app(page, timeout=RUN_TIMEOUT)


def test_neighbors_marks_the_current_layer_and_exports_named_data_and_a_page_zip(session, shoot):
    page = session
    if "/neighbours" not in page.url:
        nav(page, "Neighbours")
    layer = int(query(page.url)["layer"])
    assert_marked(layer_mark(page, "across layers"), layer)

    with page.expect_download() as csv:
        page.get_by_role("button", name="Data (CSV)").first.click()
    name = csv.value.suggested_filename
    assert name.startswith("SmolLM2-135M-Instruct_") and f"layer-{layer}" in name
    header = open(csv.value.path(), encoding="utf-8").readline().strip().split(",")
    assert {"model", "prompt_sha256", "shuffle_index", "seed", "estimator"} <= set(header)

    with page.expect_download(timeout=RUN_TIMEOUT) as bundle:
        sidebar(page).get_by_role("button", name="Export this page (zip)").click()
    archive = zipfile.ZipFile(io.BytesIO(open(bundle.value.path(), "rb").read()))
    names = set(archive.namelist())
    assert {"manifest.json", "nn-angles.png", "nn-angles.svg", "nn-angles.csv", "mean-nn-angle-per-layer.png"} <= names
    manifest = json.loads(archive.read("manifest.json"))
    assert query(manifest["permalink"])["layer"] == str(layer)
    assert_no_exception(page)


FIGURE = """(words) => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
        g => String(g._fullLayout.title.text || '').includes(words));
    if (!gd) return null;
    const box = gd.getBoundingClientRect();
    return {traces: gd._fullData.map(t => ({name: t.name, legend: t.showlegend !== false, hover: t.hovertemplate || '',
                                            scale: !!(t.marker && t.marker.showscale)})),
            annotations: (gd._fullLayout.annotations || []).map(a => String(a.text)),
            shapes: (gd._fullLayout.shapes || []).map(s => ({x0: s.x0, y0: s.y0, y1: s.y1})),
            labels: [...gd.querySelectorAll('.annotation')].map(e => {
                const r = e.getBoundingClientRect(); return {text: e.textContent, left: r.left, right: r.right,
                                                             top: r.top, bottom: r.bottom}; }),
            top: box.top, bottom: box.bottom};
}"""


MARK = """(words) => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
        g => String(g._fullLayout.title.text || '').includes(words));
    const mark = gd && gd.querySelector('.tg-layer-mark');
    if (!mark) return null;
    const box = mark.getBoundingClientRect(), plot = gd.querySelector('.nsewdrag').getBoundingClientRect();
    const centres = (selector, x) => [...gd.querySelectorAll(selector)].map(t => {
        const r = t.getBoundingClientRect(); return [t.textContent, x ? r.left + r.width / 2 : r.top + r.height / 2]; });
    return {layer: Number(mark.dataset.layer), text: mark.textContent, along: box.width > 2 ? 'y' : 'x',
            top: box.top, bottom: box.bottom, left: box.left, right: box.right, plot: {left: plot.left, right: plot.right,
            top: plot.top, bottom: plot.bottom}, x: centres('.xtick text', true), y: centres('.ytick text', false)};
}"""


def layer_mark(page, words: str, layer: int | None = None, timeout: float = APP_TIMEOUT) -> dict:
    """The current-layer mark laid over the chart whose title has ``words`` (ui.layer_mark), once
    it shows ``layer`` (any layer if None)."""
    page.wait_for_function(f"() => {{ const m = ({MARK})({words!r}); return m !== null && "
                           f"({layer is None and 'true' or f'm.layer === {layer}'}); }}", timeout=timeout)
    return page.evaluate(MARK, words)


def pixel_of(ticks: list, value: float) -> float:
    """Where ``value`` is on an axis, from two of its numbered tick labels (not from the code
    that placed the mark)."""
    numbered = [(float(text), at) for text, at in ticks if text.strip().lstrip("−-").isdigit()]
    (v0, p0), (v1, p1) = numbered[0], numbered[-1]
    return p0 + (value - v0) * (p1 - p0) / (v1 - v0)


def assert_marked(mark: dict, layer: int) -> None:
    """The mark names ``layer`` and sits where the chart's axis has it: a vertical line at x = layer
    spanning the plot, or an outline of the row layer ± 0.5 across the plot (within 2 px)."""
    assert mark["layer"] == layer and mark["text"] == f"current layer {layer}"
    plot = mark["plot"]
    if mark["along"] == "x":
        assert abs(mark["left"] - pixel_of(mark["x"], layer)) <= 2
        assert abs(mark["top"] - plot["top"]) <= 2 and abs(mark["bottom"] - plot["bottom"]) <= 2
    else:
        row = abs(pixel_of(mark["y"], layer + 0.5) - pixel_of(mark["y"], layer - 0.5))
        assert abs((mark["top"] + mark["bottom"]) / 2 - pixel_of(mark["y"], layer)) <= 2
        assert abs(mark["bottom"] - mark["top"] - row) <= 2
        assert abs(mark["left"] - plot["left"]) <= 2 and abs(mark["right"] - plot["right"]) <= 2


def main_slider(page):
    """The first slider of the page itself (the layer slider), never the sidebar's: once the prompt
    loader's expander has been opened, its "Passage length" slider comes first in the document."""
    return page.locator('[data-testid="stMain"]').get_by_role("slider").first


def figure_with(page, words: str, timeout: float = APP_TIMEOUT) -> dict:
    page.wait_for_function(f"() => ({FIGURE})({words!r}) !== null", timeout=timeout)
    return page.evaluate(FIGURE, words)


def test_tokens_marks_the_layer_on_its_heatmap_and_shows_cluster_swatches(session, shoot):
    """Item 8: the current layer on every across-layers chart (here the token × layer heatmap), the
    cluster table's colour swatches."""
    page = session
    nav(page, "Tokens")
    layer = int(query(page.url)["layer"])
    assert_marked(layer_mark(page, "Local ID of each token"), layer)
    heatmap = page.locator(".st-key-chart-local-id-heatmap .js-plotly-plot").element_handle()
    swatches = page.evaluate("""() => [...document.querySelectorAll('table.clusters .swatch')].map(
        e => getComputedStyle(e).backgroundColor)""")
    assert len(swatches) >= 2 and len(set(swatches)) == len(swatches), swatches  # one colour per cluster
    slider = main_slider(page)
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('layer') === '{layer + 1}'")
    wait_for_app(page)
    shoot("tokens-next-layer")
    assert_marked(layer_mark(page, "Local ID of each token", layer + 1), layer + 1)
    # The heatmap was not sent again: the same plotted element, only the mark moved.
    assert page.evaluate("(gd) => gd.isConnected && gd.querySelector('.tg-layer-mark').dataset.layer", heatmap) \
        == str(layer + 1)
    assert_no_exception(page)


def test_the_sweep_shows_shuffled_text_discrete_s_peaks_and_the_layer(session, shoot):
    """Items 7 and 8: the shuffled text beside the sweep (block boundaries ┃) and in each line's
    hover; one legend entry per S (no colour bar); each peak labelled with value and layer; the
    current layer marked."""
    page = session
    layer = int(query(page.url)["layer"])
    nav(page, "Layers")
    open_tab(page, "Structured vs shuffled", "sweep")
    page.get_by_role("button", name=re.compile("Run the shuffle sweep")).click()
    overlay = figure_with(page, "Structured vs shuffled prompt", timeout=RUN_TIMEOUT)
    wait_for_app(page, timeout=RUN_TIMEOUT)
    shoot("sweep")
    lines = [t for t in overlay["traces"] if t["legend"] and (t["name"] or "").startswith("S=")]
    assert len(lines) == 2 and lines[0]["name"].startswith("S=0") and not any(t["scale"] for t in overlay["traces"])
    assert sum("┃" in t["hover"] and "seed" in t["hover"] for t in lines) == 1  # the shuffled line shows its text
    peaks = [a for a in overlay["annotations"] if re.fullmatch(r"S=\d+: [\d.]+ @ \d+", a)]
    assert len(peaks) == 2
    assert_marked(layer_mark(page, "Structured vs shuffled prompt"), layer)
    shown = page.locator("textarea[disabled]").first.input_value()
    assert "┃" in shown
    assert_no_exception(page)


def test_neighbours_mean_labels_do_not_overlap(session, shoot):
    """Item 8: the mean-angle labels of the structured and shuffled prompt never overlap."""
    page = session
    nav(page, "Neighbours")
    page.get_by_role("button", name=re.compile("Add the fully shuffled prompt")).click()
    # Both labels as drawn at one moment (Plotly redraws annotations when the chart is resized).
    drawn = (f"() => {{ const found = ({FIGURE})('Angle between each token'); if (!found) return null; "
             "const labels = found.labels.filter(a => a.text.includes('mean')); "
             "return labels.length === 2 ? labels : null; }")
    page.wait_for_function(drawn, timeout=RUN_TIMEOUT)
    wait_for_app(page, timeout=RUN_TIMEOUT)
    labels = page.wait_for_function(drawn).json_value()
    shoot("neighbours")
    assert len(labels) == 2, labels
    first, second = labels
    apart = (first["right"] <= second["left"] or second["right"] <= first["left"]
             or first["bottom"] <= second["top"] or second["bottom"] <= first["top"])
    assert apart, labels


def test_every_slide_fits_title_and_first_figure_at_720p(session, shoot):
    """Item 6 on every page: in presentation mode, the title and the slide's first figure (the
    Tokens page's painted text) fit 1280×720; → moves through every page and Layers tab."""
    page = session
    nav(page, "Layers")
    page.goto(urlsplit(page.url).path + "?" + urlsplit(page.url).query + "&present=1")
    wait_for_app(page)
    seen = set()
    try:
        for _ in range(14):
            page.wait_for_timeout(1200)  # the window's size is reported, the figure is resized once
            wait_for_app(page, timeout=RUN_TIMEOUT)
            try:  # on a busy machine the report (and the resize it asks for) can take a few seconds
                page.wait_for_function("""() => { const c = document.querySelector('[data-testid="stPlotlyChart"]');
                    return !c || c.getBoundingClientRect().bottom <= innerHeight + 1; }""", timeout=20_000)
                wait_for_app(page, timeout=RUN_TIMEOUT)
            except Exception:  # playwright's TimeoutError: the assertion below says what does not fit
                pass
            slide = (urlsplit(page.url).path, query(page.url).get("tab"))
            if slide in seen:
                break
            seen.add(slide)
            shoot("slide-" + "-".join(part for part in slide if part).strip("/").replace("/", ""))
            assert_no_exception(page)
            title = page.locator("h1").first.bounding_box()
            assert title is not None and title["y"] >= 0
            boxes = chart_boxes(page)
            if slide[0].endswith("/tokens"):  # the slide's figure is the painted text (in a component's shadow root)
                box = page.locator(".painted-root").first.bounding_box()
                boxes = [{"top": box["y"], "bottom": box["y"] + box["height"]}]
                # The cluster caption (inside an HTML element) takes presentation mode's larger type.
                size = page.locator('[data-testid="stMain"] .tg-caption', has_text="Agglomerative").first.evaluate(
                    "e => parseFloat(getComputedStyle(e).fontSize)")
                assert size >= 16, size
            if boxes:
                assert boxes[0]["top"] > title["y"] and boxes[0]["bottom"] <= 720 + 1, (slide, boxes[0])
            here = f"{slide[0]}|{slide[1] or ''}"
            moved = f"() => location.pathname + '|' + (new URLSearchParams(location.search).get('tab') || '') !== {here!r}"
            for _attempt in range(3):  # a press during a rerun can be lost: press again, as a person would
                page.locator("body").press("ArrowRight")
                try:
                    page.wait_for_function(moved, timeout=15_000)
                    break
                except Exception:  # playwright's TimeoutError
                    wait_for_app(page)
        assert len(seen) >= 13, seen  # 9 pages, the Layers page with 6 tabs
    finally:
        page.get_by_role("button", name="Leave").click()
        page.wait_for_function("() => !location.search.includes('present=1')", timeout=APP_TIMEOUT)
        wait_for_app(page)


def test_the_uploader_states_the_real_limit_and_names_a_bad_file_once(session, shoot, tmp_path):
    page = session
    sidebar(page).get_by_text("Load a prompt from a set or a file").click()
    uploader = sidebar(page).locator('[data-testid="stFileUploader"]')
    uploader.wait_for()
    assert "5MB" in uploader.inner_text().replace(" ", "") and "20MB" not in uploader.inner_text().replace(" ", "")
    bad = tmp_path / "binary.txt"
    bad.write_bytes(b"\x00\x01\x02 not text " * 20)
    uploader.locator('input[type="file"]').set_input_files(str(bad))
    alert = sidebar(page).locator('[data-testid="stAlert"]').first
    alert.wait_for()
    wait_for_app(page)
    shoot("bad-upload")
    assert alert.inner_text().count("binary.txt") == 1


def test_aligned_layers_keep_their_spread_and_the_path_has_fixed_axes(session, shoot):
    """Item 1: with Align layers on, the last layer's cloud spans within a factor 2 of the first's,
    and the token's path through the layers is drawn on fixed axes."""
    page = session
    nav(page, "UMAP")
    for _ in range(3):  # the path is drawn for the selected token: pick one if none is
        if query(page.url).get("token"):
            break
        box = page.get_by_role("combobox", name=re.compile("Highlight a token"))
        box.click()
        for key in ("ArrowDown", "ArrowDown", "ArrowDown", "Enter"):
            box.press(key)
        page.wait_for_timeout(800)
        wait_for_app(page, timeout=RUN_TIMEOUT)
    page.get_by_text("Align layers").click()
    spread = """() => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
        g => /UMAP of the token cloud/.test(String(g._fullLayout.title.text)));
        const t = gd._fullData[0], sd = a => { const m = a.reduce((x, y) => x + y, 0) / a.length;
        return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / a.length); };
        return {layer: String(gd._fullLayout.title.text), spread: sd(Array.from(t.x)) + sd(Array.from(t.y))}; }"""
    figure_with(page, "Path of token", timeout=RUN_TIMEOUT)
    wait_for_app(page, timeout=RUN_TIMEOUT)
    path = page.evaluate("""() => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
        g => /Path of token/.test(String(g._fullLayout.title.text)));
        return [gd.layout.xaxis.range, gd.layout.yaxis.range, gd.layout.xaxis.autorange]; }""")
    assert path[0] and path[1] and path[2] is not True
    slider = main_slider(page)

    def press_until(key: str, reached: str) -> None:
        for _attempt in range(4):  # a press during a rerun can be lost: press again, as a person would
            slider.focus()
            slider.press(key)
            try:
                page.wait_for_function(reached, timeout=30_000)
                break
            except Exception:  # playwright's TimeoutError
                wait_for_app(page, timeout=RUN_TIMEOUT)
        page.wait_for_function(reached, timeout=RUN_TIMEOUT)
        wait_for_app(page, timeout=RUN_TIMEOUT)

    press_until("Home", "() => new URLSearchParams(location.search).get('layer') === '1'")
    first = page.evaluate(spread)
    press_until("End", "() => new URLSearchParams(location.search).get('layer') !== '1'")
    shoot("aligned-last-layer")
    last = page.evaluate(spread)
    assert first["layer"] != last["layer"]
    assert 0.5 <= last["spread"] / first["spread"] <= 2.0, (first, last)
    page.get_by_text("Align layers").click()
    wait_for_app(page, timeout=RUN_TIMEOUT)


CJK = ("東京の朝は静かです。We walked to the station 🚉 and took the early train to Kyoto 🍵. "
       "The café served crème brûlée and 抹茶 ice cream; everyone smiled 😊 at the quiet garden. "
       "Later we wrote postcards in three languages: English, français and 日本語.")


def test_cjk_and_emoji_tokens_show_their_text_not_replacement_marks(session, shoot):
    """Item 3: each token shows the text it covers (or its bytes), never "\ufffd", on the painted
    text, the clusters and the token picker."""
    page = session
    nav(page, "Tokens")
    set_prompt(page, CJK)
    press_run(page)
    page.wait_for_selector(".painted-root span", timeout=RUN_TIMEOUT)
    wait_for_app(page, timeout=RUN_TIMEOUT)
    shoot("cjk")
    painted = page.locator(".painted-root").inner_text()
    # A character split across tokens shows as the bytes each token covers; whole ones as themselves.
    assert "\ufffd" not in painted and ("東" in painted or "\\x" in painted) and "café" in painted.replace(" ", "")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "\ufffd" not in main
    assert_no_exception(page)
    set_prompt(page, PROMPT)
