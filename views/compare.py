"""Compare: two runs on one set of axes, and two models' shared token geometry (Lee et al. 2025)."""

import dataclasses

import pandas as pd
import streamlit as st

from lm import BUNDLED_MODELS
from pipeline.analysis import statistic_label
from pipeline.models import cross_model_analysis
from ui.figures import compare as figures
from ui.page import open_view
from ui.resources import current_store_path, loaded_model, store_handle
from ui.run import current_outcome, with_messages, with_progress
from ui.present import controls
from ui.show import presenting, show_figure

request, outcome = open_view("Compare")
if not presenting():
    st.subheader("Two runs on one set of axes")
with controls("second run"):
    mode = st.radio("Compare", ["two models, same prompt", "two prompts, same model"], horizontal=True)
    by_model = mode.startswith("two models")
    if by_model:
        others = [name for name in BUNDLED_MODELS if name != request.model] or list(BUNDLED_MODELS)
        second_model = st.selectbox("Second model", others + ["Other…"])
        if second_model == "Other…":
            second_model = st.text_input("Hugging Face id, model folder or .gguf path", key="compare_model_text")
        bos = BUNDLED_MODELS[second_model].wants_bos if second_model in BUNDLED_MODELS else request.add_special_tokens
        second = dataclasses.replace(request, model=second_model, add_special_tokens=bos, trust_remote_code=False)
    else:
        second = dataclasses.replace(request, prompt=st.text_area("Second prompt", key="compare_prompt", height=120))
    pressed = st.button("Run the second")
other = current_outcome(second, run=pressed, quiet=True) if (second.model and second.prompt.strip()) else None
if other is not None:
    with controls("measure"):
        left, right = st.columns([1, 3]) if not presenting() else (st.container(), None)
        analyses = [outcome.analysis, other.analysis]
        metric = left.selectbox("Measure", figures.metrics(analyses), format_func=statistic_label)
        normalise = left.toggle("Normalise depth to 0..1", value=by_model)
    with right or st.container():
        show_figure(figures.comparison_figure(analyses, metric, by_model=by_model, normalise=normalise),
                    name="comparison", data=figures.comparison_table(analyses, metric, by_model=by_model))
elif not pressed:
    st.info("Pick the second model or prompt, then press **Run the second** (cached results appear at once).")

st.subheader("Shared geometry of two models' token embeddings")
if not presenting():
    st.caption("On the whole-word tokens both vocabularies share: Pearson correlation of the two cosine-similarity "
               "matrices, LLE weights learnt in A reused in B, and an affine Emb2Emb map A → B that carries a "
               "steering vector (capitalised − lower-case words, never seen by the map).")
names = list(BUNDLED_MODELS)
a_column, b_column = st.columns(2)
model_a = a_column.selectbox("Model A", names, index=0)
model_b = b_column.selectbox("Model B", names, index=min(1, len(names) - 1))
store = store_handle(current_store_path()).store
compare_now = st.button("Compare the embeddings")
result = with_messages(lambda: with_progress(
    "Comparing the embeddings", lambda progress: cross_model_analysis(
        model_a, model_b, store=store, loader=loaded_model, progress=progress, only_cached=not compare_now)))
if result is not None:
    metrics = st.columns(4)
    metrics[0].metric("Global similarity (Pearson)", f"{result.global_pearson:.3f}")
    metrics[1].metric("Emb2Emb R² (held out)", f"{result.r2_test:.3f}", help=f"R² on the fitting tokens {result.r2_train:.3f}")
    metrics[2].metric("Steering-vector cosine", f"{result.steering_cosine:.3f}",
                      help=f"{result.steering_pairs} capitalised/lower-case word pairs")
    metrics[3].metric("Shared tokens", len(result.tokens))
    show_figure(figures.lle_figure(result), name="lle-transfer",
                data=pd.DataFrame({"weights": ["own", "transferred", "uniform", "random"],
                                   "error": [result.lle_own, result.lle_transfer, result.lle_uniform, result.lle_random]}))
elif not compare_now:
    st.info("Press **Compare the embeddings** (loads both models once; about 10 s).")
