"""Layers: ID per layer, neighbourhood overlap, cosine similarity, scale analysis, shuffle sweep."""

import pandas as pd
import streamlit as st

from geometry.shuffle import max_shuffle_index
from ui.figure_cache import built_once
from ui.figures import layers as figures
from ui.page import open_view
from ui.run import sweep_outcomes
from ui.show import show_figure
from ui.present import controls
from ui.url import linked_tab, url_int, write_tab, write_url

request, outcome = open_view(
    "Layers",
    caption="How the geometry of the prompt's token cloud changes with depth (Viswanathan et al. 2025). "
    "Click legend entries to show or hide a line; GRIDE r=2 equals the TwoNN MLE by construction.",
)
analysis = outcome.analysis


def intrinsic_dimension() -> None:
    chart, side = st.columns([3, 1])
    with chart:
        show_figure(built_once(figures.id_curves, analysis), name="id-per-layer",
                    data=built_once(figures.id_table, analysis))
    with side:
        st.metric("Tokens", analysis.n_tokens)
        st.metric("Mean next-token loss", f"{analysis.mean_loss:.2f} nats")
        st.metric("Layers", int(analysis.layers.size))
        with st.expander(f"The {analysis.n_tokens} tokens"):
            st.dataframe(pd.DataFrame({"token": [repr(t) for t in analysis.tokens]}), height=240)
        if analysis.n_duplicates.sum() > 0:
            show_figure(built_once(figures.duplicates_bar, analysis), name="duplicates-per-layer")
        else:
            st.caption("No exact duplicate points at any layer 1..L, so none were removed.")


def neighbourhood_overlap() -> None:
    default_k = url_int("k", low=1, high=analysis.overlap.shape[1], default=1)
    with controls("k"):
        k = st.slider("Neighbours k", 1, analysis.overlap.shape[1], default_k, key="overlap_k_slider")
    write_url(k=k)
    show_figure(built_once(figures.overlap_curve, analysis, k=k), name=f"overlap-k{k}",
                data=built_once(figures.overlap_table, analysis))


def cosine_similarity() -> None:
    with controls("diagonal"):
        diagonal = st.toggle("Include the diagonal (as the reference code does)", value=True)
    show_figure(built_once(figures.cosine_curve, analysis, include_diagonal=diagonal), name="cosine-per-layer",
                data=built_once(figures.cosine_table, analysis))


def scale_analysis() -> None:
    show_figure(built_once(figures.scale_analysis, analysis), name="gride-scale-analysis",
                data=built_once(figures.scale_table, analysis))


def structured_vs_shuffled() -> None:
    largest = max_shuffle_index(int(analysis.kept.size))
    with controls("sweep"):
        left, middle, right = st.columns(3)
    default_s = url_int("shuffle", low=1, high=largest, default=min(largest, 3))
    max_s = left.slider("Largest shuffle index S", 1, largest, default_s,
                        help=f"S splits the tokens into 4^S blocks and permutes them; S={largest} shuffles every token.")
    seeds = middle.slider("Seeds per S", 1, 5, url_int("seeds", low=1, high=5, default=3))
    names = list(figures.ESTIMATOR_COLOURS)
    linked = st.session_state.pop("url_estimator", None)
    estimator = right.selectbox("Estimator", names, index=names.index(linked) if linked in names else 2)
    write_url(shuffle=max_s, seeds=seeds, estimator=estimator)
    runs = 1 + max_s * seeds
    with controls("sweep run"):
        pressed = st.button(f"Run the shuffle sweep ({runs} model runs; cached ones are skipped)")
    sweep = sweep_outcomes(request, max_shuffle=max_s, seeds=seeds, run=pressed)
    if sweep:
        analyses = [item.analysis for item in sweep]
        show_figure(figures.shuffle_overlay(analyses, estimator=estimator), name="structured-vs-shuffled",
                    data=figures.sweep_table(analyses, estimator=estimator))
    elif not pressed:
        st.info("Press the button to compare the prompt with its block-shuffled versions "
                "(Viswanathan et al. 2025, Fig. 2): shuffling raises the ID peak and the loss.")


# Only the open tab runs and is sent to the browser (one chart instead of five on each visit). A
# link that carries a tab's setting (?k=…, ?shuffle=…) opens that tab.
TABS = {"Intrinsic dimension": intrinsic_dimension, "Neighbourhood overlap": neighbourhood_overlap,
        "Cosine similarity": cosine_similarity, "Scale analysis": scale_analysis,
        "Structured vs shuffled": structured_vs_shuffled}
for name, tab, draw in zip(TABS, st.tabs(list(TABS), default=linked_tab(), key="layers_tab", on_change="rerun"),
                           TABS.values()):
    if tab.open:
        write_tab(name)
        with tab:
            draw()
