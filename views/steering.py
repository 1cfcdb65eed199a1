"""Steering: Emb2Emb maps between two models' hidden states, and a steering vector found in model A
carried into model B (Lee et al. 2025)."""

import numpy as np
import pandas as pd
import streamlit as st

from lm import BUNDLED_MODELS
from pipeline.layer_maps import layer_grid
from pipeline.steering import CONDITIONS, SteeringSpec, steering_experiment
from prompts.steering import CONCEPTS, DEFAULT_CONCEPT
from ui.figures import steering as figures
from ui.page import open_view
from ui.present import controls, presenting
from ui.resources import current_store_path, loaded_model, store_handle
from ui.run import with_messages, with_progress
from ui.show import show_figure

OTHER = "Other…"
request, _ = open_view(
    "Steering",
    caption="Hidden states of the same text in two models, paired token by token (tokens that have read exactly "
            "the same characters), and a ridge map from a layer of A to a layer of B fitted on part of them. A "
            "steering vector found in A (mean difference of contrastive sentences) is carried through the map "
            "and added to B's residual stream while B generates.",
    needs_result=False,
)
store = store_handle(current_store_path()).store


def choose_model(column, label: str, index: int) -> str:
    names = list(BUNDLED_MODELS)
    choice = column.selectbox(label, names + [OTHER], index=min(index, len(names) - 1), key=f"steering_{label}")
    if choice == OTHER:
        return column.text_input(f"{label}: Hugging Face id, model folder or .gguf path",
                                 key=f"steering_{label}_text").strip()
    return choice


with controls("models"):
    a_column, b_column, ridge_column = st.columns([2, 2, 1])
model_a = choose_model(a_column, "Model A (source)", 0)
model_b = choose_model(b_column, "Model B (steered)", 1)
ridge = ridge_column.select_slider("Ridge α", [0.001, 0.01, 0.1, 1.0], value=0.1,
                                   help="λ = α × (total variance of A's training tokens) / width of A: the same "
                                        "relative penalty at every layer and for every model.")
if not (model_a and model_b):
    st.info("Type the path or id of the other model.")
    st.stop()

st.subheader("Which layers align: held-out R² of every layer-to-layer map")
with controls("fit"):
    fit_now = st.button("Fit the layer maps")
outcome = with_messages(lambda: with_progress(
    "Fitting the layer maps", lambda progress: layer_grid(
        model_a, model_b, store=store, relative_ridge=ridge, dtype=request.dtype, loader=loaded_model,
        progress=progress, only_cached=not fit_now)))
if outcome is None:
    if not fit_now:
        st.info("Press **Fit the layer maps** (runs both models on 16 short texts and fits every pair of layers; "
                "SmolLM2 × Gemma took 50–170 s on a busy 2-core CPU, cached afterwards).")
    st.stop()

grid = outcome.grid
best = np.unravel_index(int(np.nanargmax(grid.r2_test)), grid.r2_test.shape)
where = "from the cache" if outcome.from_cache else "computed"
st.caption(f"{outcome.model_a} → {outcome.model_b}: {grid.n_tokens} aligned tokens ({grid.n_train} fit the maps, "
           f"{grid.n_tokens - grid.n_train} held out); {where} in {outcome.seconds:.1f} s. Highest held-out R² "
           f"{grid.r2_test[best]:.3f}, from layer {best[0]} of A to layer {best[1]} of B.")

st.subheader(f"Steer {outcome.model_b} with a vector found in {outcome.model_a}")
with controls("steering"):
    knobs = st.columns(4)
concept_name = knobs[0].selectbox("Concept", list(CONCEPTS), index=list(CONCEPTS).index(DEFAULT_CONCEPT),
                                     format_func=lambda n: f"{CONCEPTS[n].toward_label} vs {CONCEPTS[n].away_label}")
