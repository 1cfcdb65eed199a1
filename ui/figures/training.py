"""Figures of the Training page: the ID across checkpoints and the LoRA-rank experiment
(Kataiwa et al. 2025). Pure functions: results in, figures and tables out."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipeline.checkpoints import CheckpointSeries
from ui.figures.common import FONT, short, style, title


def series_table(series: CheckpointSeries) -> pd.DataFrame:
    """One row per checkpoint: step, embedding ID (linear, MLE, errors), redundancy, peak layer."""
    return pd.DataFrame([{
        "step": point.step, "checkpoint": point.checkpoint.label, "id_twonn": point.embedding.id_twonn,
        "error_twonn": point.embedding.error_twonn, "id_twonn_mle": point.embedding.id_twonn_mle,
        "error_twonn_mle": point.embedding.error_twonn_mle, "redundancy": point.embedding.redundancy,
        "n_features": point.embedding.n_features, "rows_used": point.embedding.n_used,
        "peak_layer": point.peak_layer, "peak_id": point.peak_id,
    } for point in series.points])


def _on_step_axis(table: pd.DataFrame, *, log_steps: bool) -> tuple[pd.DataFrame, str]:
    """The rows a step axis can place, and what the title says about the others: a log axis has
    no place for step 0 (Plotly would draw a segment from the chart's left edge to the next
    point), so it is left out there, and only there."""
    if not log_steps or not (table.step <= 0).any():
        return table, ""
    left_out = ", ".join(f"step {step}" for step in table.step[table.step <= 0])
    return table[table.step > 0], f"{left_out} not drawn (log axis)"


def embedding_id_by_step(series: CheckpointSeries, *, log_steps: bool = False) -> go.Figure:
    """Top: embedding-matrix ID (TwoNN linear fit and MLE, ± error) against the step; bottom:
    redundancy. ``log_steps``: a log step axis, without step 0 (said in the title)."""
    measured = series_table(series)
    table, left_out = _on_step_axis(measured, log_steps=log_steps)
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.06)
    for column, error, name, colour in (("id_twonn", "error_twonn", "TwoNN, linear fit", "#1f77b4"),
                                         ("id_twonn_mle", "error_twonn_mle", "TwoNN, MLE", "#ff7f0e")):
        figure.add_trace(go.Scatter(
            x=table.step, y=table[column], error_y=dict(type="data", array=table[error]), mode="lines+markers",
            name=name, line_color=colour, customdata=table[["checkpoint"]],
            hovertemplate="%{customdata[0]}<br>step %{x}<br>ID %{y:.2f}<extra>" + name + "</extra>"), row=1, col=1)
    figure.add_trace(go.Scatter(
        x=table.step, y=100 * table.redundancy, mode="lines+markers", name="redundancy 1 − ID/D", line_color="#2ca02c",
        hovertemplate="step %{x}<br>redundancy %{y:.2f} %<extra></extra>"), row=2, col=1)
    width = int(measured.n_features.iloc[0]) if len(measured) else 0
    settings = " · ".join(filter(None, (f"{len(measured)} checkpoints", f"D = {width}", left_out)))
    figure.update_layout(title=title("Intrinsic dimension of the token-embedding matrix across training",
                                     model=series.name, settings=settings))
    figure.update_yaxes(title_text="intrinsic dimension", row=1, col=1)
    figure.update_yaxes(title_text="redundancy (%)", row=2, col=1)
    figure.update_xaxes(title_text="training step" + (" (log scale)" if log_steps else ""), row=2, col=1)
    if log_steps:
        figure.update_xaxes(type="log")
    figure.update_layout(font=FONT, height=620, margin=dict(t=90, l=70, r=20, b=60), legend=dict(orientation="h", y=-0.15))
    return figure


def layer_heatmap(series: CheckpointSeries) -> go.Figure:
    """TwoNN ID of the prompt's tokens at every layer (columns) and checkpoint (rows), with each
    checkpoint's peak layer marked."""
    points = [point for point in series.points if point.layer_id is not None]
    n_layers = max(point.layer_id.size for point in points)
    grid = np.full((len(points), n_layers), np.nan)
    for row, point in enumerate(points):
        grid[row, :point.layer_id.size] = point.layer_id
    rows = [f"step {point.step}" for point in points]
    layers = np.arange(1, n_layers + 1)
    figure = go.Figure(go.Heatmap(z=grid, x=layers, y=rows, colorscale="Viridis", colorbar=dict(title="ID"),
                                  hovertemplate="%{y}<br>layer %{x}<br>ID %{z:.2f}<extra></extra>"))
    figure.add_trace(go.Scatter(x=[point.peak_layer for point in points], y=rows, mode="markers", name="peak layer",
                                marker=dict(symbol="x", size=11, color="white", line=dict(width=1, color="black")),
                                hovertemplate="%{y}<br>peak at layer %{x}<extra></extra>"))
    figure.update_layout(title=title("Layer ID profile across training (TwoNN, linear fit)", model=series.name,
                                     prompt=series.prompt))
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(dtick=1)
    return style(figure, x="layer", y="checkpoint", height=max(360, 60 + 32 * len(points)))


