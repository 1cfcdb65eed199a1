"""UMAP: the token cloud of one layer in 2-D or 3-D; aligned mode follows tokens through depth."""

import dataclasses

import numpy as np
import streamlit as st

from geometry.shuffle import max_shuffle_index
from pipeline.derived import aligned_layer_projections, joint_projection, layer_projection, token_clusters
from ui.figures import projection as figures
from ui.hidden import hidden_states
from ui.page import open_view
from ui.resources import current_store_path, store_handle
from ui.run import current_outcome, with_messages
from ui.show import show_figure
from ui.present import controls
from ui.state import clicked_token, layer_slider, token_select

request, outcome = open_view(
    "UMAP",
    caption="A seeded UMAP (McInnes et al. 2018) of the tokens' hidden states at one layer. Hover a point to "
    "see its token in context. Projections are cached, so revisiting a layer is instant.",
)
analysis = outcome.analysis
store = store_handle(current_store_path()).store
points = hidden_states(outcome, request)
n_layers = int(analysis.layers.size)
with controls("view"):
    left, middle, right = st.columns(3)
dimensions = left.radio("Dimensions", [2, 3], horizontal=True, key="umap_dimensions")
JOINT = "shuffle condition"
colour_by = middle.selectbox("Colour by", ["local ID", "cluster", "position in the prompt", JOINT], key="umap_colour",
                             help=f"{JOINT}: one UMAP of the prompt together with its fully shuffled version.")
aligned = right.toggle("Align layers", key="umap_aligned",
                       help="Follow tokens through depth: each layer's UMAP starts from the previous layer's layout and is rotated onto it. "
                            f"The first time this computes all {n_layers} layers (~2 s each).")
shuffled = None
if colour_by == JOINT:
    full = max_shuffle_index(int(analysis.kept.size))
    shuffled_request = dataclasses.replace(request, shuffle_index=full, seed=0)
    with controls("shuffled"):
        pressed = st.button(f"Add the fully shuffled prompt (S={full}, one model run)")
    shuffled = current_outcome(shuffled_request, run=pressed, quiet=True)
    if shuffled is None:
        st.info("Colouring by shuffle condition needs the fully shuffled prompt: press the button above.")
        st.stop()
embeddings = None
if aligned and shuffled is None:
    embeddings = with_messages(lambda: aligned_layer_projections(outcome, n_components=dimensions, points=points,
                                                                 store=store))


@st.fragment
def layer_view() -> None:
    with controls("layer and token"):
        layer = layer_slider(n_layers=n_layers, default=analysis.peak_layer or 1, key="umap_layer")
        token = token_select(positions=analysis.kept, key="umap_token", label="Highlight a token (or click a point)",
                             label_of=lambda i: f"#{analysis.kept[i]} {analysis.kept_tokens[i]!r}")
    if shuffled is not None:
        joint = with_messages(lambda: joint_projection(
            [outcome, shuffled], layer=layer, n_components=dimensions, store=store,
            points=[points, hidden_states(shuffled, shuffled_request)]))
        if joint is not None:
            show_figure(figures.joint_figure([analysis, shuffled.analysis], joint, layer=layer),
                        name="umap-joint", settings=f"layer {layer} {dimensions}d",
                        data=figures.joint_table([analysis, shuffled.analysis], joint, layer=layer))
        return
    if embeddings is not None:
        embedding = embeddings[layer - 1]
    else:
        with st.spinner(f"UMAP of layer {layer}…"):
            embedding = with_messages(lambda: layer_projection(outcome, layer=layer, n_components=dimensions,
                                                               points=points, store=store))
    if embedding is None:
        return
    if colour_by == "cluster":
        clusters = with_messages(lambda: token_clusters(outcome, layer=layer, n_clusters=8, points=points, store=store))
        values = clusters["labels"] if clusters else np.zeros(analysis.kept.size)
    elif colour_by == "local ID":
        values = analysis.local_id[layer - 1]
    else:
        values = analysis.kept.astype(float)
    figure = figures.projection_figure(analysis, embedding, layer=layer, colour_by=colour_by, values=values,
                                       highlight=token, aligned=embeddings is not None,
                                       axis_ranges=None if embeddings is None else figures.aligned_axis_ranges(embeddings))
    show_figure(figure, name="umap", settings=f"layer {layer} {dimensions}d {colour_by}", key="umap-chart",
                on_select=lambda: clicked_token("umap-chart", positions=analysis.kept),
                data=figures.projection_table(analysis, embedding, layer=layer, values=values, colour_by=colour_by))
    if embeddings is not None and token is not None:
        show_figure(figures.trajectory_figure(analysis, embeddings, token=token, current_layer=layer), name="token-path")


layer_view()
