"""Figures of the Corpus page: profiles over many prompts, ID–loss correlation, scatters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.figures.common import style, title


def profile_figure(profile: pd.DataFrame, *, what: str, model: str, corpus: str,
                   tests: pd.DataFrame | None = None) -> go.Figure:
    """Mean ± std per layer, one line (and band) per shuffle index in one discrete colour each;
    passages behind each line in the legend. With ``tests`` (:func:`pipeline.corpus_stats.paired_shuffle_test`),
    layers where the paired test of S minus S = 0 has p < 0.05 are marked ★ on that S's line."""
    from ui.figures.layers import shuffle_colour

    indices = sorted(profile.shuffle_index.unique())
    figure = go.Figure()
    for s in indices:
        colour = shuffle_colour(s)
        group = profile[profile.shuffle_index == s].sort_values("layer")
        std = group["std"].fillna(0.0)
        figure.add_trace(go.Scatter(x=[*group.layer, *group.layer[::-1]], y=[*(group["mean"] + std), *(group["mean"] - std)[::-1]],
                                    fill="toself", fillcolor=colour, opacity=0.15, line=dict(width=0),
                                    hoverinfo="skip", showlegend=False, legendgroup=f"S{s}"))
        figure.add_trace(go.Scatter(
            x=group.layer, y=group["mean"], mode="lines", line=dict(color=colour, width=2.5 if s == 0 else 1.8),
            name=f"S={s} ({int(group.n_prompts.max())} passages)", legendgroup=f"S{s}",
            customdata=np.c_[group["std"], group.n],
            hovertemplate=f"S={s}<br>layer %{{x}}<br>mean %{{y:.3f}} ± %{{customdata[0]:.3f}} (n = %{{customdata[1]}})<extra></extra>"))
        if tests is not None and s > 0 and not tests.empty:
            marked = tests[(tests.shuffle_index == s) & tests.significant].merge(group[["layer", "mean"]], on="layer")
            if not marked.empty:
                figure.add_trace(go.Scatter(
                    x=marked.layer, y=marked["mean"], mode="markers", name=f"S={s} vs S=0: p < 0.05 (paired t-test)",
                    legendgroup=f"S{s}", marker=dict(symbol="star", size=11, color=colour, line=dict(color="black", width=1)),
                    customdata=np.c_[marked.mean_difference, marked.p],
                    hovertemplate=f"S={s} − S=0 at layer %{{x}}: %{{customdata[0]:+.3f}}, p = %{{customdata[1]:.2g}}<extra></extra>"))
    figure.update_layout(title=title(f"{what} per layer over the prompt set", model=model,
                                     settings=f"{corpus}; same passages for every S; mean ± std"
                                     + ("; ★ paired t-test p < 0.05" if tests is not None else "")))
    return style(figure, x="layer", y=what)


def correlation_figure(table: pd.DataFrame, *, model: str, corpus: str, estimator: str, x: str = "layer",
                       what: str = "Correlation of intrinsic dimension with next-token loss, per layer",
                       against: str = "loss") -> go.Figure:
    """Pearson (log ID vs ``against``) and Spearman per ``x`` (layer, or range scaling); filled
    markers where p < 0.05."""
    figure = go.Figure()
    for column, p_column, name, colour in (("pearson_r", "pearson_p", f"Pearson r (log ID, {against})", "#1f77b4"),
                                           ("spearman_rho", "spearman_p", "Spearman ρ", "#ff7f0e")):
        significant = table[p_column] < 0.05
        figure.add_trace(go.Scatter(
            x=table[x], y=table[column], mode="lines+markers", name=name, line=dict(color=colour),
            marker=dict(symbol=np.where(significant, "circle", "circle-open"), size=8, color=colour),
            customdata=np.c_[table[p_column], table.n],
            hovertemplate=f"{name}<br>{x.replace('_', ' ')} %{{x}}: %{{y:.3f}}<br>p = %{{customdata[0]:.2g}}, n = %{{customdata[1]}}<extra></extra>"))
    figure.add_hline(y=0, line=dict(color="#999", dash="dash"))
    figure.update_layout(title=title(what, model=model, settings=f"{corpus}; {estimator}; filled markers: p < 0.05"),
                         yaxis_range=[-1, 1])
    if x == "range_scaling":
        figure.update_xaxes(type="log", tickvals=table[x], ticktext=[str(int(v)) for v in table[x]])
    return style(figure, x=x.replace("_", " "), y="correlation across prompts")


def scatter_figure(frame: pd.DataFrame, *, x: str, y: str, x_title: str, y_title: str, what: str, model: str,
                   settings: str, hover: str = "start_text") -> go.Figure:
    """One point per row; hover shows ``hover`` (e.g. the passage's first words)."""
    trace = go.Scattergl if len(frame) > 2000 else go.Scatter
    figure = go.Figure(trace(x=frame[x], y=frame[y], mode="markers", marker=dict(size=7 if len(frame) < 500 else 4,
                             color="#1f77b4", opacity=0.7), customdata=frame[[hover]].to_numpy(),
                             hovertemplate=f"%{{customdata[0]}}<br>{x_title} %{{x:.3f}}<br>{y_title} %{{y:.3f}}<extra></extra>"))
    figure.update_layout(title=title(what, model=model, settings=settings))
    return style(figure, x=x_title, y=y_title, legend_below=False)
