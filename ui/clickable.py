"""Painted text whose tokens can be clicked: a click selects the token on every page (ui.state).

The HTML comes from the figure code (escaped there: token strings are never markup); this small
script component inserts it, numbers its ``<span>`` elements in order (one per token), outlines
the selected one, and reports a click as the token's index.
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
    parentElement.appendChild(root);
  }
  if (root.__html !== data.html) { root.innerHTML = data.html; root.__html = data.html; }
  root.querySelectorAll('span').forEach((span, index) => {
    span.style.cursor = 'pointer';
    span.style.outline = index === data.selected ? '3px solid #111' : '';
    span.style.outlineOffset = '1px';
    span.onclick = () => setTriggerValue('token', index);
  });
}
"""

_painted = components.component("token_geometry.painted_text", js=_JS)


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