concept = CONCEPTS[concept_name]
layer_a = knobs[1].slider(f"Layer of A (0..{outcome.n_layers_a})", 0, outcome.n_layers_a,
                             value=outcome.n_layers_a // 2)
steerable = grid.r2_test[layer_a, : outcome.n_layers_b]  # B's last layer is after the final norm: not steerable
suggested = int(np.nanargmax(steerable))
layer_b = knobs[2].slider(f"Layer of B (0..{outcome.n_layers_b - 1})", 0, outcome.n_layers_b - 1, value=suggested,
                             key=f"steering_layer_b_{layer_a}",
                             help=f"Starts at the layer of B with the highest held-out R² from layer {layer_a} of A "
                                  f"(R² {steerable[suggested]:.3f}).")
strength = knobs[3].select_slider("Strength", [0.0, 1.0, 2.0, 4.0, 8.0, 16.0], value=4.0, key="steering_strength",
                                     help="The vector added is strength × v, at every position.")
selected_r2 = grid.r2_test[layer_a, layer_b]
show_figure(figures.grid_figure(outcome, selected=(layer_a, layer_b)), name="steering-layer-grid",
            data=figures.grid_table(outcome))

spec = SteeringSpec(model_a=model_a, model_b=model_b, concept=concept_name, layer_a=layer_a, layer_b=layer_b,
                    strength=float(strength), relative_ridge=ridge, dtype=request.dtype)
with controls("steer"):
    steer_now = st.button(f"Steer {outcome.model_b}")
result = with_messages(lambda: with_progress(
    "Steering", lambda progress: steering_experiment(spec, store=store, loader=loaded_model, progress=progress,
                                                     only_cached=not steer_now)))
if result is None:
    if not steer_now:
        st.info(f"Press **Steer {outcome.model_b}** (generates {len(concept.prompts)} prompts × 4 vectors, "
                f"{spec.max_new_tokens} new tokens each; SmolLM2 ↔ Gemma took 3–5 minutes on a busy 2-core CPU, "
                "cached afterwards).")
    st.stop()

random_mean, random_sd = result.effects[CONDITIONS[3]], result.random_sd
metrics = st.columns(5)
metrics[0].metric("Map R² (held out)", f"{result.map_r2_test:.3f}", help=f"{result.map_tokens} aligned tokens")
metrics[1].metric("cos(transferred, B's own)", f"{result.cosine:.3f}")
metrics[2].metric("Effect: B's own vector", f"{result.effects[CONDITIONS[1]]:+.2f}")
metrics[3].metric("Effect: transferred", f"{result.effects[CONDITIONS[2]]:+.2f}")
metrics[4].metric("Effect: random, same norm", f"{random_mean:+.2f} ± {random_sd:.2f}",
                  help=f"mean ± sd over {len(result.random_effects)} seeds")
if not presenting():
    transferred = result.effects[CONDITIONS[2]]
    z = (transferred - random_mean) / random_sd if random_sd > 0 else float("nan")
    st.caption(
        f"Effect = change of log Σp({concept.toward_label} words) − log Σp({concept.away_label} words) for the next "
        f"token after each prompt, averaged over {len(result.prompts)} prompts, in nats (target tokens in "
        f"{outcome.model_b}: {', '.join(map(repr, result.toward_tokens))} vs {', '.join(map(repr, result.away_tokens))}). "
        f"The transferred vector's effect is {z:+.1f} standard deviations of the random controls away from their "
        f"mean. Norms: ‖v_A‖ = {result.norm_a:.2f}, ‖v_B‖ = {result.norm_b:.2f}, ‖v_A W‖ = "
        f"{result.norm_transferred:.2f}; mean ‖h‖ of {outcome.model_b} at layer {layer_b} = {result.hidden_norm_b:.1f}. "
        f"{'From the cache' if result.from_cache else 'Computed'} in {result.seconds:.1f} s.")
show_figure(figures.effect_figure(result, toward=concept.toward_label, away=concept.away_label),
            name="steering-effects", data=figures.effect_table(result))

st.markdown(f"**Greedy continuations by {outcome.model_b}** ({spec.max_new_tokens} new tokens; random: seed 0)")
header = st.columns(len(CONDITIONS))
for column, name in zip(header, CONDITIONS):
    column.markdown(f"**{name}**")
for index, prompt in enumerate(result.prompts):
    row = st.columns(len(CONDITIONS))
    for column, name in zip(row, CONDITIONS):
        shift = "" if name == CONDITIONS[0] else f"  \n*Δ log-odds {result.prompt_effects[name][index]:+.2f}*"
        column.markdown(f"*{prompt}*{result.generations[name][index]}{shift}")
st.download_button("Continuations (CSV)", pd.DataFrame(
    [{"prompt": p, "vector": n, "continuation": result.generations[n][i]} for i, p in enumerate(result.prompts)
     for n in CONDITIONS]).to_csv(index=False), file_name="steering-continuations.csv", mime="text/csv")
