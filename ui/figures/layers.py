"""Figures of the Layers page: ID curves, overlap, cosine, GRIDE scale analysis, shuffle sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from geometry.registry import owner
from pipeline import Analysis
from pipeline.analysis import statistic_label
from pipeline.sweep import estimator_label, estimator_values, shuffled_text, sweep_summary
from ui.figures.common import DEPTH_SCALE, SHUFFLE_SCALE, colour_bar_trace, colours, style, title

SHOWN_RANGE_SCALINGS = (2, 4, 8)
# Store name → colour; the pages show estimator_label(name) ("GRIDE r=2", "TwoNN (MLE)", …).
ESTIMATOR_COLOURS = {"twonn_linear": "#1f77b4", "twonn_mle": "#17becf",
                     "gride_2": "#ff7f0e", "gride_4": "#d62728", "gride_8": "#9467bd"}
# Discrete colours for shuffle indices S = 0, 1, …, 6 (structured dark, more shuffled lighter/warmer).
SHUFFLE_COLOURS = ("#1b1b1b", "#3b528b", "#21918c", "#5ec962", "#b5a300", "#e07b00", "#d62728")


def _title(analysis: Analysis, what: str, settings: str = "") -> str:
    return title(what, model=analysis.model_name, prompt=analysis.prompt, n_tokens=analysis.n_tokens, settings=settings)


def estimator_series(analysis: Analysis) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Estimator store name → (ID per layer, standard error per layer)."""
    return {name: estimator_values(analysis, name) for name in ESTIMATOR_COLOURS}


def id_table(analysis: Analysis) -> pd.DataFrame:
    table = pd.DataFrame({"layer": analysis.layers, "n_points": analysis.n_points,
                          "duplicates_removed": analysis.n_duplicates})
    for name, (values, errors) in estimator_series(analysis).items():
        label = estimator_label(name)
        table[label], table[f"{label} error"] = values, errors
    return table


LABEL_ROW = 0.08  # height of one row of peak labels, as a share of the data's span


def _peak(layers: np.ndarray, values: np.ndarray, *, colour: str, label: str) -> tuple | None:
    """(label, layer, value, colour) of the series' highest value; None if it has no finite value."""
    if not np.isfinite(values).any():
        return None
    index = int(np.nanargmax(values))
    return label, int(layers[index]), float(values[index]), colour


def _data_range(figure: go.Figure) -> tuple[float, float]:
    """Lowest and highest y any trace draws, error bars included."""
    low, high = np.inf, -np.inf
    for trace in figure.data:
        y = np.asarray([np.nan if v is None else v for v in (trace.y if trace.y is not None else [])], dtype=float)
        errors = getattr(trace, "error_y", None)
        spread = np.asarray(errors.array, dtype=float) if errors is not None and errors.visible and errors.array is not None \
            else np.zeros_like(y)
        if np.isfinite(y).any():
            low, high = min(low, np.nanmin(y - np.nan_to_num(spread))), max(high, np.nanmax(y + np.nan_to_num(spread)))
    return (float(low), float(high)) if np.isfinite(low) else (0.0, 1.0)


def _mark_peaks(figure: go.Figure, peaks: list[tuple | None]) -> None:
    """Star each series' peak and label it "label: value @ layer" in a row of its own above every
    curve (lowest peak in the lowest row), joined to its star by a thin line of its colour: labels
    never overlap each other nor hide a curve or a star, however close the peaks are. The y axis is
    fixed to make room for the rows (one star trace for all peaks; the joins are shapes, not
    annotation arrows, which Plotly measures in the browser at ~4 ms each)."""
    peaks = sorted((peak for peak in peaks if peak is not None), key=lambda peak: peak[2])
    if not peaks:
        return
    low, high = _data_range(figure)
    step = LABEL_ROW * ((high - low) or 1.0)
    first, last = min(min(t.x) for t in figure.data if t.x is not None), max(max(t.x) for t in figure.data if t.x is not None)
    figure.add_trace(go.Scatter(
        x=[layer for _, layer, _, _ in peaks], y=[value for _, _, value, _ in peaks], mode="markers", showlegend=False,
        marker=dict(symbol="star", size=13, color=[colour for *_, colour in peaks], line=dict(color="black", width=1)),
        customdata=[label for label, *_ in peaks],
        hovertemplate="%{customdata}: peak %{y:.2f} at layer %{x}<extra></extra>"))
    for row, (label, layer, value, colour) in enumerate(peaks):
        at = high + (row + 1) * step
        figure.add_shape(type="line", xref="x", yref="y", x0=layer, x1=layer, y0=value, y1=at,
                         line=dict(color=colour, width=1), layer="below")
        where = (layer - first) / ((last - first) or 1)
        figure.add_annotation(x=layer, y=at, text=f"{label}: {value:.2f} @ {layer}", showarrow=False,
                              xanchor="left" if where < 0.2 else "right" if where > 0.8 else "center",
                              font=dict(size=12, color=colour), bgcolor="rgba(255,255,255,0.85)")
    figure.update_yaxes(range=[low - 0.04 * ((high - low) or 1.0), high + (len(peaks) + 0.7) * step])