def peak_by_step(series: CheckpointSeries, *, log_steps: bool = False) -> go.Figure:
    """The peak layer ID of the prompt against the step (the peak's layer in the hover and labels).
    ``log_steps``: a log step axis, without step 0 (said in the title)."""
    table = pd.DataFrame([{"step": p.step, "peak_id": p.peak_id, "peak_layer": p.peak_layer}
                          for p in series.points if p.layer_id is not None], columns=["step", "peak_id", "peak_layer"])
    table, left_out = _on_step_axis(table, log_steps=log_steps)
    figure = go.Figure(go.Scatter(
        x=list(table.step), y=list(table.peak_id), mode="lines+markers+text",
        text=[f"L{layer}" for layer in table.peak_layer], textposition="top center", name="peak layer ID",
        hovertemplate="step %{x}<br>peak ID %{y:.2f} at %{text}<extra></extra>"))
    settings = " · ".join(filter(None, ("label: the layer of the peak", left_out)))
    figure.update_layout(title=title("Peak of the layer ID profile across training", model=series.name,
                                     prompt=series.prompt, settings=settings))
    if log_steps:
        figure.update_xaxes(type="log")
    return style(figure, x="training step" + (" (log scale)" if log_steps else ""), y="peak intrinsic dimension",
                 legend_below=False)


def lora_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).sort_values("rank").reset_index(drop=True)


def lora_summary(rows: list[dict]) -> list[str]:
    """Sentences computed from one sweep's numbers: baseline, best rank, the change across the ID,
    and the largest drop between consecutive ranks."""
    table = lora_table(rows)
    trained = table[table["rank"] > 0]
    lines = []
    baseline = table[table["rank"] == 0]
    if len(baseline):
        base = float(baseline.perplexity.iloc[0])
        lines.append(f"Without an adapter the held-out perplexity is {base:.3f}.")
    if len(trained):
        best = trained.loc[trained.perplexity.idxmin()]
        change = f" ({100 * (best.perplexity / base - 1):+.2f} % against no adapter)" if len(baseline) else ""
        lines.append(f"The lowest held-out perplexity, {best.perplexity:.3f}, is at rank {int(best['rank'])}{change}.")
    identity = table.intrinsic_dimension.iloc[0]
    if identity is not None and np.isfinite(identity) and len(trained):
        below, above = trained[trained["rank"] < identity], trained[trained["rank"] >= identity]
        if len(below) and len(above):
            low, high = below.iloc[-1], above.iloc[0]
            lines.append(f"Across the measured ID ({identity:.1f}): rank {int(low['rank'])} gives {low.perplexity:.3f}, "
                         f"rank {int(high['rank'])} gives {high.perplexity:.3f} "
                         f"({100 * (high.perplexity / low.perplexity - 1):+.2f} %).")
    if len(trained) >= 2:
        steps = trained.perplexity.to_numpy()
        relative = steps[1:] / steps[:-1] - 1
        at = int(np.argmin(relative))
        ranks = trained["rank"].to_numpy()
        lines.append(f"The largest drop between consecutive ranks is from rank {ranks[at]} to {ranks[at + 1]} "
                     f"({100 * relative[at]:+.2f} %); the median change between consecutive ranks is "
                     f"{100 * float(np.median(relative)):+.2f} %.")
    return lines


def lora_perplexity(rows: list[dict]) -> go.Figure:
    """Held-out perplexity against the LoRA rank (log₂ axis), the no-adapter baseline dashed, the
    measured ID of the embedding matrix as a vertical line."""
    table = lora_table(rows)
    trained = table[table["rank"] > 0]
    first = table.iloc[0]
    figure = go.Figure(go.Scatter(
        x=trained["rank"], y=trained.perplexity, mode="lines+markers", name="LoRA on the input embedding",
        customdata=np.c_[trained.trainable, trained.final_train_loss],
        hovertemplate="rank %{x}<br>perplexity %{y:.4f}<br>%{customdata[0]:,} trainable parameters<br>"
                      "last training loss %{customdata[1]:.3f}<extra></extra>"))
    # Plain line traces, not add_hline/add_vline: shapes on a log axis need log10 coordinates.
    low, high = float(trained["rank"].min()) / 1.2, float(trained["rank"].max()) * 1.2
    baseline = table[table["rank"] == 0]
    if len(baseline):
        base = float(baseline.perplexity.iloc[0])
        figure.add_trace(go.Scatter(x=[low, high], y=[base, base], mode="lines", name=f"no adapter ({base:.3f})",
                                    line=dict(color="grey", dash="dash"), hoverinfo="skip"))
    identity = first.intrinsic_dimension
    if identity is not None and math.isfinite(identity):
        values = table.perplexity
        figure.add_trace(go.Scatter(x=[identity, identity], y=[float(values.min()), float(values.max())], mode="lines",
                                    name=f"embedding ID {identity:.1f} (TwoNN)", line=dict(color="#d62728", dash="dot"),
                                    hoverinfo="skip"))
    powers = [2 ** k for k in range(int(math.log2(high)) + 1) if low <= 2 ** k <= high]
    figure.update_xaxes(type="log", tickvals=powers, range=[math.log10(low), math.log10(high)])
    settings = (f"{first.prompts} · {first.steps} steps × {first.batch_size} blocks of {first.block_tokens} tokens · "
                f"lr {first.learning_rate:g} · scaling {first.lora_alpha:g}/√r · seed {first.seed}")
    figure.update_layout(title=title("Held-out perplexity against the LoRA rank (input embedding only)",
                                     model=str(first.model), settings=settings))
    return style(figure, x="LoRA rank (log scale)", y="held-out perplexity")


def sweep_label(rows: list[dict]) -> str:
    """What a sweep is, in one line, for the picker."""
    first = rows[0]
    ranks = sorted(row["rank"] for row in rows if row["rank"] > 0)
    return (f"{first['model']} · {short(first['prompts'], 20)} · {first['steps']} steps · "
            f"{len(ranks)} ranks ({', '.join(map(str, ranks[:6]))}{'…' if len(ranks) > 6 else ''}) · seed {first['seed']} · "
            f"{first['sweep']}")
