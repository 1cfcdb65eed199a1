"""Draw a figure the same way everywhere: export formats, data downloads, presentation mode."""

from __future__ import annotations

import io
import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

PRESENT_KEY = "presentation_mode"
FORMAT_KEY = "image_format"


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "figure"


def _parquet_bytes(data: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    data.to_parquet(buffer, index=False)
    return buffer.getvalue()


def show_figure(figure: go.Figure, *, name: str, data: pd.DataFrame | None = None, key: str | None = None,
                on_select=None) -> object:
    """Plotly chart with the browser's PNG/SVG export and, below it, CSV/Parquet of its data.

    In presentation mode the figure fills the screen with large fonts and the downloads are hidden.
    """
    image_format = st.session_state.get(FORMAT_KEY, "png")
    config = {
        "displaylogo": False,
        "toImageButtonOptions": {"format": image_format, "filename": _slug(name), "scale": 2 if image_format == "png" else 1},
    }
    if presenting():
        figure = go.Figure(figure)
        figure.update_layout(height=760, font=dict(size=22), title_font=dict(size=28), legend_font=dict(size=20))
        figure.update_xaxes(tickfont_size=18, title_font_size=22)
        figure.update_yaxes(tickfont_size=18, title_font_size=22)
    options = dict(width="stretch", config=config, key=key or f"chart-{_slug(name)}")
    if on_select is not None:
        options.update(on_select=on_select, selection_mode="points")
    state = st.plotly_chart(figure, **options)
    if data is not None and not presenting():
        left, right, _ = st.columns([2, 2, 5])
        # The files are made when a button is clicked (Streamlit calls the function then), not on
        # every run of the page: a few to ~50 ms per figure, on every rerun and slider step.
        left.download_button("Data (CSV)", lambda: data.to_csv(index=False).encode(), file_name=f"{_slug(name)}.csv",
                             mime="text/csv", on_click="ignore", key=f"csv-{options['key']}")
        right.download_button("Data (Parquet)", lambda: _parquet_bytes(data), file_name=f"{_slug(name)}.parquet",
                              mime="application/octet-stream", on_click="ignore", key=f"parquet-{options['key']}")
    return state


def presentation_css() -> None:
    """Hide the sidebar and chrome when presenting."""
    if presenting():
        st.markdown(
            "<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], header {display: none;}"
            " .block-container {padding-top: 1rem; max-width: 100%;} h1 {font-size: 2.6rem;}</style>",
            unsafe_allow_html=True,
        )
        if st.button("Leave presentation mode"):
            st.session_state[PRESENT_KEY] = False
            st.rerun()
