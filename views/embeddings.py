"""Embeddings: the whole vocabulary as one point cloud — the intrinsic dimension of the input-embedding
matrix (Kataiwa et al. 2025) and each token's local ID in it (Lee et al. 2025)."""

import pandas as pd
import streamlit as st

from pipeline.vocabulary import BLOCK_ROWS, K_LOCAL, stored_embedding_results, vocabulary_geometry
from ui.figures import vocabulary as figures
from ui.figures.compare import embedding_bar
from ui.page import open_view
from ui.resources import current_store_path, loaded_model, store_handle
from ui.present import controls, presenting
from ui.run import in_background, watched_loader, with_messages
from ui.show import show_figure
from ui.sidebar import link_model_unconfirmed

request, _ = open_view(
    "Embeddings",
    caption="The rows of the input-embedding matrix (the whole vocabulary) as one point cloud. Redundancy "
    "1 − ID/D says how much of the width the vocabulary does not use; Kataiwa et al. 2025 suggest "
    "the ID as a guide for the LoRA rank. Lee et al. 2025 measure each token's local ID in this cloud.",
    needs_result=False,
)
store = store_handle(current_store_path()).store
chart = st.container()  # in presentation mode the figure comes first, above the numbers
with controls("rows"):
    left, right = st.columns([2, 3])
rows_choice = left.radio("Rows", ["every row (exact)", "a seeded sample"], horizontal=True, key="embedding_rows",
                         help="Reserved rows (<unused…> placeholders, control tokens), zero rows and duplicates "
                              "are dropped either way, with counts.")
max_points = None
if rows_choice == "a seeded sample":
    max_points = right.select_slider("Rows in the sample", [4096, 8192, 16384, 32768], value=16384,
                                     key="embedding_sample",
                                     help="A sample makes the cloud sparser, so the ID is probed at a coarser scale.")
measure = left.button(f"Measure {request.model}")


def measured(progress, *, only_cached: bool = False):
    # The load's stages (a one-off GGUF conversion, the load) are reported and timed (ui.estimates).
    loader = watched_loader(store, lambda message: progress(0.02, message)) if not only_cached else loaded_model
    return vocabulary_geometry(request.model, store=store, max_points=max_points, dtype=request.dtype,
                               loader=loader, progress=progress, only_cached=only_cached)


if link_model_unconfirmed() and not measure:  # a path from a link is not even looked at before a button
    st.info("The model in the sidebar came from a link: check it, then press **Measure** (or **Run**) to load it.")
    geometry = None
else:  # a background run (ui.jobs): switching pages or pressing the button again never loses it
    geometry = with_messages(lambda: in_background(
        f"embeddings:{request.model}:{max_points}:{request.dtype}", f"Measuring the embedding matrix of {request.model}",
        measured, start=measure, cached=lambda: measured(lambda fraction, message: None, only_cached=True),
        timing=("embeddings", f"{request.model}:{max_points or 'every row'}:{request.dtype}")))
if geometry is not None:
    result = geometry.result
    where = "from the cache" if geometry.from_cache else "computed"
    st.caption(f"{geometry.model_name}: {where} in {geometry.seconds:.1f} s.")
    columns = st.columns(5)
    columns[0].metric("ID (TwoNN, linear fit)", f"{result.id_twonn:.2f}", help=f"± {result.error_twonn:.2f}")
    columns[1].metric("ID (TwoNN, MLE)", f"{result.id_twonn_mle:.2f}", help=f"± {result.error_twonn_mle:.2f}")
    columns[2].metric("Harmonic mean of local MLE", f"{result.id_local_mle:.2f}", help=f"k = {result.k_local}")
    columns[3].metric("Redundancy 1 − ID/D", f"{100 * result.redundancy:.1f} %", help=f"D = {result.n_features}")
    columns[4].metric("Suggested LoRA rank", result.lora_rank, help="Smallest power of two ≥ the TwoNN ID.")
    dropped = geometry.dropped
    st.dataframe(pd.DataFrame([
        {"rows": "in the matrix", "count": result.n_rows},
        {"rows": "dropped: <unused…> and other placeholder tokens", "count": dropped["unused placeholders"]},
        {"rows": "dropped: control tokens (the tokenizer's special tokens)", "count": dropped["control tokens"]},
        {"rows": "dropped: zero rows (norm ≤ 1e-6 × median)", "count": result.n_zero_rows},
        {"rows": "dropped: exact duplicates", "count": result.n_exact_duplicates},
        {"rows": "dropped: near duplicates (equal on a 1e-6 × median-norm grid)", "count": result.n_near_duplicates},
        {"rows": "left out by the seeded sample", "count": result.n_subsampled_out},
        {"rows": "used for the estimate", "count": result.n_used},
    ]), hide_index=True)

    st.subheader("Tokens of lowest and highest local ID")
    count = st.slider("Tokens in each table", 10, 100, 30, step=5, key="embedding_extremes")
    low = figures.extreme_rows(geometry.local_ids, count=count, lowest=True)
    high = figures.extreme_rows(geometry.local_ids, count=count, lowest=False)
    groups = figures.token_groups(geometry, low)
    grouped, n_groups = figures.grouped_share(groups)
    st.caption(
        f"Local ID of each of the {result.n_used:,} tokens: Levina–Bickel MLE with its k = {K_LOCAL} nearest tokens "
        f"(Euclidean) in the embedding matrix. Lowest {count}: local ID {geometry.local_ids[low].min():.2f}–"
        f"{geometry.local_ids[low].max():.2f}; highest {count}: {geometry.local_ids[high].min():.1f}–"
        f"{geometry.local_ids[high].max():.1f}. A colour marks low-ID tokens whose neighbourhoods (5 nearest tokens) "
        f"meet: {grouped} of the {count} fall into {n_groups} such groups; grey: no neighbourhood shared with "
        "another of them.")
    widths = {"colour": st.column_config.TextColumn("colour", width=60),
              "token": st.column_config.TextColumn("token", width="medium"),
              "local ID": st.column_config.NumberColumn("local ID", width=60)}
    left, right = st.columns(2)
    left.markdown("**Lowest local ID**, coloured by group")
    left.dataframe(figures.extreme_table(geometry, low, groups=groups), hide_index=True, column_config=widths)
    right.markdown("**Highest local ID**, for contrast")
    right.dataframe(figures.extreme_table(geometry, high, groups=None), hide_index=True, column_config=widths)
elif not measure:
    st.info(f"Press **Measure {request.model}**: it loads the model and compares every row of its embedding matrix "
            f"with every other, exactly, by blocks of {BLOCK_ROWS:,} rows, with progress and an estimate of the "
            "time left from the blocks done. Finished blocks are kept in the store, so a stopped search resumes; "
            "`python -m cli embeddings --model NAME` does the same from a terminal.")
rows = stored_embedding_results(store)
if rows:
    with chart if presenting() else st.container():
        show_figure(embedding_bar(rows), name="embedding-id-by-model", data=pd.DataFrame(rows))
