"""Draw a figure the same way everywhere: export formats, data downloads, presentation mode.

Every figure is registered for the page's "Export this page" zip (ui.export); its downloads carry
the model, the prompt's hash and the figure's settings in their names, and provenance columns.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.export import Provenance, file_stem, parquet_bytes, register, slug, stamped
from ui.present import PRESENT_KEY, figure_height, presenting

FORMAT_KEY = "image_format"
ON_SCREEN = "_on_screen_provenance"
__all__ = ["FORMAT_KEY", "PRESENT_KEY", "presenting", "show_figure", "set_provenance"]


def set_provenance(provenance: Provenance | None) -> None:
    """What the page's figures are computed from (ui.page sets it from the page's result)."""
    st.session_state[ON_SCREEN] = provenance


def show_figure(figure: go.Figure, *, name: str, data: pd.DataFrame | None = None, key: str | None = None,
                on_select=None, settings: str = "", provenance: Provenance | None = None) -> object:
    """Plotly chart with the browser's PNG/SVG export and, below it, CSV/Parquet of its data.

    ``settings`` (e.g. "layer 12") goes into the file names; ``provenance`` (default: the page's
    result) into the file names and the data's columns. In presentation mode the figure fills the
    window below the slide's title row, with large fonts, and the downloads are hidden.
    """
    provenance = provenance or st.session_state.get(ON_SCREEN)
    stem = file_stem(name, provenance, settings)
    data = stamped(data, provenance) if data is not None else None
    register(slug(name).lower(), figure, data)
    image_format = st.session_state.get(FORMAT_KEY, "png")
    config = {
        "displaylogo": False,
        "toImageButtonOptions": {"format": image_format, "filename": stem, "scale": 2 if image_format == "png" else 1},
    }
    if presenting():
        figure = go.Figure(figure)
        figure.update_layout(height=figure_height(), font=dict(size=20), title_font=dict(size=26),
                             legend_font=dict(size=18), margin=dict(t=110))
        figure.update_xaxes(tickfont_size=17, title_font_size=21)
        figure.update_yaxes(tickfont_size=17, title_font_size=21)
    options = dict(width="stretch", config=config, key=key or f"chart-{slug(name).lower()}")
    if on_select is not None:
        options.update(on_select=on_select, selection_mode="points")
    state = st.plotly_chart(figure, **options)
    if data is not None and not presenting():
        left, right, _ = st.columns([2, 2, 5])
        # The files are made when a button is clicked (Streamlit calls the function then), not on
        # every run of the page: a few to ~50 ms per figure, on every rerun and slider step.
        left.download_button("Data (CSV)", lambda: data.to_csv(index=False).encode(), file_name=f"{stem}.csv",
                             mime="text/csv", on_click="ignore", key=f"csv-{options['key']}")
        right.download_button("Data (Parquet)", lambda: parquet_bytes(data), file_name=f"{stem}.parquet",
                              mime="application/octet-stream", on_click="ignore", key=f"parquet-{options['key']}")
    return state
