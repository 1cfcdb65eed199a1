"""Figures of the Neighbours page: nearest-neighbour angle histograms and mean angle per layer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pipeline import Analysis
from ui.figures.common import style, title

CONDITION_COLOURS = {"structured": "#1f77b4", "shuffled": "#d62728"}


def _condition(analysis: Analysis) -> str:
    return "structured" if analysis.shuffle_index == 0 else "shuffled"


def _label(analysis: Analysis) -> str:
    return "structured (S=0)" if analysis.shuffle_index == 0 else f"fully shuffled (S={analysis.shuffle_index})"


def angle_histogram(analyses: list[Analysis], *, layer: int) -> go.Figure:
    """Histogram of θ_i (angle between x_a − x_i and x_b − x_i) at ``layer``; means dotted."""
    figure = go.Figure()
    for analysis in analyses:
        angles = analysis.angles[layer - 1]
        angles = angles[np.isfinite(angles)]
        colour = CONDITION_COLOURS[_condition(analysis)]
        figure.add_trace(go.Histogram(x=angles, name=_label(analysis), marker_color=colour, opacity=0.55,
                                      xbins=dict(start=0, end=180, size=5), histnorm="probability density",
                                      hovertemplate="%{x}°: density %{y:.4f}<extra></extra>"))
    _mean_labels(figure, analyses, layer=layer)
    first = analyses[0]
    figure.update_layout(barmode="overlay", xaxis_range=[0, 180],
                         title=title("Angle between each token's two nearest neighbours", model=first.model_name,
                                     prompt=first.prompt, n_tokens=first.n_tokens, settings=f"layer {layer}"))
    return style(figure, x="angle θ (degrees)", y="probability density")


def _mean_labels(figure: go.Figure, analyses: list[Analysis], *, layer: int) -> None:
    """A dotted line at each condition's mean angle, labelled so that labels never overlap: the
    smaller mean's label extends to the left of its line, the larger's to the right, one row apart."""
    means = []
    for analysis in analyses:
        angles = analysis.angles[layer - 1]
        means.append((float(np.mean(angles[np.isfinite(angles)])), analysis))
    for row, (mean, analysis) in enumerate(sorted(means, key=lambda item: item[0])):
        colour = CONDITION_COLOURS[_condition(analysis)]
        figure.add_vline(x=mean, line=dict(color=colour, dash="dot", width=2))
        left = row == 0 and len(means) > 1
        figure.add_annotation(x=mean, y=1.0 - 0.09 * row, xref="x", yref="paper", showarrow=False,
                              text=f"S={analysis.shuffle_index}: mean {mean:.1f}°", font=dict(color=colour),
                              xanchor="right" if left else "left", xshift=-4 if left else 4, yanchor="top",
                              bgcolor="rgba(255,255,255,0.8)")


def histogram_table(analyses: list[Analysis], *, layer: int) -> pd.DataFrame:
    return pd.DataFrame([{"condition": _label(a), "shuffle_index": int(a.shuffle_index), "seed": int(a.seed),
                          "layer": layer, "position": int(a.kept[i]), "angle_degrees": float(v)}
                         for a in analyses for i, v in enumerate(a.angles[layer - 1])])


def mean_angle_curve(analyses: list[Analysis]) -> go.Figure:
    """Mean nearest-neighbour angle per layer for each condition (the layer on screen is marked by
    ``ui.layer_mark``)."""
    figure = go.Figure()
    for analysis in analyses:
        figure.add_trace(go.Scatter(x=analysis.layers, y=np.nanmean(analysis.angles, axis=1), mode="lines+markers",
                                    name=_label(analysis), line=dict(color=CONDITION_COLOURS[_condition(analysis)]),
                                    hovertemplate="layer %{x}<br>mean angle %{y:.1f}°<extra></extra>"))
    first = analyses[0]
    figure.update_layout(title=title("Mean nearest-neighbour angle across layers", model=first.model_name,
                                     prompt=first.prompt, n_tokens=first.n_tokens))
    return style(figure, x="layer", y="mean angle (degrees)")


def mean_angle_table(analyses: list[Analysis]) -> pd.DataFrame:
    return pd.DataFrame([{"condition": _label(a), "shuffle_index": int(a.shuffle_index), "seed": int(a.seed),
                          "layer": int(layer), "mean_angle_degrees": float(value)}
                         for a in analyses for layer, value in zip(a.layers, np.nanmean(a.angles, axis=1))])
