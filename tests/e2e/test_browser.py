"""The dashboard in a real browser: `streamlit run app.py` + headless Chromium + the bundled model.

Covers one full analysis (Run → ID figure with finite values), the DuckDB cache seen from a new
session after a reload, the messages for bad inputs, and every page declared in app.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.source_util import page_icon_and_name

from tests.e2e.conftest import APP_TIMEOUT, ROOT, RUN_TIMEOUT

# ~60 tokens of plain English, distinct from the default prompt, so the first Run really computes.
PROMPT = ("The river runs slowly through the old town, past the market, the church and the small harbour. "
          "In the evening the fishermen come back with their boats, children play on the bridge, and the "
          "smell of fresh bread drifts from the bakery on the corner of the square.")

APP = '[data-testid="stApp"]'
EXCEPTION = '[data-testid="stException"]'
PLOT = ".js-plotly-plot"

# Every y value of every trace of the ID figure (the Plotly chart titled "Intrinsic dimension …", else
# the first one), as numbers. Plotly.py sends numpy arrays as {dtype, bdata} (base64), so gd.data holds
# those objects; plotly.js decodes them into typed arrays in gd._fullData, which is what is read here.
FIGURE_Y = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const title = gd => String((gd._fullLayout && gd._fullLayout.title && gd._fullLayout.title.text) || '');
  const gd = plots.find(p => /intrinsic dimension/i.test(title(p))) || plots[0];
  const traces = (gd._fullData && gd._fullData.length) ? gd._fullData : gd.data;
  return {title: title(gd), traces: traces.map(t => ({
    name: t.name, y: Array.from(t.y || []).map(v => (v === null ? null : Number(v)))}))};
}"""


def wait_for_app(page, timeout: float = APP_TIMEOUT) -> None:
    """Connected, the page's script has finished, and every element's lazily loaded code has arrived.

    (Streamlit draws a grey `stSkeleton` for an element until its JavaScript chunk is loaded, even
    after the script run is over.)
    """
    page.wait_for_selector(f'{APP}[data-test-connection-state="CONNECTED"]', timeout=timeout)
    page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"], "
                           "[data-testid=\"stAppSkeleton\"]')", timeout=timeout)


def open_app(page, path: str = "") -> None:
    page.goto(f"/{path}")
    wait_for_app(page)


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def set_prompt(page, text: str) -> None:
    """Type into the Prompt box and commit it.

    A Streamlit text area sends its value only on Ctrl+Enter or blur (clicking Run right after
    `fill` also works, since the click blurs the box first); until then it shows "Press Ctrl+Enter
    to apply". Committing explicitly makes the step visible in screenshots and usable without Run.
    """
    box = sidebar(page).get_by_role("textbox", name="Prompt", exact=True)
    box.fill(text)
    box.press("Control+Enter")
    sidebar(page).locator('[data-testid="InputInstructions"]').wait_for(state="hidden")
    page.wait_for_timeout(200)  # tiny: let the rerun that the commit requested begin
    wait_for_app(page)


def press_run(page) -> None:
    sidebar(page).get_by_role("button", name="Run", exact=True).click()


def assert_no_exception(page) -> None:
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    assert "Traceback" not in page.locator(APP).inner_text()


def declared_pages() -> list[tuple[str, str]]:
    """(file, url path) of every st.Page("<file>.py", …) in app.py, in source order.

    The URL path is the one Streamlit uses: ``url_path=`` if given, else the file name without its
    number prefix; the default page (``default=True``, else the first) is served at the root only.
    """
    pages = []
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Page"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            file = node.args[0].value
            keywords = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            url_path = (keywords.get("url_path") or page_icon_and_name(Path(file))[1]).strip("/")
            pages.append((node.lineno, node.col_offset, file, url_path, bool(keywords.get("default"))))
    pages.sort()
    default = next((index for index, page in enumerate(pages) if page[4]), 0)
    return [(file, "" if index == default else url_path) for index, (_, _, file, url_path, _) in enumerate(pages)]


def test_run_shows_id_figure_then_cache_after_reload(page, shot):
    open_app(page)
    shot("opened")
    assert page.locator("h1", has_text="Layers").count() == 1
    page.get_by_text("Choose a model and a prompt").wait_for()
    set_prompt(page, PROMPT)
    shot("prompt-entered")
    press_run(page)
    page.wait_for_selector(PLOT, timeout=RUN_TIMEOUT)
    wait_for_app(page, timeout=RUN_TIMEOUT)
    shot("analysed")
    assert_no_exception(page)
    page.get_by_text("saved to the cache").wait_for()

    figure = page.evaluate(FIGURE_Y)
    assert "intrinsic dimension" in figure["title"].lower(), figure["title"]
    traces = figure["traces"]
    assert traces, "the ID figure has no traces"
    for trace in traces:
        assert trace["y"], f"trace {trace['name']!r} has no y values"
    values = [v for trace in traces for v in trace["y"] if v is not None]
    assert values and all(v == v and abs(v) != float("inf") for v in values), traces
    assert 0 < max(values) < 1000  # intrinsic dimensions, not garbage

    # A reload is a new Streamlit session: the same prompt must now come from the DuckDB file.
    page.reload()
    wait_for_app(page)
    shot("reloaded")
    set_prompt(page, PROMPT)
    page.get_by_text("from the DuckDB cache").wait_for()
    page.wait_for_selector(PLOT)
    shot("served-from-cache")
    assert_no_exception(page)


def test_empty_prompt_says_so(page, shot):
    open_app(page)
    set_prompt(page, "")
    page.locator('[data-testid="stAlert"]', has_text="empty").wait_for()
    shot("empty-prompt")
    assert_no_exception(page)


def test_too_short_prompt_says_so(page, shot):
    open_app(page)
    set_prompt(page, "Hi there.")
    press_run(page)
    page.locator('[data-testid="stAlert"]', has_text="at least").wait_for(timeout=RUN_TIMEOUT)
    wait_for_app(page, timeout=RUN_TIMEOUT)
    shot("too-short-prompt")
    assert page.locator(PLOT).count() == 0
    assert_no_exception(page)


def test_missing_model_path_says_so(page, shot):
    open_app(page)
    sidebar(page).get_by_role("combobox", name="Model", exact=True).click()
    page.get_by_role("option", name="Other").click()
    box = sidebar(page).get_by_role("textbox", name="Model id or path", exact=True)
    box.wait_for()
    box.fill("/nonexistent/token-geometry-e2e/model")
    box.press("Enter")
    page.locator('[data-testid="stAlert"]', has_text="does not exist").wait_for()
    wait_for_app(page)
    shot("missing-model")
    assert_no_exception(page)


PAGES = declared_pages()


@pytest.mark.parametrize(("file", "url_path"), PAGES, ids=[file for file, _ in PAGES])
def test_every_declared_page_opens_without_error(page, shot, file, url_path):
    assert (ROOT / file).is_file(), f"app.py declares {file}, which does not exist"
    open_app(page, url_path)
    shot("opened")
    assert page.get_by_text("Page not found").count() == 0, f"/{url_path} is not a page"
    assert_no_exception(page)
