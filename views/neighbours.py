"""Neighbours: the angle between each token's two nearest neighbours, structured vs fully shuffled."""

import dataclasses

import streamlit as st

from geometry.shuffle import max_shuffle_index
from ui.figures import neighbours as figures
from ui.page import open_view
from ui.run import current_outcome
from ui.show import show_figure
from ui.url import url_int, write_url

request, outcome = open_view(
    "Neighbours",
    caption="For each token i with nearest neighbours a and b: the angle between x_a − x_i and x_b − x_i "
    "(Viswanathan et al. 2025). Shuffling the prompt changes how tokens sit among their neighbours.",
)
analysis = outcome.analysis
full_shuffle = max_shuffle_index(int(analysis.kept.size))
shuffled_request = dataclasses.replace(request, shuffle_index=full_shuffle, seed=0)
pressed = st.button(f"Add the fully shuffled prompt (S={full_shuffle}, one model run)")
shuffled = current_outcome(shuffled_request, run=pressed, quiet=True)
analyses = [analysis] + ([shuffled.analysis] if shuffled else [])
n_layers = int(analysis.layers.size)
start = url_int("layer", low=1, high=n_layers, default=n_layers)


@st.fragment
def histogram() -> None:
    layer = st.slider("Layer", 1, n_layers, start, key="neighbours_layer")
    write_url(model=request.model, prompt=request.prompt, layer=layer)
    show_figure(figures.angle_histogram(analyses, layer=layer), name=f"nn-angles-layer-{layer}",
                data=figures.histogram_table(analyses, layer=layer))


histogram()
show_figure(figures.mean_angle_curve(analyses), name="mean-nn-angle-per-layer", data=figures.mean_angle_table(analyses))
