"""What every analysis view starts with: sidebar, title, caption, the current result or a stop."""

from __future__ import annotations

import streamlit as st

from pipeline import Outcome, Request
from ui.export import Provenance, export_page_button, start_page
from ui.present import presentation_header, presenting
from ui.resources import warm_up_umap_in_background
from ui.run import current_outcome, show_provenance
from ui.show import set_provenance
from ui.sidebar import render_sidebar


def open_view(title: str, *, caption: str = "", needs_result: bool = True) -> tuple[Request, Outcome | None]:
    """Draw the sidebar, the title and (outside presentation mode) the caption; then the current
    prompt's result with its provenance line. Without a result the view stops here (after telling
    the user what to do) unless ``needs_result`` is False.

    In presentation mode the title row carries previous/next buttons (ui.present) instead."""
    request, run = render_sidebar()
    start_page(title)
    if presenting():
        presentation_header(title)
    else:
        st.title(title)
        if caption:
            st.caption(caption)
    provenance = Provenance(model=request.model, prompt=request.prompt)
    set_provenance(provenance)
    if not presenting():
        export_page_button(page=title, provenance=provenance, container=st.sidebar)
    if not needs_result:
        return request, None
    outcome = current_outcome(request, run=run)
    if outcome is None:
        st.stop()
    set_provenance(Provenance.of(outcome.analysis))
    show_provenance(outcome)
    # Only now, with a result on screen: the warm-up's numba compilation (~10 s of CPU, mostly
    # holding the GIL) would otherwise compete with the first analysis on a 2-core machine.
    warm_up_umap_in_background()
    return request, outcome
