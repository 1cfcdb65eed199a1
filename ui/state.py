"""The layer and the selected token follow the user from page to page (and into links).

Each page draws its own slider or select box (its own widget key), but they all read and write one
session value: ``view_layer`` (1..L) and ``view_token`` (a position in the prompt, so it means the
same token on every page). A page that opens sets its widget from the shared value; a widget that
changes writes it back (``on_change`` runs before the rerun, so the two never disagree).
"""

from __future__ import annotations

from typing import Callable, Sequence

import streamlit as st

from ui.url import url_int, write_url

LAYER = "view_layer"
TOKEN = "view_token"


def current_layer(*, n_layers: int, default: int) -> int:
    """The shared layer (from a link, another page or this one), clamped to 1..n_layers."""
    linked = "url_layer" in st.session_state
    value = url_int("layer", low=1, high=n_layers, default=default) if linked else st.session_state.get(LAYER, default)
    st.session_state.pop("url_layer", None)  # from now on the shared value is the truth
    value = min(max(int(value), 1), n_layers)
    st.session_state[LAYER] = value
    return value


def set_layer(layer: int) -> None:
    st.session_state[LAYER] = int(layer)


def current_token() -> int | None:
    """The selected token's position in the prompt, or None."""
    if "url_token" in st.session_state:
        st.session_state[TOKEN] = st.session_state.pop("url_token")
    return st.session_state.get(TOKEN)


def select_token(position: int | None) -> None:
    st.session_state[TOKEN] = None if position is None else int(position)


def layer_slider(*, n_layers: int, default: int, key: str, label: str = "Layer", container=None, **options) -> int:
    """A layer slider on the shared layer; the URL's ``layer`` follows it."""
    value = current_layer(n_layers=n_layers, default=default)
    if st.session_state.get(key) != value:
        st.session_state[key] = value

    def changed() -> None:
        set_layer(st.session_state[key])

    layer = (container or st).slider(label, 1, n_layers, key=key, on_change=changed, **options)
    set_layer(layer)
    write_url(layer=layer)
    return layer


def token_select(*, positions: Sequence[int], label_of: Callable[[int], str], key: str, label: str = "Token",
                 allow_none: bool = True, container=None, **options) -> int | None:
    """A select box of the prompt's tokens (by index into ``positions``) on the shared selected
    token; returns the index, or None. The URL's ``token`` (a position) follows it."""
    positions = [int(p) for p in positions]
    choices: list[int | None] = ([None] if allow_none else []) + list(range(len(positions)))
    shared = current_token()
    wanted = positions.index(shared) if shared in positions else (None if allow_none else 0)
    if key not in st.session_state or st.session_state[key] != wanted:
        st.session_state[key] = wanted

    def changed() -> None:
        index = st.session_state[key]
        select_token(None if index is None else positions[index])

    if allow_none:  # a None value shows the placeholder, not the "none" entry
        options.setdefault("placeholder", "none")
    index = (container or st).selectbox(label, choices, key=key, on_change=changed,
                                        format_func=lambda i: "none" if i is None else label_of(i), **options)
    write_url(token=current_token())  # a default choice (no token selected yet) is not a selection
    return index


def clicked_token(chart_key: str, *, positions: Sequence[int]) -> None:
    """``on_select`` of a chart whose first trace has one point per token: a click selects it."""
    selection = st.session_state.get(chart_key)
    points = (selection or {}).get("selection", {}).get("points", []) if selection else []
    for point in points:
        if point.get("curve_number", 0) == 0 and "point_index" in point:
            select_token(int(positions[int(point["point_index"])]))
            return
