"""Shared figure styling: fonts, titles that say model, prompt and settings, colour scales."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import sample_colorscale

# Every figure uses plotly_white. As the default it is applied when a figure is serialised, as a
# plain dict; passed to each figure's update_layout it was validated and deep-copied every time
# (~18 ms a figure: five per run of the Layers page, one per UMAP layer step).
pio.templates.default = "plotly_white"

FONT = dict(family="Inter, Helvetica, Arial, sans-serif", size=15)
DEPTH_SCALE = "Blues"     # early layers light, late layers dark
SHUFFLE_SCALE = "Viridis"  # structured (S = 0) dark purple → fully shuffled yellow


def short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def title(what: str, *, model: str, prompt: str | None = None, n_tokens: int | None = None, settings: str = "") -> str:
    """Two-line title: what is shown, then model · prompt · tokens · settings (for slides)."""
    parts = [model]
    if prompt is not None:
        parts.append(f"“{short(prompt)}”")
    if n_tokens is not None:
        parts.append(f"{n_tokens} tokens")
    if settings:
        parts.append(settings)
    return f"{what}<br><sup>{' · '.join(parts)}</sup>"


def style(figure: go.Figure, *, x: str, y: str, height: int = 480, legend_below: bool = True) -> go.Figure:
    figure.update_layout(
        xaxis_title=x, yaxis_title=y, font=FONT, height=height,
        margin=dict(t=90, l=70, r=20, b=60), hovermode="closest",
        legend=dict(orientation="h", y=-0.22) if legend_below else None,
    )
    return figure


def colours(scale: str, count: int, *, low: float = 0.25) -> list[str]:
    """``count`` colours from a sequential scale, skipping its palest part."""
    if count == 1:
        return sample_colorscale(scale, [1.0])
    return sample_colorscale(scale, [low + (1 - low) * i / (count - 1) for i in range(count)])


def colour_bar_trace(*, scale: str, low: float, high: float, label: str, low_cut: float = 0.25) -> go.Scatter:
    """An invisible trace that only draws a colour bar for a discrete colouring."""
    return go.Scatter(
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker=dict(colorscale=[[0, sample_colorscale(scale, [low_cut])[0]], [1, sample_colorscale(scale, [1.0])[0]]],
                    cmin=low, cmax=high, color=[low], showscale=True,
                    colorbar=dict(title=label, thickness=14, len=0.8)),
    )


def mark_layer(figure: go.Figure, *, layer: int, along: str = "x") -> go.Figure:
    """A copy of ``figure`` with ``layer`` marked, as ``ui.layer_mark`` marks it on screen: a dotted
    vertical line at x = layer (``along="x"``, a curve across layers) or an outline around the row
    layer ± 0.5 (``along="y"``, the token × layer heatmap), labelled "current layer L"."""
    marked = go.Figure(figure)
    label = f"current layer {layer}"
    if along == "y":
        marked.add_shape(type="rect", xref="paper", yref="y", x0=0, x1=1, y0=layer - 0.5, y1=layer + 0.5,
                         line=dict(color="black", width=2), fillcolor="rgba(0,0,0,0)")
        marked.add_annotation(xref="paper", x=1.0, xanchor="right", y=layer + 0.5, yref="y", yanchor="bottom",
                              showarrow=False, text=label, font=dict(size=12), bgcolor="rgba(255,255,255,0.85)")
    else:
        marked.add_vline(x=layer, line=dict(color="#888", dash="dot", width=1), annotation_text=label,
                         annotation_position="top left", annotation_font=dict(size=12, color="#555"))
    return marked
