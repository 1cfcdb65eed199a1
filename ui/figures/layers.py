"""Figures of the Layers page: ID curves, overlap, cosine, GRIDE scale analysis, shuffle sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pipeline import Analysis
from ui.figures.common import DEPTH_SCALE, SHUFFLE_SCALE, colour_bar_trace, colours, style, title

ESTIMATOR_COLOURS = {"TwoNN (linear fit)": "#1f77b4", "TwoNN (MLE)": "#17becf",
                     "GRIDE r=2": "#ff7f0e", "GRIDE r=4": "#d62728", "GRIDE r=8": "#9467bd"}
SHOWN_RANGE_SCALINGS = (2, 4, 8)


def _title(analysis: Analysis, what: str, settings: str = "") -> str:
    return title(what, model=analysis.model_name, prompt=analysis.prompt, n_tokens=analysis.n_tokens, settings=settings)


def estimator_series(analysis: Analysis) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Estimator name → (ID per layer, standard error per layer)."""
    series = {"TwoNN (linear fit)": (analysis.twonn_linear, analysis.twonn_linear_error),
              "TwoNN (MLE)": (analysis.twonn_mle, analysis.twonn_mle_error)}
    for scaling in SHOWN_RANGE_SCALINGS:
        series[f"GRIDE r={scaling}"] = analysis.gride_at(scaling)
    return series


def id_table(analysis: Analysis) -> pd.DataFrame:
    table = pd.DataFrame({"layer": analysis.layers, "n_points": analysis.n_points,
                          "duplicates_removed": analysis.n_duplicates})
    for name, (values, errors) in estimator_series(analysis).items():
        table[name], table[f"{name} error"] = values, errors
    return table


def _mark_peak(figure: go.Figure, layer: int, label: str = "peak") -> None:
    if layer:
        figure.add_vline(x=layer, line=dict(color="#555", dash="dot", width=1),
                         annotation_text=f"{label}: layer {layer}", annotation_position="bottom left")


def id_curves(analysis: Analysis) -> go.Figure:
    """Intrinsic dimension per layer: TwoNN (linear, MLE) and GRIDE r = 2, 4, 8 with ±1 s.e. bars."""
    figure = go.Figure()
    for name, (values, errors) in estimator_series(analysis).items():
        figure.add_trace(go.Scatter(
            x=analysis.layers, y=values, name=name, mode="lines+markers",
            line=dict(color=ESTIMATOR_COLOURS[name], width=2, dash="dot" if name == "TwoNN (MLE)" else None),
            marker=dict(size=5),
            error_y=dict(type="data", array=errors, visible=True, thickness=1, width=2),
            hovertemplate=f"{name}<br>layer %{{x}}<br>ID %{{y:.2f}} ± %{{error_y.array:.2f}}<extra></extra>",
        ))
    _mark_peak(figure, analysis.peak_layer, "peak ID (TwoNN MLE)")
    figure.update_layout(title=_title(analysis, "Intrinsic dimension of the token cloud per layer"))
    return style(figure, x="layer (output of block l)", y="intrinsic dimension", height=520)


def duplicates_bar(analysis: Analysis) -> go.Figure:
    """Exact duplicate points removed before estimating ID, per layer."""
    figure = go.Figure(go.Bar(x=analysis.layers, y=analysis.n_duplicates, marker_color="#7f7f7f",
                              hovertemplate="layer %{x}: %{y} duplicates removed<extra></extra>"))
    figure.update_layout(title="Duplicates removed per layer")
    return style(figure, x="layer", y="points removed", height=260, legend_below=False)


def overlap_table(analysis: Analysis) -> pd.DataFrame:
    table = pd.DataFrame({"layer": analysis.layers[:-1], "next_layer": analysis.layers[1:]})
    for k in range(analysis.overlap.shape[1]):
        table[f"overlap_k{k + 1}"] = analysis.overlap[:, k]
    return table


def overlap_curve(analysis: Analysis, *, k: int) -> go.Figure:
    """χ_k(l, l+1) for consecutive layers, with the chance level k/(N − 1)."""
    n = analysis.kept.size
    figure = go.Figure(go.Scatter(
        x=analysis.layers[:-1], y=analysis.overlap[:, k - 1], mode="lines+markers", name=f"χ_{k}(l, l+1)",
        line=dict(color="#2ca02c", width=2), hovertemplate="layers %{x}→%{customdata}<br>χ = %{y:.3f}<extra></extra>",
        customdata=analysis.layers[1:],
    ))
    figure.add_hline(y=k / (n - 1), line=dict(color="#999", dash="dash"), annotation_text=f"chance k/(N−1) = {k / (n - 1):.3f}")
    figure.update_layout(title=_title(analysis, "Neighbourhood overlap between consecutive layers", f"k = {k}"),
                         yaxis_range=[0, 1.02])
    return style(figure, x="layer l (compared with l + 1)", y=f"overlap χ_{k} (share of shared neighbours)")


