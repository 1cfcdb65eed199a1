"""Figures of the UMAP page: a layer's token cloud in 2-D/3-D, coloured by a per-token value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from pipeline import Analysis
from ui.figures.common import DEPTH_SCALE, colour_bar_trace, colours, style, title

CONTINUOUS = {"local ID": "Plasma", "position in the prompt": "Viridis"}


def contexts(tokens: list[str], *, width: int = 4) -> list[str]:
    """Each token with a few neighbours in the text, the token itself in brackets (for hover)."""
    flat = [t.replace("\n", "↵") for t in tokens]
    return ["".join(flat[max(0, i - width):i]) + "[" + flat[i] + "]" + "".join(flat[i + 1:i + 1 + width])
            for i in range(len(flat))]


def aligned_axis_ranges(embeddings: np.ndarray, *, margin: float = 0.05) -> list[list[float]]:
    """One fixed [low, high] range per axis holding every token at every layer of aligned
    embeddings (L, M, c), with a small margin: the frame stays put while the layer changes."""
    low, high = embeddings.min(axis=(0, 1)).astype(float), embeddings.max(axis=(0, 1)).astype(float)
    pad = margin * np.maximum(high - low, 1e-9)
    return [[float(a), float(b)] for a, b in zip(low - pad, high + pad)]


def projection_figure(analysis: Analysis, embedding: np.ndarray, *, layer: int, colour_by: str,
                      values: np.ndarray, highlight: int | None = None, aligned: bool = False,
                      axis_ranges: list[list[float]] | None = None) -> go.Figure:
    """Scatter of the UMAP embedding (M, 2 or 3); ``values`` colour the points (cluster labels are ints).
    ``axis_ranges``: fixed axis ranges (aligned layers share one frame, see :func:`aligned_axis_ranges`)."""
    three_d = embedding.shape[1] == 3
    hover = contexts(list(analysis.kept_tokens))
    scatter = go.Scatter3d if three_d else go.Scatter
    coordinates = dict(x=embedding[:, 0], y=embedding[:, 1], **({"z": embedding[:, 2]} if three_d else {}))
    if colour_by == "cluster":
        palette = qualitative.Dark24
        marker = dict(color=[palette[int(v) % len(palette)] for v in values], size=4 if three_d else 8)
        value_text = [f"cluster {int(v)}" for v in values]
    else:
        finite = values[np.isfinite(values)]
        low, high = np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0)
        marker = dict(color=values, colorscale=CONTINUOUS[colour_by], size=4 if three_d else 8, showscale=True,
                      cmin=float(low), cmax=float(high), colorbar=dict(title=colour_by))
        value_text = [f"{colour_by} {v:.2f}" for v in values]
    figure = go.Figure(scatter(**coordinates, mode="markers", marker=marker, customdata=np.c_[hover, value_text],
                               hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>", showlegend=False))
    if highlight is not None:
        point = {axis: [values_[highlight]] for axis, values_ in coordinates.items()}
        figure.add_trace(scatter(**point, mode="markers+text", text=[hover[highlight]], textposition="top center",
                                 marker=dict(size=16 if not three_d else 8, color="rgba(0,0,0,0)",
                                             line=dict(color="black", width=3)),
                                 showlegend=False, hoverinfo="skip"))
    mode = "aligned with the previous layer" if aligned else "independent"
    figure.update_layout(title=title(f"UMAP of the token cloud at layer {layer}", model=analysis.model_name,
                                     prompt=analysis.prompt, n_tokens=analysis.n_tokens,
                                     settings=f"{mode}; colour: {colour_by}"))
    if axis_ranges is not None:
        _fix_axes(figure, axis_ranges, three_d=three_d)
    return style(figure, x="UMAP 1", y="UMAP 2", height=620, legend_below=False)


def _fix_axes(figure: go.Figure, ranges: list[list[float]], *, three_d: bool) -> None:
    if three_d:
        figure.update_layout(scene=dict(**{f"{axis}axis": dict(range=r, autorange=False)
                                           for axis, r in zip("xyz", ranges)}, aspectmode="cube"))
    else:
        figure.update_xaxes(range=ranges[0], autorange=False)
        figure.update_yaxes(range=ranges[1], autorange=False)


def projection_table(analysis: Analysis, embedding: np.ndarray, *, layer: int, values: np.ndarray, colour_by: str) -> pd.DataFrame:
    table = pd.DataFrame({"layer": layer, "position": analysis.kept, "token": list(analysis.kept_tokens)})
    for axis in range(embedding.shape[1]):
        table[f"umap_{axis + 1}"] = embedding[:, axis]
    table[colour_by] = values
    return table


def trajectory_figure(analysis: Analysis, embeddings: np.ndarray, *, token: int,
                      current_layer: int | None = None) -> go.Figure:
    """Where one token sits in the aligned 2-D UMAP at each layer, early layers light, late dark, on
    fixed axes that hold every token at every layer (so paths of different tokens compare); the
    slider's layer (``current_layer``) is ringed."""
    path = embeddings[:, token, :2]
    palette = colours(DEPTH_SCALE, path.shape[0])
    figure = go.Figure(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", line=dict(color="#bbb"),
                                  showlegend=False, hoverinfo="skip"))
    figure.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="markers", marker=dict(color=palette, size=10),
                                customdata=analysis.layers, showlegend=False,
                                hovertemplate="layer %{customdata}<extra></extra>"))
    if current_layer:
        here = path[current_layer - 1]
        figure.add_trace(go.Scatter(x=[here[0]], y=[here[1]], mode="markers", showlegend=False, hoverinfo="skip",
                                    marker=dict(size=20, color="rgba(0,0,0,0)", line=dict(color="black", width=2))))
        figure.add_annotation(x=here[0], y=here[1], text=f"layer {current_layer}", showarrow=False, yshift=18,
                              bgcolor="rgba(255,255,255,0.8)")
    figure.add_trace(colour_bar_trace(scale=DEPTH_SCALE, low=1, high=int(analysis.layers[-1]), label="layer"))
    figure.update_layout(title=title(f"Path of token #{int(analysis.kept[token])} {analysis.kept_tokens[token]!r} "
                                     "through the layers", model=analysis.model_name, settings="aligned UMAP"))
    _fix_axes(figure, aligned_axis_ranges(embeddings[..., :2]), three_d=False)
    return style(figure, x="UMAP 1", y="UMAP 2", height=480, legend_below=False)


