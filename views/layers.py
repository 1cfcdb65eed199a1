"""Layers: ID per layer, neighbourhood overlap, cosine similarity, scale analysis, shuffle sweep."""

import pandas as pd
import streamlit as st

from geometry.registry import owner
from geometry.shuffle import max_shuffle_index
from pipeline.analysis import statistic_label
from pipeline.sweep import estimator_label, shuffled_text, sweep_sentence, sweep_summary
from ui.figure_cache import built_once
from ui.figures import layers as figures
from ui.page import open_view
from ui.run import sweep_outcomes
from ui.show import presenting, show_figure
from ui.state import LAYER
from ui.present import controls
from ui.url import linked_tab, url_int, url_int_list, write_tab, write_url

request, outcome = open_view(
    "Layers",
    caption="How the geometry of the prompt's token cloud changes with depth (Viswanathan et al. 2025). "
    "Click legend entries to show or hide a line. GRIDE r=2 and the TwoNN MLE use the same ratios, but GRIDE "
    "drops outlier ratios first (as DADApy does), so they can differ.",
)
analysis = outcome.analysis
# The layer chosen on another page (ui.state's shared layer), marked on the charts across layers
# (none before one was chosen).
current_layer = st.session_state.get(LAYER)
current_layer = current_layer if isinstance(current_layer, int) and 1 <= current_layer <= analysis.layers.size else None


def intrinsic_dimension() -> None:
    chart, side = st.columns([3, 1])
    with chart:
        show_figure(built_once(figures.id_curves, analysis), name="id-per-layer",
                    data=built_once(figures.id_table, analysis), along="x", layer=current_layer)
    with side:
        st.metric("Tokens", analysis.n_tokens)
        st.metric("Mean next-token loss", f"{analysis.mean_loss:.2f} nats")
        st.metric("Layers", int(analysis.layers.size))
        # Filled only once opened: a data grid in a closed expander still costs every page switch.
        token_list = st.expander(f"The {analysis.n_tokens} tokens", key="layers_token_list", on_change="rerun")
        if token_list.open:
            token_list.dataframe(pd.DataFrame({"token": [repr(t) for t in analysis.tokens]}), height=240)
        if analysis.n_duplicates.sum() > 0:
            show_figure(built_once(figures.duplicates_bar, analysis), name="duplicates-per-layer", along="x",
                        layer=current_layer)
        else:
            st.caption("No exact duplicate points at any layer 1..L, so none were removed.")


def neighborhood_overlap() -> None:
    default_k = url_int("k", low=1, high=analysis.overlap.shape[1], default=1)
    with controls("k"):
        k = st.slider("Neighbours k", 1, analysis.overlap.shape[1], default_k, key="overlap_k_slider")
    write_url(k=k)
    show_figure(built_once(figures.overlap_curve, analysis, k=k), name=f"overlap-k{k}",
                data=built_once(figures.overlap_table, analysis), along="x", layer=current_layer)


def cosine_similarity() -> None:
    with controls("diagonal"):
        diagonal = st.toggle("Include the diagonal (as the reference code does)", value=True)
    show_figure(built_once(figures.cosine_curve, analysis, include_diagonal=diagonal), name="cosine-per-layer",
                data=built_once(figures.cosine_table, analysis), along="x", layer=current_layer)


def every_statistic() -> None:
    """Any registered per-layer statistic (geometry.registry), one at a time."""
    columns = list(analysis.columns)
    linked = st.session_state.pop("url_statistic", None)
    with controls("statistic"):
        column = st.selectbox("Statistic", columns, index=columns.index(linked) if linked in columns else 0,
                              format_func=statistic_label, key="layers_statistic")
    write_url(statistic=column)
    statistic = owner(column)
    show_figure(built_once(figures.statistic_figure, analysis, column=column), name=f"{column}-per-layer",
                data=built_once(figures.statistic_table, analysis, column=column), along="x", layer=current_layer)
    if statistic.description and not presenting():
        st.caption(statistic.description)