def cosine_curve(analysis: Analysis, *, include_diagonal: bool) -> go.Figure:
    """Mean cosine similarity of the raw token vectors at layers 0..L."""
    values = analysis.cosine if include_diagonal else analysis.cosine_offdiagonal
    which = "full N×N matrix, diagonal included" if include_diagonal else "off-diagonal pairs i ≠ j"
    figure = go.Figure(go.Scatter(x=np.arange(values.size), y=values, mode="lines+markers", name="mean cosine",
                                  line=dict(color="#8c564b", width=2),
                                  hovertemplate="layer %{x}<br>mean cosine %{y:.3f}<extra></extra>"))
    figure.update_layout(title=_title(analysis, "Mean cosine similarity per layer", which))
    return style(figure, x="layer (0 = embeddings)", y="mean cosine similarity")


def cosine_table(analysis: Analysis) -> pd.DataFrame:
    return pd.DataFrame({"layer": np.arange(analysis.cosine.size), "cosine_with_diagonal": analysis.cosine,
                         "cosine_off_diagonal": analysis.cosine_offdiagonal})


def scale_analysis(analysis: Analysis) -> go.Figure:
    """GRIDE ID against range scaling, one line per layer (early light, late dark)."""
    figure = go.Figure()
    palette = colours(DEPTH_SCALE, analysis.layers.size)
    for row, layer in enumerate(analysis.layers):
        figure.add_trace(go.Scatter(
            x=analysis.range_scalings, y=analysis.gride[row], mode="lines+markers", name=f"layer {layer}",
            line=dict(color=palette[row], width=1.5), marker=dict(size=4), showlegend=False,
            hovertemplate=f"layer {layer}<br>range scaling %{{x}}<br>ID %{{y:.2f}}<extra></extra>",
        ))
    figure.add_trace(colour_bar_trace(scale=DEPTH_SCALE, low=1, high=int(analysis.layers[-1]), label="layer"))
    figure.update_xaxes(type="log", tickvals=analysis.range_scalings, ticktext=[str(int(r)) for r in analysis.range_scalings])
    figure.update_layout(title=_title(analysis, "GRIDE scale analysis: ID against neighbourhood size"))
    return style(figure, x="range scaling n2 (neighbour rank, n1 = n2/2)", y="intrinsic dimension", legend_below=False)


def scale_table(analysis: Analysis) -> pd.DataFrame:
    rows = [{"layer": int(layer), "range_scaling": int(r), "gride": analysis.gride[i, j], "error": analysis.gride_error[i, j]}
            for i, layer in enumerate(analysis.layers) for j, r in enumerate(analysis.range_scalings)]
    return pd.DataFrame(rows)


def sweep_table(analyses: list[Analysis], *, estimator: str) -> pd.DataFrame:
    """Long table of a shuffle sweep: one row per (S, seed, layer)."""
    rows = []
    for analysis in analyses:
        values, errors = estimator_series(analysis)[estimator]
        for layer, value, error in zip(analysis.layers, values, errors):
            rows.append({"shuffle_index": analysis.shuffle_index, "seed": analysis.seed, "layer": int(layer),
                         "id": value, "error": error, "mean_loss": analysis.mean_loss})
    return pd.DataFrame(rows)


def shuffle_overlay(analyses: list[Analysis], *, estimator: str) -> go.Figure:
    """ID per layer for S = 0..S_max: mean over seeds as a line, min–max over seeds as a band."""
    table = sweep_table(analyses, estimator=estimator)
    indices = sorted(table.shuffle_index.unique())
    palette = colours(SHUFFLE_SCALE, len(indices), low=0.0)
    figure = go.Figure()
    for colour, s in zip(palette, indices):
        group = table[table.shuffle_index == s].groupby("layer")["id"]
        mean, low, high = group.mean(), group.min(), group.max()
        seeds = int(table[table.shuffle_index == s].seed.nunique())
        if seeds > 1:
            figure.add_trace(go.Scatter(x=[*mean.index, *mean.index[::-1]], y=[*high, *low[::-1]], fill="toself",
                                        fillcolor=colour, opacity=0.2, line=dict(width=0), hoverinfo="skip",
                                        showlegend=False))
        loss = table[table.shuffle_index == s].mean_loss.mean()
        figure.add_trace(go.Scatter(
            x=mean.index, y=mean.values, mode="lines", line=dict(color=colour, width=2.5 if s == 0 else 1.8),
            name=f"S={s} ({seeds} seed{'s' if seeds > 1 else ''}, loss {loss:.2f})",
            hovertemplate=f"S={s}<br>layer %{{x}}<br>ID %{{y:.2f}}<extra></extra>",
        ))
        peak = int(mean.idxmax())
        figure.add_trace(go.Scatter(x=[peak], y=[mean.max()], mode="markers", showlegend=False,
                                    marker=dict(symbol="star", size=12, color=colour, line=dict(color="black", width=1)),
                                    hovertemplate=f"S={s}: peak at layer {peak}<extra></extra>"))
    figure.add_trace(colour_bar_trace(scale=SHUFFLE_SCALE, low=min(indices), high=max(indices), label="S", low_cut=0.0))
    first = analyses[0]
    figure.update_layout(title=title("Structured vs shuffled prompt: ID per layer", model=first.model_name,
                                     prompt=first.prompt, n_tokens=first.n_tokens,
                                     settings=f"{estimator}; band = min–max over seeds; ★ = peak"))
    return style(figure, x="layer", y=f"intrinsic dimension ({estimator})", height=540)
