"""Presentation mode: one figure per screen, large type, controls folded away, slides by arrow keys.

The slides are the app's pages in order, with each tab of the Layers page as a slide of its own.
Previous/next buttons (and ←/→ on the keyboard, through a tiny script component that also reports
the window's size) move between them without leaving presentation mode; the mode is part of the
URL (``present=1``) and of the session, so it survives page switches, reloads and links.

The figures' height is computed from the reported window height, so that the slide's title row
and the whole figure (title, axes, legend) fit the screen at any size.
"""

from __future__ import annotations

import ast
import re
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
import streamlit.components.v2 as components

PRESENT_KEY = "presentation_mode"
VIEWPORT = "_viewport"
LAYERS_TAB = "layers_tab"
HEADER_PX = 96  # until the page reports where its first figure starts: the title row and padding
FOOTER_PX = 64  # the strip at the bottom for the folded controls and notes
FALLBACK_HEIGHT = 720

LAYERS_TABS = ("Intrinsic dimension", "Neighbourhood overlap", "Cosine similarity", "Scale analysis",
               "Structured vs shuffled", "Every statistic")


def _declared_pages() -> list[tuple[str, str, str]]:
    """(file, title, URL path) of each ``st.Page("<file>", title=…)`` in app.py, in its order: the
    slides follow the app's own navigation, with no second list to keep in step."""
    source = (Path(__file__).resolve().parents[1] / "app.py").read_text(encoding="utf-8")
    pages = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args
                and isinstance(node.args[0], ast.Constant)):
            options = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            file = node.args[0].value
            path = "" if options.get("default") else options.get("url_path", Path(file).stem)
            pages.append((node.lineno, file, options.get("title", Path(file).stem.title()), path))
    return [(file, title, path) for _, file, title, path in sorted(pages)]


PAGE_OF_TITLE = {title: file for file, title, _ in _declared_pages()}
PATH_OF_TITLE = {title: path for _, title, path in _declared_pages()}
SLIDES = [(file, tab) for file in PAGE_OF_TITLE.values()
          for tab in (LAYERS_TABS if file == "views/layers.py" else (None,))]

_JS = """
export default function(component) {
  const { setStateValue, setTriggerValue } = component;
  // Report the window's size and where the first figure starts, only when they changed (each
  // report is a rerun of the page); figures appear after this runs, so look again now and then.
  const report = () => {
    const chart = document.querySelector('[data-testid="stPlotlyChart"]');
    const top = chart ? Math.round(chart.getBoundingClientRect().top + window.scrollY) : 0;
    const last = window.__tokenGeometrySize || {};
    const same = last.width === window.innerWidth && last.height === window.innerHeight
      && Math.abs((last.chartTop || 0) - top) <= 6;
    if (same) return;
    window.__tokenGeometrySize = {width: window.innerWidth, height: window.innerHeight, chartTop: top};
    setStateValue('viewport', window.__tokenGeometrySize);
  };
  if (!component.data || !component.data.known) window.__tokenGeometrySize = null;
  report();
  const onKey = (event) => {
    const target = event.target || {};
    const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || target.isContentEditable
      || (target.getAttribute && target.getAttribute('role') === 'slider');
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === 'ArrowRight' || event.key === 'PageDown') { event.preventDefault(); setTriggerValue('step', 'next'); }
    if (event.key === 'ArrowLeft' || event.key === 'PageUp') { event.preventDefault(); setTriggerValue('step', 'previous'); }
  };
  if (window.__tokenGeometryKeys) document.removeEventListener('keydown', window.__tokenGeometryKeys);
  if (window.__tokenGeometryResize) window.removeEventListener('resize', window.__tokenGeometryResize);
  if (window.__tokenGeometryTimer) clearInterval(window.__tokenGeometryTimer);
  window.__tokenGeometryKeys = onKey;
  window.__tokenGeometryResize = report;
  window.__tokenGeometryTimer = setInterval(report, 700);
  document.addEventListener('keydown', onKey);
  window.addEventListener('resize', report);
  return () => {
    document.removeEventListener('keydown', onKey);
    window.removeEventListener('resize', report);
    clearInterval(window.__tokenGeometryTimer);
  };
}
"""