def scale_analysis() -> None:
    show_figure(built_once(figures.scale_analysis, analysis), name="gride-scale-analysis",
                data=built_once(figures.scale_table, analysis))


def structured_vs_shuffled() -> None:
    largest = max_shuffle_index(analysis.n_text_tokens)
    with controls("sweep"):
        left, middle, right = st.columns(3)
    linked_s = url_int_list("shuffle", low=1, high=largest, default=[largest])
    shuffles = left.multiselect(
        "Shuffle indices S", list(range(largest + 1)), sorted({0, *linked_s}), key="sweep_shuffles",
        help=f"S splits the text into 4^S blocks and permutes them (special tokens stay in place); "
             f"S={largest} shuffles every token. The papers compare S=0 with the full shuffle.")
    seeds = middle.slider("Seeds per S > 0", 1, 5, url_int("seeds", low=1, high=5, default=3), key="sweep_seeds")
    names = list(figures.ESTIMATOR_COLOURS)
    linked = st.session_state.pop("url_estimator", None)
    linked = linked if linked in names else next((n for n in names if estimator_label(n) == linked), "gride_2")
    estimator = right.selectbox("Estimator", names, index=names.index(linked), format_func=estimator_label,
                                key="sweep_estimator")
    shuffled = [s for s in shuffles if s > 0]
    write_url(shuffle=",".join(map(str, sorted(shuffled))) or None, seeds=seeds, estimator=estimator)
    if not shuffled:
        st.info("Choose at least one shuffled S (S > 0) to compare with the prompt as written.")
        return
    with controls("sweep run"):
        pressed = st.button(f"Run the shuffle sweep ({1 + len(shuffled) * seeds} model runs; cached ones are skipped)")
    sweep = sweep_outcomes(request, shuffles=sorted(set(shuffles) | {0}), seeds=seeds, run=pressed)
    if not sweep:
        if not pressed:
            st.info("Press the button to compare the prompt with its block-shuffled versions "
                    "(Viswanathan et al. 2025, Fig. 2). The page then reports what this prompt shows.")
        return
    analyses = [item.analysis for item in sweep]
    summary = sweep_summary(analyses, estimator=estimator)
    show_figure(figures.headline_figure(analyses, estimator=estimator), name="shuffle-headline", data=summary)
    st.markdown(f"**{sweep_sentence(summary, estimator=estimator)}**")
    chart, text = st.columns([3, 2])
    with chart:
        show_figure(figures.shuffle_overlay(analyses, estimator=estimator), name="structured-vs-shuffled",
                    data=figures.sweep_table(analyses, estimator=estimator), along="x", layer=current_layer)
    with text:
        st.markdown("**The analysed text** (┃ marks where two shuffled blocks meet)")
        labels = [f"S={a.shuffle_index}" + (f", seed {a.seed}" if a.shuffle_index else " (as written)") for a in analyses]
        choice = st.selectbox("Show", range(len(analyses)), format_func=labels.__getitem__,
                              index=len(analyses) - 1, key="sweep_text_choice", label_visibility="collapsed")
        st.text_area("Shuffled text", shuffled_text(analyses[choice]), height=420, disabled=True,
                     key=f"sweep_text_{choice}", label_visibility="collapsed")


# Only the open tab runs and is sent to the browser (one chart instead of five on each visit). A
# link that carries a tab's setting (?k=…, ?shuffle=…) opens that tab.
TABS = {"Intrinsic dimension": intrinsic_dimension, "Neighbourhood overlap": neighborhood_overlap,
        "Cosine similarity": cosine_similarity, "Scale analysis": scale_analysis,
        "Structured vs shuffled": structured_vs_shuffled, "Every statistic": every_statistic}
for name, tab, draw in zip(TABS, st.tabs(list(TABS), default=linked_tab(), key="layers_tab", on_change="rerun"),
                           TABS.values()):
    if tab.open:
        write_tab(name)
        with tab:
            draw()
