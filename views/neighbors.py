"""Neighbours: the angle between each token's two nearest neighbours, structured vs fully shuffled."""

import dataclasses

import streamlit as st

from geometry.shuffle import max_shuffle_index
from ui.figures import neighbors as figures
from ui.page import open_view
from ui.present import controls
from ui.run import current_outcome
from ui.layer_mark import mark_current_layer
from ui.show import chart_key, show_figure
from ui.state import layer_slider

request, outcome = open_view(
    "Neighbours",
    caption="For each token i with nearest neighbours a and b: the angle between x_a − x_i and x_b − x_i "
    "(Viswanathan et al. 2025). Shuffling the prompt changes how tokens sit among their neighbours.",
)
analysis = outcome.analysis
full_shuffle = max_shuffle_index(int(analysis.kept.size))
shuffled_request = dataclasses.replace(request, shuffle_index=full_shuffle, seed=0)
with controls("shuffled"):
    pressed = st.button(f"Add the fully shuffled prompt (S={full_shuffle}, one model run)")
shuffled = current_outcome(shuffled_request, run=pressed, quiet=True)
analyses = [analysis] + ([shuffled.analysis] if shuffled else [])
n_layers = int(analysis.layers.size)


@st.fragment
def by_layer() -> None:
    """The histogram at the chosen layer, and that layer marked on the curve across layers (drawn
    once, below: a slider step does not send it again)."""
    with controls("layer"):
        layer = layer_slider(n_layers=n_layers, default=n_layers, key="neighbors_layer")
    settings = f"layer {layer}"
    show_figure(figures.angle_histogram(analyses, layer=layer), name="nn-angles", settings=settings,
                data=figures.histogram_table(analyses, layer=layer))
    mark_current_layer(chart_key=chart_key(ACROSS_LAYERS), layer=layer, along="x")


ACROSS_LAYERS = "mean-nn-angle-per-layer"
by_layer()
show_figure(figures.mean_angle_curve(analyses), name=ACROSS_LAYERS, data=figures.mean_angle_table(analyses), along="x")
