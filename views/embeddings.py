"""Embeddings: intrinsic dimension of the whole token-embedding matrix (Kataiwa et al. 2025)."""

import pandas as pd
import streamlit as st

from pipeline.models import embedding_analysis, stored_embedding_results
from ui.figures.compare import embedding_bar
from ui.page import open_view
from ui.resources import current_store_path, loaded_model, store_handle
from ui.run import with_messages, with_progress
from ui.show import show_figure

request, _ = open_view(
    "Embeddings",
    caption="The rows of the input-embedding matrix (the whole vocabulary) as one point cloud. Redundancy "
    "1 − ID/D says how much of the width the vocabulary does not use; Kataiwa et al. 2025 suggest "
    "the ID as a guide for the LoRA rank.",
    needs_result=False,
)
store = store_handle(current_store_path()).store
max_points = st.select_slider("Rows used (seeded sample)", [4096, 8192, 16384, 32768], value=16384,
                              help="Exact nearest neighbours of the full vocabulary take minutes; a seeded sample "
                                   "gives the same ID up to its error bar.")
measure = st.button(f"Measure {request.model}")
outcome = with_messages(lambda: with_progress(
    "Measuring the embedding matrix", lambda progress: embedding_analysis(
        request.model, store=store, max_points=max_points, dtype=request.dtype, loader=loaded_model,
        progress=progress, only_cached=not measure)))
if outcome is not None:
    result = outcome.result
    where = "from the cache" if outcome.from_cache else "computed"
    st.caption(f"{outcome.model_name}: {where} in {outcome.seconds:.2f} s.")
    columns = st.columns(5)
    columns[0].metric("ID (TwoNN, linear fit)", f"{result.id_twonn:.1f}", help=f"± {result.error_twonn:.2f}")
    columns[1].metric("ID (TwoNN, MLE)", f"{result.id_twonn_mle:.1f}", help=f"± {result.error_twonn_mle:.2f}")
    columns[2].metric("Harmonic mean of local MLE", f"{result.id_local_mle:.1f}", help=f"k = {result.k_local}")
    columns[3].metric("Redundancy 1 − ID/D", f"{100 * result.redundancy:.1f} %", help=f"D = {result.n_features}")
    columns[4].metric("Suggested LoRA rank", result.lora_rank, help="Smallest power of two ≥ the TwoNN ID.")
    st.dataframe(pd.DataFrame([
        {"rows": "in the matrix", "count": result.n_rows},
        {"rows": "dropped: zero / unused (norm ≤ 1e-6 × median)", "count": result.n_zero_rows},
        {"rows": "dropped: exact duplicates", "count": result.n_exact_duplicates},
        {"rows": "dropped: near duplicates (equal on a 1e-6 × median-norm grid)", "count": result.n_near_duplicates},
        {"rows": "left out by the seeded sample", "count": result.n_subsampled_out},
        {"rows": "used for the estimate", "count": result.n_used},
    ]), hide_index=True)
elif not measure:
    st.info(f"Press **Measure {request.model}** (loads the model; ~15 s for 16,384 rows).")
rows = stored_embedding_results(store)
if rows:
    show_figure(embedding_bar(rows), name="embedding-id-by-model", data=pd.DataFrame(rows))