def id_curves(analysis: Analysis) -> go.Figure:
    """Intrinsic dimension per layer: TwoNN (linear, MLE) and GRIDE r = 2, 4, 8 with ±1 s.e. bars;
    each estimator's peak marked with its value and layer."""
    figure, peaks = go.Figure(), []
    for name, (values, errors) in estimator_series(analysis).items():
        label = estimator_label(name)
        figure.add_trace(go.Scatter(
            x=analysis.layers, y=values, name=label, mode="lines+markers",
            line=dict(color=ESTIMATOR_COLOURS[name], width=2, dash="dot" if name == "twonn_mle" else None),
            marker=dict(size=5),
            error_y=dict(type="data", array=errors, visible=True, thickness=1, width=2),
            hovertemplate=f"{label}<br>layer %{{x}}<br>ID %{{y:.2f}} ± %{{error_y.array:.2f}}<extra></extra>",
        ))
        peaks.append(_peak(analysis.layers, values, colour=ESTIMATOR_COLOURS[name], label=label))
    _mark_peaks(figure, peaks)
    figure.update_layout(title=_title(analysis, "Intrinsic dimension of the token cloud per layer",
                                      "★ = each estimator's peak"))
    return style(figure, x="layer (output of block l)", y="intrinsic dimension", height=560)


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


def statistic_table(analysis: Analysis, *, column: str) -> pd.DataFrame:
    """One registered per-layer column: layer, its value, and its standard error if it has one."""
    layers, values, errors = analysis.series(column)
    label = statistic_label(column)
    table = pd.DataFrame({"layer": layers, label: values})
    if owner(column).with_error:
        table[f"{label} error"] = errors
    return table


def statistic_figure(analysis: Analysis, *, column: str) -> go.Figure:
    """Any registered per-layer column against depth, with ±1 s.e. bars when it has an error, its
    highest value marked (the layers it covers: 1..L, 0..L, or l → l + 1 for two layers)."""
    statistic, label = owner(column), statistic_label(column)
    layers, values, errors = analysis.series(column)
    figure = go.Figure(go.Scatter(
        x=layers, y=values, mode="lines+markers", name=label, line=dict(color="#1f77b4", width=2),
        error_y=dict(type="data", array=errors, visible=statistic.with_error, thickness=1, width=2),
        hovertemplate=f"{label}<br>layer %{{x}}<br>%{{y:.3f}}<extra></extra>"))
    _mark_peaks(figure, [_peak(layers, values, colour="#1f77b4", label=label)])
    x = {"pair": "layer l (compared with l + 1)", "points": "layer (0 = embeddings)"}.get(
        "points" if statistic.at_embeddings else statistic.needs, "layer (output of block l)")
    figure.update_layout(title=_title(analysis, f"{label} per layer", "±1 s.e." if statistic.with_error else ""))
    return style(figure, x=x, y=statistic.axis or label)


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
    """Long table of a shuffle sweep: one row per (S, seed, layer); ``estimator`` is a store name."""
    rows = []
    label = estimator_label(estimator)
    for analysis in analyses:
        values, errors = estimator_values(analysis, estimator)
        for layer, value, error in zip(analysis.layers, values, errors):
            rows.append({"shuffle_index": analysis.shuffle_index, "seed": analysis.seed, "layer": int(layer),
                         "estimator": label, "id": value, "error": error, "mean_loss": analysis.mean_loss})
    return pd.DataFrame(rows)


def shuffle_colour(s: int) -> str:
    return SHUFFLE_COLOURS[min(int(s), len(SHUFFLE_COLOURS) - 1)]


def _hover_text(analysis: Analysis) -> str:
    """The start of the analysed (shuffled) text for a hover, HTML-safe, block boundaries as ┃."""
    import html

    text = shuffled_text(analysis, limit=24).replace("\n", " ")
    return html.escape(text)


