"""Plotly figures built from pipeline results. Pure functions: no Streamlit, testable on their own."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from pipeline import Analysis

FONT = dict(family="Inter, Helvetica, Arial, sans-serif", size=15)
PALETTE = {"TwoNN (linear fit)": "#1f77b4", "TwoNN (MLE)": "#17becf",
           "GRIDE r=2": "#ff7f0e", "GRIDE r=4": "#d62728", "GRIDE r=8": "#9467bd"}
SHOWN_RANGE_SCALINGS = (2, 4, 8)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def figure_title(analysis: Analysis, what: str) -> str:
    return f"{what}<br><sup>{analysis.model_name} · “{_short(analysis.prompt)}” · {analysis.n_tokens} tokens</sup>"


def id_curves(analysis: Analysis) -> go.Figure:
    """Intrinsic dimension per layer: TwoNN (linear, MLE) and GRIDE r = 2, 4, 8 with ±1 s.e. bars."""
    series = [
        ("TwoNN (linear fit)", analysis.twonn_linear, analysis.twonn_linear_error),
        ("TwoNN (MLE)", analysis.twonn_mle, analysis.twonn_mle_error),
    ]
    for scaling in SHOWN_RANGE_SCALINGS:
        index = np.flatnonzero(analysis.range_scalings == scaling)
        if index.size:
            series.append((f"GRIDE r={scaling}", analysis.gride[:, index[0]], analysis.gride_error[:, index[0]]))
    figure = go.Figure()
    for name, values, errors in series:
        figure.add_trace(go.Scatter(
            x=analysis.layers, y=values, name=name, mode="lines+markers",
            line=dict(color=PALETTE[name], width=2, dash="dot" if name.startswith("TwoNN (MLE") else None),
            marker=dict(size=5),
            error_y=dict(type="data", array=errors, visible=True, thickness=1, width=2),
            hovertemplate=f"{name}<br>layer %{{x}}<br>ID %{{y:.2f}} ± %{{error_y.array:.2f}}<extra></extra>",
        ))
    figure.update_layout(
        title=figure_title(analysis, "Intrinsic dimension of the token cloud per layer"),
        xaxis_title="layer (block output; 0 = embeddings not shown)",
        yaxis_title="intrinsic dimension",
        font=FONT, hovermode="closest", legend=dict(orientation="h", y=-0.2), height=520,
        margin=dict(t=90, l=70, r=20, b=60), template="plotly_white",
    )
    return figure


def duplicates_bar(analysis: Analysis) -> go.Figure:
    """Exact duplicate points removed before estimating ID, per layer."""
    figure = go.Figure(go.Bar(x=analysis.layers, y=analysis.n_duplicates, marker_color="#7f7f7f",
                              hovertemplate="layer %{x}: %{y} duplicates removed<extra></extra>"))
    figure.update_layout(title="Duplicates removed per layer", xaxis_title="layer", yaxis_title="points removed",
                         font=dict(FONT, size=12), height=260, margin=dict(t=50, l=50, r=10, b=40),
                         template="plotly_white")
    return figure