_CSS = """
<style>
[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stHeader'],
[data-testid='stToolbar'], [data-testid='stDecoration'] {display: none !important;}
.block-container, [data-testid='stMainBlockContainer'] {padding: 0.5rem 1.5rem 0.5rem 1.5rem !important;
  max-width: 100% !important;}
[data-testid='stElementContainer']:has(> [data-testid='stMarkdown'] style:only-child),
[data-testid='stElementContainer']:has(style:only-child), .st-key-presentation-keys-box {display: none !important;}
[data-testid='stMainBlockContainer'] > div > [data-testid='stVerticalBlock'] {gap: 0.6rem;}
h1 {font-size: 2.1rem !important; padding: 0.2rem 0 !important;}
[data-testid='stMarkdownContainer'] p, label, [data-testid='stWidgetLabel'] p {font-size: 1.15rem;}
.tg-caption {font-size: 1.05rem !important;}
/* The strip of folded controls at the bottom: an opaque band, so the next figure's title does not
   show through between the buttons (the figure above is sized to end above it). */
[data-testid='stMain']::after {content: ''; position: fixed; left: 0; right: 0; bottom: 0; height: FOOTER_PXpx;
  background: var(--background-color, white); z-index: 999980; pointer-events: none;}
</style>
""".replace("FOOTER_PX", str(FOOTER_PX))

_keys = components.component("token_geometry.presentation_keys", js=_JS)


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def figure_height() -> int:
    """Pixels a figure may take so that it, everything above the page's first figure (title row,
    tabs) and the strip of folded controls at the bottom fit the window."""
    viewport = st.session_state.get(VIEWPORT) or {}
    height = int(viewport.get("height") or FALLBACK_HEIGHT)
    top = int(viewport.get("chartTop") or 0) or HEADER_PX
    return max(300, height - top - FOOTER_PX)


CORNER_CSS = """<style>.st-key-{key} {{position: fixed; {side}: {offset}px; bottom: 8px; width: {width}px;
  max-height: 80vh; overflow: auto; z-index: 999990; background: var(--background-color, white);
  border-radius: 0.5rem; box-shadow: 0 2px 10px rgba(0,0,0,0.15);}}
  .st-key-{key}:has(details[open]) {{width: 460px;}}</style>"""
PANEL_PX = 250


@contextmanager
def floating(name: str, *, label: str, icon: str, side: str = "left"):
    """A collapsed expander that floats in the strip at the bottom of the slide (it takes no room
    above the figure); several sit side by side in the order the page first drew them."""
    order = st.session_state.setdefault("_floating", {})
    order.setdefault(name, side)
    index = [other for other, other_side in order.items() if other_side == side].index(name)
    key = f"slide-{side}-" + re.sub(r"[^a-z0-9]+", "-", name.lower())
    st.markdown(CORNER_CSS.format(key=key, side=side, offset=12 + (PANEL_PX + 10) * index, width=PANEL_PX),
                unsafe_allow_html=True)
    with st.container(key=key):
        with st.expander(label, icon=icon):
            yield


@contextmanager
def controls(name: str):
    """Where a page draws its controls: in the page normally, folded into a floating expander
    ("Controls: <name>") when presenting."""
    if presenting():
        with floating(name, label=f"Controls: {name}", icon=":material/tune:"):
            yield
    else:
        yield


def _slide_index(page: str) -> int:
    tab = st.session_state.get(LAYERS_TAB) if page == "views/layers.py" else None
    for index, (file, slide_tab) in enumerate(SLIDES):
        if file == page and (slide_tab is None or slide_tab == (tab or LAYERS_TABS[0])):
            return index
    return 0


def _go(page: str, step: int) -> None:
    target_page, target_tab = SLIDES[(_slide_index(page) + step) % len(SLIDES)]
    if target_tab is not None:
        st.session_state["url_tab"] = target_tab
        st.session_state.pop(LAYERS_TAB, None)
    if target_page != page:
        st.switch_page(target_page)
    st.rerun()


def presentation_header(title: str) -> None:
    """In presentation mode: the CSS, the title row with previous/next/leave, the keyboard."""
    st.markdown(_CSS, unsafe_allow_html=True)
    st.session_state["_floating"] = {}  # the panels of this page, in the order it draws them
    with st.container(key="presentation-keys-box"):
        result = _keys(key="presentation-keys", data={"known": VIEWPORT in st.session_state},
                       on_step_change=lambda: None, on_viewport_change=lambda: None)
    viewport = getattr(result, "viewport", None)
    if viewport:
        st.session_state[VIEWPORT] = viewport
    page = PAGE_OF_TITLE.get(title, SLIDES[0][0])
    heading, buttons = st.columns([3, 2], vertical_alignment="center")
    heading.markdown(f"# {title}")
    previous, following, leave = buttons.columns(3)
    step = getattr(result, "step", None)
    if previous.button("Previous", icon=":material/arrow_back:", width="stretch", help="← key") or step == "previous":
        _go(page, -1)
    if following.button("Next", icon=":material/arrow_forward:", width="stretch", help="→ key") or step == "next":
        _go(page, +1)
    leave.button("Leave", icon=":material/close:", width="stretch", help="Leave presentation mode", on_click=_leave)


def _leave() -> None:
    st.session_state[PRESENT_KEY] = False
    st.session_state["_saved_" + PRESENT_KEY] = False
