"""Training: the ID across training checkpoints, and the stored LoRA-rank experiments (Kataiwa et al. 2025)."""

from pathlib import Path

import pandas as pd
import streamlit as st

from pipeline.checkpoints import (CheckpointError, checkpoints_from_folders, hub_checkpoints, measure_series,
                                  stored_series)
from pipeline.lora_sweep import stored_sweeps
from ui.figures import training as figures
from ui.page import open_view
from ui.resources import current_store_path, store_handle
from ui.run import with_messages, with_progress
from ui.present import controls
from ui.show import presenting, show_figure

request, _ = open_view(
    "Training",
    caption="Kataiwa et al. 2025: the ID of the token embeddings drops fast early in training and then converges, and "
            "LoRA on the embedding layer helps most once its rank reaches about that ID. Measure a series of "
            "checkpoints here or with `python -m cli checkpoints`; run the LoRA sweep with `python -m cli lora-sweep`.",
    needs_result=False,
)
store = store_handle(current_store_path()).store

if not presenting():
    st.subheader("Checkpoints")
# Presenting, the controls sit in a folded expander in the slide's bottom strip; expanders cannot nest.
with controls("checkpoints"), (st.container(border=True) if presenting() else
                               st.expander("Add checkpoints to a series", expanded=not stored_series(store))):
    source = st.radio("Checkpoints from", ["folders", "hub revisions in the local cache"], horizontal=True)
    if source == "folders":
        folders = st.text_area("A folder of checkpoint-<step> folders (Hugging Face Trainer output), or one checkpoint "
                               "folder per line", key="training_folders", height=80)
        hub_id, revisions = None, None
    else:
        folders = ""
        hub_id = st.text_input("Hub model id", key="training_hub", placeholder="EleutherAI/pythia-70m")
        revisions = st.text_input("Revisions (comma-separated; empty: every cached step… branch)",
                                  key="training_revisions")
    name = st.text_input("Series name (adding to an existing name extends that series)", key="training_name")
    with_prompt = st.checkbox("Also measure the layer profile of the sidebar's prompt", value=True)
    add = st.button("Measure the checkpoints")

if add:
    try:
        if hub_id:
            wanted = [part.strip() for part in revisions.split(",") if part.strip()] or None
            checkpoints = hub_checkpoints(hub_id.strip(), revisions=wanted)
        else:
            paths = [Path(line.strip()).expanduser() for line in folders.splitlines() if line.strip()]
            if not paths:
                raise CheckpointError("give a folder of checkpoint-<step> folders, or one checkpoint folder per line.")
            checkpoints = checkpoints_from_folders(paths)
        series_name = name.strip() or (hub_id.strip() if hub_id else paths[0].resolve().name)
    except CheckpointError as error:
        st.error(str(error))
    else:
        started = []  # one report per checkpoint, as it starts

        def measure(progress):
            def report(message: str) -> None:
                progress(len(started) / len(checkpoints), message)
                started.append(message)

            return measure_series(series_name, checkpoints, store=store,
                                  prompt=request.prompt if with_prompt else None, report=report)

        with_messages(lambda: with_progress(f"Measuring {len(checkpoints)} checkpoints", measure))
        st.session_state["training_series"] = series_name

known = stored_series(store)
if not known:
    st.info("No checkpoint series in the store yet. Add one above, or run for example "
            "`python -m cli checkpoints path/to/trainer-output --prompt \"…\"`.")
else:
    names = list(known)
    chosen = st.session_state.get("training_series")
    with controls("series"):
        left, right = st.columns(2)
        series_name = left.selectbox("Series", names, index=names.index(chosen) if chosen in names else 0)
        prompts = known[series_name]["prompts"]
        labels = ["(embedding matrix only)"] + [f"{i + 1}: {' '.join(p.split())[:80]}" for i, p in enumerate(prompts)]
        picked = right.selectbox("Prompt for the layer profile", labels, index=len(labels) - 1)
    prompt = prompts[labels.index(picked) - 1] if picked != labels[0] else None
    series = with_messages(lambda: measure_series(series_name, known[series_name]["checkpoints"], store=store,
                                                  prompt=prompt, only_cached=True))
    if series is not None:
        absent = [entry.split(": ")[0] for entry in series.missing if entry.endswith(": not in the store yet")]
        if absent:
            st.warning(f"Not in the store (yet, or only from an earlier version of the measurement): "
                       f"{', '.join(absent)}. Measure them again with **Add checkpoints to a series** above or "
                       f"`python -m cli checkpoints … --name \"{series_name}\"`.")
        for entry in series.missing:
            if not entry.endswith(": not in the store yet"):
                st.warning(f"Not shown: {entry}.")
        if series.points:
            table = figures.series_table(series)
            first, last = series.points[0], series.points[-1]
            with controls("axis"):
                log_steps = st.checkbox("Log step axis", value=first.step == 0 and last.step >= 100,
                                        help="Early steps are where the ID moves fastest. A log axis has no place for "
                                             "step 0: the charts against the step leave it out (their titles say "
                                             "so); it stays in the layer heatmap and in the data files below the "
                                             "charts.")
            columns = st.columns(3)
            columns[0].metric(f"Embedding ID at step {last.step}", f"{last.embedding.id_twonn:.2f}",
                              f"{last.embedding.id_twonn - first.embedding.id_twonn:+.2f} since step {first.step}",
                              delta_color="off")
            columns[1].metric("Redundancy 1 − ID/D", f"{100 * last.embedding.redundancy:.1f} %",
                              help=f"D = {last.embedding.n_features}")
            columns[2].metric("Checkpoints", len(series.points))
            show_figure(figures.embedding_id_by_step(series, log_steps=log_steps),
                        name=f"embedding-id-across-training-{series_name}", data=table)
            if prompt is not None:
                show_figure(figures.layer_heatmap(series), name=f"layer-id-across-training-{series_name}",
                            data=table)
                show_figure(figures.peak_by_step(series, log_steps=log_steps),
                            name=f"peak-layer-id-across-training-{series_name}")

if not presenting():
    st.subheader("LoRA rank experiment")
rows = stored_sweeps(store)
if not rows:
    st.info("No LoRA sweep in the store yet. Run `python -m cli lora-sweep` (bundled SmolLM2 by default; resumable).")
else:
    sweeps: dict[str, list[dict]] = {}
    for row in rows:
        sweeps.setdefault(row["sweep"], []).append(row)
    labels = {figures.sweep_label(group): key for key, group in sweeps.items()}
    with controls("sweep"):
        group = sweeps[labels[st.selectbox("Sweep", list(labels))]]
    if not presenting():
        for line in figures.lora_summary(group):
            st.markdown(f"- {line}")
    show_figure(figures.lora_perplexity(group), name="lora-rank-perplexity", data=pd.DataFrame(group))
    if not presenting():
        st.dataframe(figures.lora_table(group)[["rank", "perplexity", "heldout_nll", "final_train_loss", "trainable",
                                                "seconds", "device"]], hide_index=True)