def shuffle_overlay(analyses: list[Analysis], *, estimator: str) -> go.Figure:
    """ID per layer for each S: mean over seeds as a line, min–max over seeds as a band; one
    discrete colour and legend entry per S; each S's peak annotated with value and layer; the
    hover shows the start of each seed's shuffled text."""
    table = sweep_table(analyses, estimator=estimator)
    label = estimator_label(estimator)
    figure = go.Figure()
    peaks = []
    for s in sorted(table.shuffle_index.unique()):
        colour = shuffle_colour(s)
        rows = table[table.shuffle_index == s]
        group = rows.groupby("layer")["id"]
        mean, low, high = group.mean(), group.min(), group.max()
        members = [a for a in analyses if a.shuffle_index == s]
        seeds = len(members)
        if seeds > 1:
            figure.add_trace(go.Scatter(x=[*mean.index, *mean.index[::-1]], y=[*high, *low[::-1]], fill="toself",
                                        fillcolor=colour, opacity=0.18, line=dict(width=0), hoverinfo="skip",
                                        showlegend=False, legendgroup=f"S{s}"))
        loss = rows.mean_loss.mean()
        texts = "<br>".join(f"seed {a.seed}: {_hover_text(a)}" for a in members[:3])
        figure.add_trace(go.Scatter(
            x=mean.index, y=mean.values, mode="lines", line=dict(color=colour, width=2.8 if s == 0 else 2),
            name=f"S={s}{' (as written)' if s == 0 else ''}: {seeds} seed{'s' if seeds > 1 else ''}, loss {loss:.2f}",
            legendgroup=f"S{s}",
            hovertemplate=f"S={s}<br>layer %{{x}}<br>ID %{{y:.2f}} (mean over seeds)<br>{texts}<extra></extra>",
        ))
        peaks.append(_peak(np.asarray(mean.index), mean.values, colour=colour, label=f"S={s}"))
    _mark_peaks(figure, peaks)
    first = analyses[0]
    figure.update_layout(title=title("Structured vs shuffled prompt: ID per layer", model=first.model_name,
                                     prompt=first.prompt, n_tokens=first.n_tokens,
                                     settings=f"{label}; bands: seed range"))
    return style(figure, x="layer", y=f"intrinsic dimension ({label})", height=560)


def headline_figure(analyses: list[Analysis], *, estimator: str) -> go.Figure:
    """Peak ID and mean loss against S: the mean over seeds, with the min–max range as error bars."""
    from plotly.subplots import make_subplots

    summary = sweep_summary(analyses, estimator=estimator)
    label = estimator_label(estimator)
    figure = make_subplots(rows=1, cols=2, subplot_titles=(f"Peak ID ({label})", "Mean next-token loss (nats)"),
                           horizontal_spacing=0.12)
    for column, what in ((1, "peak"), (2, "loss")):
        mean, low, high = summary[f"{what}_mean"], summary[f"{what}_min"], summary[f"{what}_max"]
        figure.add_trace(go.Scatter(
            x=summary.shuffle_index, y=mean, mode="lines+markers", showlegend=False,
            line=dict(color="#555", width=1.5),
            marker=dict(size=12, color=[shuffle_colour(s) for s in summary.shuffle_index]),
            error_y=dict(type="data", symmetric=False, array=high - mean, arrayminus=mean - low, thickness=1.5),
            customdata=np.c_[low, high, summary.seeds],
            hovertemplate="S=%{x}<br>mean %{y:.2f} (range %{customdata[0]:.2f}–%{customdata[1]:.2f}, "
                          "%{customdata[2]} seeds)<extra></extra>"), row=1, col=column)
        # Each mean written above the top of its bar (at the marker, the bar would cross the digits).
        # (An invisible marker as large as the visible one: Plotly then sets the text above the
        # marker's edge, not on its centre, where a bar of zero length (one seed) would put it.)
        figure.add_trace(go.Scatter(x=summary.shuffle_index, y=high, mode="markers+text",
                                    text=[f"{v:.2f}" for v in mean], textposition="top center",
                                    marker=dict(size=12, opacity=0), showlegend=False, hoverinfo="skip"),
                         row=1, col=column)
        figure.update_xaxes(title_text="shuffle index S", tickvals=summary.shuffle_index, row=1, col=column,
                            range=[summary.shuffle_index.min() - 0.6, summary.shuffle_index.max() + 0.6])
        span = float(high.max() - low.min()) or 1.0
        figure.update_yaxes(range=[float(low.min()) - 0.15 * span, float(high.max()) + 0.3 * span], row=1, col=column)
    first = analyses[0]
    figure.update_layout(title=title("Shuffling: peak ID and loss", model=first.model_name, prompt=first.prompt,
                                     n_tokens=first.n_tokens, settings="mean over seeds; bars: min–max over seeds"))
    return style(figure, x="shuffle index S", y="", height=380, legend_below=False)
