"""Figures of the Steering page: the layer × layer grid of Emb2Emb maps and the steering effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pipeline.layer_maps import GridOutcome
from pipeline.steering import CONDITIONS, SteeringResult
from ui.figures.common import style, title

CONDITION_COLOURS = {CONDITIONS[1]: "#2ca02c", CONDITIONS[2]: "#1f77b4", CONDITIONS[3]: "#7f7f7f"}


def grid_table(outcome: GridOutcome) -> pd.DataFrame:
    """One row per pair of layers: layers, normalised depths, held-out and training R²."""
    grid = outcome.grid
    rows = []
    for i in range(grid.r2_test.shape[0]):
        for j in range(grid.r2_test.shape[1]):
            rows.append({"layer_a": i, "depth_a": i / outcome.n_layers_a, "layer_b": j, "depth_b": j / outcome.n_layers_b,
                         "r2_test": float(grid.r2_test[i, j])})
    return pd.DataFrame(rows)


def grid_figure(outcome: GridOutcome, *, selected: tuple[int, int] | None = None) -> go.Figure:
    """Held-out R² of the map from A's layer (rows) to B's layer (columns), both at depth layer / L."""
    grid = outcome.grid
    depth_a = np.arange(grid.r2_test.shape[0]) / outcome.n_layers_a
    depth_b = np.arange(grid.r2_test.shape[1]) / outcome.n_layers_b
    layers_a, layers_b = np.meshgrid(np.arange(depth_a.size), np.arange(depth_b.size), indexing="ij")
    figure = go.Figure(go.Heatmap(
        z=grid.r2_test, x=depth_b, y=depth_a, colorscale="Viridis", zmin=min(0.0, float(np.nanmin(grid.r2_test))),
        zmax=1.0, colorbar=dict(title="held-out R²", thickness=14), customdata=np.dstack([layers_a, layers_b]),
        hovertemplate=f"{outcome.model_a} layer %{{customdata[0]}} → {outcome.model_b} layer %{{customdata[1]}}"
                      "<br>held-out R² %{z:.3f}<extra></extra>"))
    best = [int(np.nanargmax(row)) for row in grid.r2_test]
    figure.add_trace(go.Scatter(x=depth_b[best], y=depth_a, mode="markers", name="best layer of B for each layer of A",
                                marker=dict(symbol="circle-open", color="white", size=9, line=dict(width=2)),
                                hoverinfo="skip"))
    if selected is not None:
        figure.add_trace(go.Scatter(x=[depth_b[selected[1]]], y=[depth_a[selected[0]]], mode="markers",
                                    name="chosen for steering", hoverinfo="skip",
                                    marker=dict(symbol="x", color="#d62728", size=14, line=dict(width=1))))
    figure.update_layout(title=title(f"Emb2Emb maps between hidden states: {outcome.model_a} → {outcome.model_b}",
                                     model=f"{grid.n_tokens} aligned tokens, {grid.n_tokens - grid.n_train} held out",
                                     settings=f"ridge α = {grid.relative_ridge:g}"))
    return style(figure, x=f"{outcome.model_b}: depth (layer / {outcome.n_layers_b})",
                 y=f"{outcome.model_a}: depth (layer / {outcome.n_layers_a})", height=560)


def effect_table(result: SteeringResult) -> pd.DataFrame:
    rows = [{"vector": name, "seed": None, "effect": result.effects[name]} for name in CONDITIONS[1:3]]
    rows += [{"vector": CONDITIONS[3], "seed": seed, "effect": value} for seed, value in enumerate(result.random_effects)]
    return pd.DataFrame(rows)


def effect_figure(result: SteeringResult, *, toward: str, away: str) -> go.Figure:
    """Mean shift of the log-odds (toward vs away words) over the prompts; random: mean ± sd over seeds, each seed a dot."""
    names = list(CONDITIONS[1:])
    values = [result.effects[name] for name in names]
    errors = [0.0, 0.0, result.random_sd]
    figure = go.Figure(go.Bar(x=names, y=values, error_y=dict(type="data", array=errors, visible=True),
                              marker_color=[CONDITION_COLOURS[n] for n in names], showlegend=False,
                              text=[f"{v:+.3f}" for v in values], textposition="outside",
                              hovertemplate="%{x}: %{y:+.3f} nats<extra></extra>"))
    figure.add_trace(go.Scatter(x=[CONDITIONS[3]] * len(result.random_effects), y=list(result.random_effects),
                                mode="markers", name="each random seed", marker=dict(color="black", size=7),
                                hovertemplate="random seed: %{y:+.3f} nats<extra></extra>"))
    spec = result.spec
    figure.update_layout(title=title(f"Steering {spec.model_b} toward “{toward}” (vs “{away}”)",
                                     model=f"{spec.model_a} layer {spec.layer_a} → {spec.model_b} layer {spec.layer_b}",
                                     settings=f"strength {spec.strength:g}, {len(result.prompts)} prompts, "
                                              f"{len(result.random_effects)} random seeds"))
    return style(figure, x="", y="shift of log-odds of the target words (nats)", legend_below=False)
