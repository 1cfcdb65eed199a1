"""Figures of the Compare and Embeddings pages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pipeline import Analysis
from pipeline.models import CrossModelResult
from ui.figures.common import style, title
from geometry.registry import owner
from pipeline.analysis import statistic_label

RUN_COLOURS = ("#1f77b4", "#d62728")


def metrics(analyses: list[Analysis]) -> list[str]:
    """The per-layer columns the Compare page offers (each registered statistic's ``selectable``
    ones, in registry order) that every run has."""
    shared = [column for column in analyses[0].columns if all(column in a.columns for a in analyses[1:])]
    return [column for column in shared if owner(column).offered((column,))]


def metric_values(analysis: Analysis, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(layers, values) of one per-layer column (e.g. ``gride_2``)."""
    layers, values, _ = analysis.series(metric)
    return layers, values


def run_label(analysis: Analysis, *, by_model: bool) -> str:
    return analysis.model_name if by_model else f"“{' '.join(analysis.prompt.split())[:30]}…”"


def comparison_table(analyses: list[Analysis], metric: str, *, by_model: bool) -> pd.DataFrame:
    rows = []
    for analysis in analyses:
        layers, values = metric_values(analysis, metric)
        depth = layers / analysis.layers.size
        rows += [{"run": run_label(analysis, by_model=by_model), "layer": int(l), "relative_depth": float(d),
                  "value": float(v)} for l, d, v in zip(layers, depth, values)]
    return pd.DataFrame(rows)


def comparison_figure(analyses: list[Analysis], metric: str, *, by_model: bool, normalise: bool) -> go.Figure:
    """Two runs on one set of axes (``metric``: a per-layer column); with ``normalise`` depth runs
    0..1 so models with different numbers of layers line up."""
    table = comparison_table(analyses, metric, by_model=by_model)
    metric = statistic_label(metric)
    figure = go.Figure()
    for colour, (name, group) in zip(RUN_COLOURS, table.groupby("run", sort=False)):
        x = group.relative_depth if normalise else group.layer
        figure.add_trace(go.Scatter(x=x, y=group.value, name=name, mode="lines+markers", line=dict(color=colour, width=2),
                                    customdata=group.layer, hovertemplate=f"{name}<br>layer %{{customdata}}<br>"
                                    f"{metric} %{{y:.3f}}<extra></extra>"))
    what = "Two models on the same prompt" if by_model else "Two prompts on the same model"
    first = analyses[0]
    figure.update_layout(title=title(f"{what}: {metric}", model=" vs ".join(t for t in table.run.unique()) if by_model
                                     else first.model_name, settings="depth normalised to 0..1" if normalise else ""))
    return style(figure, x="relative depth (layer / L)" if normalise else "layer", y=metric)


def lle_figure(result: CrossModelResult) -> go.Figure:
    """Reconstruction error in model B with different weights (lower is better; 1 ≈ no information)."""
    names = ["B's own LLE weights", f"weights learnt in {result.model_a}", "uniform weights on A's neighbours",
             "random neighbours (chance)"]
    values = [result.lle_own, result.lle_transfer, result.lle_uniform, result.lle_random]
    figure = go.Figure(go.Bar(x=names, y=values, marker_color=["#2ca02c", "#1f77b4", "#9467bd", "#7f7f7f"],
                              text=[f"{v:.3f}" for v in values], textposition="outside",
                              hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    figure.update_layout(title=title(f"Reconstructing {result.model_b}'s embeddings with LLE weights",
                                     model=f"{result.model_a} → {result.model_b}",
                                     settings=f"{len(result.tokens)} shared tokens, k = {result.lle_k}"))
    return style(figure, x="", y="normalised reconstruction error", legend_below=False)


def embedding_bar(rows: list[dict]) -> go.Figure:
    """TwoNN ID of the input-embedding matrix for every model measured (bar), redundancy in hover."""
    table = pd.DataFrame(rows)
    figure = go.Figure(go.Bar(
        x=table.model, y=table.id_twonn, error_y=dict(type="data", array=table.error_twonn),
        customdata=np.c_[table.redundancy * 100, table.n_features, table.lora_rank], marker_color="#1f77b4",
        hovertemplate="%{x}<br>ID %{y:.1f} of D = %{customdata[1]}<br>redundancy %{customdata[0]:.1f} %<br>"
                      "suggested LoRA rank %{customdata[2]}<extra></extra>"))
    figure.update_layout(title=title("Intrinsic dimension of the token-embedding matrix", model="all models measured",
                                     settings="TwoNN linear fit"), bargap=0.6 if len(table) < 3 else 0.3)
    return style(figure, x="model", y="intrinsic dimension", legend_below=False)
