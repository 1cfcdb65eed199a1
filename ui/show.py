"""Draw a figure the same way everywhere: export formats, data downloads, presentation mode.

Every figure is registered for the page's "Export this page" zip (ui.export); its downloads carry
the model, the prompt's hash and the figure's settings in their names, and provenance columns.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.export import Provenance, file_stem, parquet_bytes, register, slug, stamped
from ui.layer_mark import Along, mark_current_layer
from ui.present import PRESENT_KEY, figure_height, presenting

FORMAT_KEY = "image_format"
ON_SCREEN = "_on_screen_provenance"
__all__ = ["FORMAT_KEY", "PRESENT_KEY", "presenting", "show_figure", "set_provenance"]


def chart_key(name: str, key: str | None = None) -> str:
    """The widget key of the chart ``show_figure`` draws for ``name``."""
    return key or f"chart-{slug(name).lower()}"


def set_provenance(provenance: Provenance | None) -> None:
    """What the page's figures are computed from (ui.page sets it from the page's result)."""
    st.session_state[ON_SCREEN] = provenance


def register_table(data: pd.DataFrame, *, name: str) -> None:
    """Put a table the page shows as text (not as a figure) into "Export this page", with the
    provenance columns every exported table carries."""
    register(slug(name).lower(), None, stamped(data, st.session_state.get(ON_SCREEN)))


def show_figure(figure: go.Figure, *, name: str, data: pd.DataFrame | None = None, key: str | None = None,
                on_select=None, settings: str = "", provenance: Provenance | None = None,
                along: Along | None = None, layer: int | None = None) -> object:
    """Plotly chart with the browser's PNG/SVG export and, below it, CSV/Parquet of its data.

    ``settings`` (e.g. "layer 12") goes into the file names; ``provenance`` (default: the page's
    result) into the file names and the data's columns. In presentation mode the figure fills the
    window below the slide's title row, with large fonts, and the downloads are hidden.

    A chart across layers says on which axis its layers are (``along``): ``layer`` is then marked
    over it (ui.layer_mark; a page whose slider moves the layer marks it with
    ``mark_current_layer`` instead, so the chart is not sent again), and the page's zip marks the
    link's layer on it.
    """
    provenance = provenance or st.session_state.get(ON_SCREEN)
    stem = file_stem(name, provenance, settings)
    data = stamped(data, provenance) if data is not None else None
    register(slug(name).lower(), figure, data, along=along)
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
        for label in figure.layout.annotations:  # peak and mean labels: readable from the back of a room
            label.font.size = max(label.font.size or 0, 16)
    options = dict(width="stretch", config=config, key=chart_key(name, key))
    if on_select is not None:
        options.update(on_select=on_select, selection_mode="points")
    state = st.plotly_chart(figure, **options)
    if along is not None and layer is not None:
        mark_current_layer(chart_key=options["key"], layer=layer, along=along)
    if data is not None and not presenting():
        # Side by side at their own width: in a half-width column, fixed columns cut the labels ("Data (Parq…").
        row = st.container(horizontal=True, gap="small")
        # The files are made when a button is clicked (Streamlit calls the function then), not on
        # every run of the page: a few to ~50 ms per figure, on every rerun and slider step.
        row.download_button("Data (CSV)", lambda: data.to_csv(index=False).encode(), file_name=f"{stem}.csv",
                            mime="text/csv", on_click="ignore", key=f"csv-{options['key']}", width="content")
        row.download_button("Data (Parquet)", lambda: parquet_bytes(data), file_name=f"{stem}.parquet",
                            mime="application/octet-stream", on_click="ignore", key=f"parquet-{options['key']}",
                            width="content")
    return state
