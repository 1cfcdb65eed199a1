"""Figures of the Corpus page: profiles over many prompts, ID–loss correlation, scatters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from plotly.colors import sample_colorscale

from ui.figures.common import SHUFFLE_SCALE, colour_bar_trace, style, title


def profile_figure(profile: pd.DataFrame, *, what: str, model: str, corpus: str) -> go.Figure:
    """Mean ± std per layer, one line (and band) per shuffle index; prompts behind each line in the legend."""
    indices = sorted(profile.shuffle_index.unique())
    palette = sample_colorscale(SHUFFLE_SCALE, [s / max(max(indices), 1) for s in indices])  # S = 0 always dark
    figure = go.Figure()
    for colour, s in zip(palette, indices):
        group = profile[profile.shuffle_index == s].sort_values("layer")
        std = group["std"].fillna(0.0)
        figure.add_trace(go.Scatter(x=[*group.layer, *group.layer[::-1]], y=[*(group["mean"] + std), *(group["mean"] - std)[::-1]],
                                    fill="toself", fillcolor=colour, opacity=0.18, line=dict(width=0),
                                    hoverinfo="skip", showlegend=False))
        figure.add_trace(go.Scatter(
            x=group.layer, y=group["mean"], mode="lines", line=dict(color=colour, width=2.5 if s == 0 else 1.8),
            name=f"S={s} ({int(group.n_prompts.max())} prompts)", customdata=np.c_[group["std"], group.n],
            hovertemplate=f"S={s}<br>layer %{{x}}<br>mean %{{y:.3f}} ± %{{customdata[0]:.3f}} (n = %{{customdata[1]}})<extra></extra>"))
    if len(indices) > 1:
        figure.add_trace(colour_bar_trace(scale=SHUFFLE_SCALE, low=min(indices), high=max(indices), label="S", low_cut=0.0))
    figure.update_layout(title=title(f"{what} per layer over the prompt set", model=model,
                                     settings=f"{corpus}; mean ± std"))
    return style(figure, x="layer", y=what)


def correlation_figure(table: pd.DataFrame, *, model: str, corpus: str, estimator: str) -> go.Figure:
    """Pearson (log ID vs mean loss) and Spearman per layer; filled markers where p < 0.05."""
    figure = go.Figure()
    for column, p_column, name, colour in (("pearson_r", "pearson_p", "Pearson r (log ID, loss)", "#1f77b4"),
                                           ("spearman_rho", "spearman_p", "Spearman ρ", "#ff7f0e")):
        significant = table[p_column] < 0.05
        figure.add_trace(go.Scatter(
            x=table.layer, y=table[column], mode="lines+markers", name=name, line=dict(color=colour),
            marker=dict(symbol=np.where(significant, "circle", "circle-open"), size=8, color=colour),
            customdata=np.c_[table[p_column], table.n],
            hovertemplate=f"{name}<br>layer %{{x}}: %{{y:.3f}}<br>p = %{{customdata[0]:.2g}}, n = %{{customdata[1]}}<extra></extra>"))
    figure.add_hline(y=0, line=dict(color="#999", dash="dash"))
    figure.update_layout(title=title("Correlation of intrinsic dimension with next-token loss, per layer", model=model,
                                     settings=f"{corpus}; {estimator}; filled markers: p < 0.05"), yaxis_range=[-1, 1])
    return style(figure, x="layer", y="correlation across prompts")


def scatter_figure(frame: pd.DataFrame, *, x: str, y: str, x_title: str, y_title: str, what: str, model: str,
                   settings: str, hover: str = "start_text") -> go.Figure:
    """One point per row; hover shows ``hover`` (e.g. the passage's first words)."""
    trace = go.Scattergl if len(frame) > 2000 else go.Scatter
    figure = go.Figure(trace(x=frame[x], y=frame[y], mode="markers", marker=dict(size=7 if len(frame) < 500 else 4,
                             color="#1f77b4", opacity=0.7), customdata=frame[[hover]].to_numpy(),
                             hovertemplate=f"%{{customdata[0]}}<br>{x_title} %{{x:.3f}}<br>{y_title} %{{y:.3f}}<extra></extra>"))
    figure.update_layout(title=title(what, model=model, settings=settings))
    return style(figure, x=x_title, y=y_title, legend_below=False)
