"""Painted text whose tokens can be clicked: a click selects the token on every page (ui.state).

The HTML comes from the figure code (escaped there: token strings are never markup); this small
script component inserts it, numbers its ``<span>`` elements in order (one per token), outlines
the selected one (a class; the cursor and outline come from the component's CSS) and reports a
click, caught by one listener on the text, as the token's index.
"""

from __future__ import annotations

from typing import Sequence

import streamlit as st
import streamlit.components.v2 as components

from ui.state import current_token, select_token

_JS = """
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector('.painted-root');
  if (!root) {
    root = document.createElement('div');
    root.className = 'painted-root';
    // One listener for all tokens (a step of the layer slider repaints the text: nothing per span).
    root.addEventListener('click', (event) => {
      const span = event.target.closest('span');
      const index = span ? root.__spans.indexOf(span) : -1;
      if (index >= 0) root.__trigger('token', index);
    });
    parentElement.appendChild(root);
  }
  root.__trigger = setTriggerValue;
  if (root.__html !== data.html) {
    root.innerHTML = data.html;
    root.__html = data.html;
    root.__spans = [...root.querySelectorAll('span')];
    root.__chosen = null;
  }
  const chosen = data.selected >= 0 ? root.__spans[data.selected] || null : null;
  if (root.__chosen !== chosen) {
    if (root.__chosen) root.__chosen.classList.remove('chosen');
    if (chosen) chosen.classList.add('chosen');
    root.__chosen = chosen;
  }
}
"""
_CSS = """
.painted-root span {cursor: pointer;}
.painted-root span.chosen {outline: 3px solid #111; outline-offset: 1px;}
"""

_painted = components.component("token_geometry.painted_text", js=_JS, css=_CSS)


def clickable_text(html: str, *, positions: Sequence[int], key: str) -> None:
    """Draw ``html`` (one ``<span>`` per token, in order); a click on a token selects it."""
    positions = [int(p) for p in positions]
    shared = current_token()
    selected = positions.index(shared) if shared in positions else -1

    def clicked() -> None:
        index = getattr(st.session_state.get(key), "token", None)
        if index is not None and 0 <= int(index) < len(positions):
            select_token(positions[int(index)])

    _painted(key=key, data={"html": html, "selected": selected}, on_token_change=clicked)
