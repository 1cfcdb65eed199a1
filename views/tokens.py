"""Tokens: the prompt painted by local ID or loss, a token × layer heatmap, semantic clusters,
and each token's nearest neighbours with LLE weights (Lee et al. 2025)."""

import numpy as np
import streamlit as st

from pipeline.derived import token_clusters
from ui.figures import tokens as figures
from ui.hidden import hidden_states
from ui.page import open_view
from ui.resources import current_store_path, store_handle
from ui.run import with_messages
from ui.layer_mark import mark_current_layer
from ui.show import chart_key, register_table, show_figure
from ui.clickable import clickable_text
from ui.figure_cache import built_once
from ui.present import controls
from ui.state import layer_slider, token_select

request, outcome = open_view(
    "Tokens",
    caption="Per-token local intrinsic dimension (Levina–Bickel MLE on each token's k nearest neighbours) "
    "painted on the text. Lee et al. 2025: low-ID tokens form semantically coherent clusters.",
)
analysis = outcome.analysis
tokens = list(analysis.kept_tokens)
# The painted text shows every token; those left out of the cloud (special tokens, sinks) stay unpainted.
every_token = list(analysis.tokens)
surprisal = np.concatenate([[np.nan], analysis.losses]) if analysis.losses.size else None
n_layers = int(analysis.layers.size)


@st.fragment
def layer_views() -> None:
    """Everything that depends on the layer; moving the slider reruns only this part."""
    choices = ["local ID", "next-token loss"] if surprisal is not None else ["local ID"]
    with controls("layer and paint"):
        layer = layer_slider(n_layers=n_layers, default=analysis.peak_layer or 1, key="tokens_layer")
        paint = st.radio("Paint tokens by", choices, horizontal=True, key="tokens_paint")
    if paint == "local ID":
        values = np.full(len(every_token), np.nan)
        values[analysis.kept] = analysis.local_id[layer - 1]
    else:
        values = surprisal
    finite = values[np.isfinite(values)]
    low, high = (np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0))
    label = f"local ID (k={analysis.local_k}, layer {layer})" if paint == "local ID" else "loss (nats)"
    painted = figures.painted_text(every_token, values, label=label, low=float(low), high=float(high))
    clickable_text(painted + figures.caption("Click a token to select it here, on the UMAP page and in the link."),
                   positions=range(len(every_token)), key="tokens_painted")

    st.subheader(f"Semantic clusters at layer {layer}")
    shares = {"the half with the lowest local ID": 0.5, "every token": 1.0}
    left, right = st.columns(2)
    which = left.radio("Tokens clustered", list(shares), horizontal=True, key="cluster_share",
                       help="Lee et al. 2025 find semantic clusters among the tokens of low local ID.")
    share = shares[which]
    clustered = int(np.ceil(share * len(tokens)))
    n_clusters = right.slider("Number of clusters", 2, max(3, min(20, clustered)), min(8, max(2, clustered)),
                              key="n_clusters")
    store = store_handle(current_store_path()).store
    clusters = with_messages(lambda: token_clusters(outcome, layer=layer, n_clusters=n_clusters, low_id_share=share,
                                                     points=hidden_states(outcome, request), store=store))
    if clusters is not None:
        sizes = clusters["cluster_sizes"]
        caption = (f"Agglomerative clustering of {int(sizes.sum())} of {len(tokens)} tokens ({which}): the layer's "
                   "states centred on their mean, compared by direction (cosine), Ward linkage. Cluster 0 has the "
                   f"lowest harmonic-mean local ID; the largest holds {int(sizes.max())} tokens "
                   f"({100 * sizes.max() / len(tokens):.0f} % of the prompt). Colours match the table"
                   + ("; grey tokens are not clustered." if share < 1 else "."))
        table = figures.cluster_table(tokens, clusters)
        st.html(figures.cluster_section(tokens, labels=clusters["labels"], table=table, text=caption))
        register_table(table.assign(layer=layer, clustered=which), name="token-clusters")

    # The heatmap across layers (drawn once, below the fragment) has the slider's layer marked over it.
    mark_current_layer(chart_key=chart_key(HEATMAP), layer=layer, along="y")
    nearest_neighbours(layer)


def nearest_neighbours(layer: int) -> None:
    st.subheader("Nearest neighbours of a token")
    if analysis.n_token_neighbors == 0:
        st.info("This result was stored by a corpus run, which leaves out each token's neighbour list and LLE "
                "weights (`python -m cli run --token-neighbours` keeps them). Press **Run** to add them: one "
                "forward pass; the stored result is completed, nothing else changes.")
        return
    choice = token_select(positions=analysis.kept, key="tokens_selected", allow_none=False,
                          label_of=lambda i: f"#{analysis.kept[i]} {tokens[i]!r}")
    table = figures.neighbor_table(analysis, layer=layer, token=int(choice))
    st.html(figures.neighbor_section(table, text="LLE weights reconstruct the token from these neighbours "
                                                 "(they sum to 1; Roweis & Saul 2000)."))
    register_table(table.assign(layer=layer, of_position=int(analysis.kept[int(choice)])), name="token-neighbours")


HEATMAP = "local-id-heatmap"
layer_views()
show_figure(built_once(figures.local_id_heatmap, analysis), name=HEATMAP, data=built_once(figures.heatmap_table, analysis),
            along="y")