def joint_figure(analyses: list[Analysis], embedding: np.ndarray, *, layer: int) -> go.Figure:
    """The prompt and its shuffled version in one UMAP (shared axes), one colour per condition."""
    three_d = embedding.shape[1] == 3
    scatter = go.Scatter3d if three_d else go.Scatter
    figure, start = go.Figure(), 0
    for analysis, colour in zip(analyses, ("#1f77b4", "#d62728")):
        stop = start + analysis.kept.size
        part = embedding[start:stop]
        label = "structured (S=0)" if analysis.shuffle_index == 0 else f"shuffled (S={analysis.shuffle_index})"
        coordinates = dict(x=part[:, 0], y=part[:, 1], **({"z": part[:, 2]} if three_d else {}))
        figure.add_trace(scatter(**coordinates, mode="markers", name=label,
                                 marker=dict(color=colour, size=4 if three_d else 8, opacity=0.75),
                                 customdata=contexts(list(analysis.kept_tokens)),
                                 hovertemplate=f"{label}<br>%{{customdata}}<extra></extra>"))
        start = stop
    first = analyses[0]
    figure.update_layout(title=title(f"UMAP of the prompt and its shuffled version at layer {layer}",
                                     model=first.model_name, prompt=first.prompt, n_tokens=first.n_tokens,
                                     settings="one joint projection"))
    return style(figure, x="UMAP 1", y="UMAP 2", height=620)


def joint_table(analyses: list[Analysis], embedding: np.ndarray, *, layer: int) -> pd.DataFrame:
    """The joint UMAP's points: one row per token of each run, in the order they are stacked."""
    rows, start = [], 0
    for analysis in analyses:
        count = int(analysis.kept.size)
        block = embedding[start:start + count]
        start += count
        for index in range(count):
            row = {"shuffle_index": int(analysis.shuffle_index), "seed": int(analysis.seed), "layer": layer,
                   "position": int(analysis.kept[index]), "token": analysis.kept_tokens[index]}
            row.update({f"umap_{axis + 1}": float(block[index, axis]) for axis in range(block.shape[1])})
            rows.append(row)
    return pd.DataFrame(rows)
