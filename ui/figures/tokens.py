"""Figures of the Tokens page: text painted by a per-token value, local-ID heatmap, cluster tables."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative, sample_colorscale

from pipeline import Analysis
from ui.figures.common import style, title

VALUE_SCALE = "Plasma"


def _visible(token: str) -> str:
    return html.escape(token).replace("\n", "↵<br>").replace("\t", "⇥")


def painted_text(tokens: list[str], values: np.ndarray, *, label: str, low: float, high: float) -> str:
    """HTML of the text with each token's background coloured by its value (hover shows it).

    NaN values (e.g. the first token has no next-token loss) are left unpainted.
    """
    spread = (high - low) or 1.0
    finite = [float(np.clip((value - low) / spread, 0, 1)) for value in values if np.isfinite(value)]
    # One call for all tokens: each call of sample_colorscale re-reads plotly's colour-scale
    # registry (~1 ms), which made a layer step on the Tokens page cost ~0.5 s at 512 tokens.
    colours = iter(sample_colorscale(VALUE_SCALE, finite) if finite else [])
    spans = []
    for position, (token, value) in enumerate(zip(tokens, values)):
        if np.isfinite(value):
            colour = next(colours)
            spans.append(f'<span title="#{position} {html.escape(repr(token))}: {label} {value:.2f}" '
                         f'style="background:{colour};color:white;border-radius:3px;padding:0 1px">{_visible(token)}</span>')
        else:
            spans.append(f'<span title="#{position}: no {label}">{_visible(token)}</span>')
    return _legend(label, low, high) + '<div style="line-height:1.9;font-size:1.05rem">' + "".join(spans) + "</div>"


def caption(text: str) -> str:
    """A line of caption-styled text (as ``st.caption`` draws it), to go inside another element."""
    return (f'<div class="tg-caption" style="font-size:0.875rem;color:rgba(49,51,63,0.6);margin:2px 0 6px">'
            f"{html.escape(text)}</div>")


def _legend(label: str, low: float, high: float) -> str:
    stops = ", ".join(sample_colorscale(VALUE_SCALE, list(np.linspace(0, 1, 6))))
    return (f'<div style="display:flex;align-items:center;gap:8px;margin-bottom:6px;font-size:0.9rem">'
            f"{label}: {low:.1f}<div style='width:180px;height:12px;background:linear-gradient(to right, {stops})'></div>"
            f"{high:.1f}</div>")


UNCLUSTERED = "#9e9e9e"


def cluster_colour(label: int) -> str:
    """Colour of cluster ``label`` (grey for −1, a token not clustered)."""
    palette = qualitative.Dark24
    return UNCLUSTERED if label < 0 else palette[label % len(palette)]


def cluster_text(tokens: list[str], labels: np.ndarray) -> str:
    """HTML of the text with each token coloured by its cluster (cluster 0 = lowest local ID; tokens
    not clustered in grey)."""
    spans = []
    for token, label in zip(tokens, labels):
        weight = "400" if label < 0 else "600"
        name = "not clustered (local ID above the cut-off)" if label < 0 else f"cluster {label}"
        spans.append(f'<span title="{name}" style="color:{cluster_colour(int(label))};font-weight:{weight}">'
                     f"{_visible(token)}</span>")
    return '<div style="line-height:1.9;font-size:1.05rem">' + "".join(spans) + "</div>"


# Small tables drawn as HTML (in the element of the text they belong to): a data grid costs the
# browser far more on every layer step than ten rows of a plain table.
TABLE_CSS = ("<style>.tg-table{border-collapse:collapse;font-size:0.9rem;margin-top:8px}"
             ".tg-table th,.tg-table td{border-bottom:1px solid #e6e6e6;padding:3px 8px;text-align:left;"
             "vertical-align:top}.tg-table td.num{text-align:right}</style>")


def cluster_table(tokens: list[str], clusters: dict[str, np.ndarray], *, show: int = 12) -> pd.DataFrame:
    """One row per cluster (and one for the tokens not clustered): its colour (hex), harmonic-mean
    local ID, size and first distinct members."""
    labels = clusters["labels"]
    rows = []
    for label, (local, size) in enumerate(zip(clusters["cluster_ids"], clusters["cluster_sizes"])):
        rows.append({"colour": cluster_colour(label), "cluster": str(label),
                     "harmonic mean local ID": round(float(local), 2), "tokens": int(size),
                     "members": _members(tokens, np.flatnonzero(labels == label), show=show)})
    left_out = np.flatnonzero(labels < 0)
    if left_out.size:
        rows.append({"colour": UNCLUSTERED, "cluster": "not clustered",
                     "harmonic mean local ID": None, "tokens": int(left_out.size),
                     "members": _members(tokens, left_out, show=show)})
    return pd.DataFrame(rows)


def cluster_section(tokens: list[str], *, labels: np.ndarray, table: pd.DataFrame, text: str) -> str:
    """HTML of the cluster view in one element: the caption ``text``, the text coloured by cluster
    ``labels`` and ``table`` (from :func:`cluster_table`) with a swatch of each colour (one element
    instead of four, a data grid among them, keeps a layer step light in the browser)."""
    rows = []
    for row in table.to_dict("records"):
        local = row["harmonic mean local ID"]
        local = "" if local is None or not np.isfinite(local) else f"{local:.2f}"
        rows.append(f'<tr><td><span class="swatch" style="background:{row["colour"]}"></span></td>'
                    f'<td>{html.escape(row["cluster"])}</td><td class="num">{local}</td>'
                    f'<td class="num">{row["tokens"]}</td><td>{html.escape(row["members"])}</td></tr>')
    head = "".join(f"<th>{name}</th>" for name in ("colour", "cluster", "harmonic mean local ID", "tokens", "members"))
    return (TABLE_CSS + "<style>.clusters td:nth-child(-n+4){white-space:nowrap}"
            ".clusters .swatch{display:inline-block;width:36px;height:14px;border-radius:2px}</style>"
            + caption(text) + cluster_text(tokens, labels)
            + f'<table class="tg-table clusters"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _members(tokens: list[str], rows: np.ndarray, *, show: int) -> str:
    distinct = list(dict.fromkeys(tokens[i].strip() or repr(tokens[i]) for i in rows))
    return " · ".join(distinct[:show]) + (" …" if len(distinct) > show else "")


def local_id_heatmap(analysis: Analysis) -> go.Figure:
    """Local ID of every token (columns, in prompt order) at every layer (rows); the layer the user
    is looking at is outlined by ``ui.layer_mark`` (the figure itself does not change with it).

    Each column is named by its token ("#12 ' the'"), so hovering shows the token from one label per
    column rather than from a per-cell copy (a 512-token prompt: ~80 KB sent instead of ~460 KB);
    the axis shows every so many positions as plain numbers.
    """
    tokens = analysis.kept_tokens
    columns = [f"#{position} {token!r}" for position, token in zip(analysis.kept, tokens)]
    step = max(1, int(np.ceil(len(columns) / 12)))
    figure = go.Figure(go.Heatmap(
        z=analysis.local_id, x=columns, y=analysis.layers, colorscale=VALUE_SCALE,
        hovertemplate="token %{x}<br>layer %{y}<br>local ID %{z:.2f}<extra></extra>",
        colorbar=dict(title="local ID"), zmin=float(np.nanpercentile(analysis.local_id, 2)),
        zmax=float(np.nanpercentile(analysis.local_id, 98)),
    ))
    figure.update_xaxes(type="category", tickmode="array", tickvals=columns[::step],
                        ticktext=[str(int(position)) for position in analysis.kept[::step]])
    figure.update_layout(title=title("Local ID of each token at each layer", model=analysis.model_name,
                                     prompt=analysis.prompt, n_tokens=analysis.n_tokens,
                                     settings=f"Levina–Bickel MLE, k = {analysis.local_k}"))
    return style(figure, x="token position in the prompt", y="layer", height=460, legend_below=False)


def heatmap_table(analysis: Analysis) -> pd.DataFrame:
    tokens = analysis.kept_tokens
    return pd.DataFrame([{"layer": int(layer), "position": int(analysis.kept[i]), "token": tokens[i],
                          "local_id": float(analysis.local_id[row, i])}
                         for row, layer in enumerate(analysis.layers) for i in range(len(tokens))])


def neighbor_table(analysis: Analysis, *, layer: int, token: int) -> pd.DataFrame:
    """Nearest tokens of token ``token`` (index into kept tokens) at ``layer``, with LLE weights."""
    tokens = analysis.kept_tokens
    row = layer - 1
    indices = analysis.neighbor_indices[row, token]
    return pd.DataFrame({
        "rank": np.arange(1, indices.size + 1),
        "position": analysis.kept[indices],
        "token": [repr(tokens[i]) for i in indices],
        "distance": analysis.neighbor_distances[row, token],
        "LLE weight": analysis.lle_weights[row, token],
    })


def neighbor_section(table: pd.DataFrame, *, text: str) -> str:
    """HTML of ``table`` (from :func:`neighbor_table`; distances and LLE weights to 4 decimals) and
    its caption ``text``, in one element."""
    html_table = table.to_html(index=False, border=0, classes="tg-table neighbors", escape=True,
                               float_format=lambda value: f"{value:.4f}")
    numbers = "<style>.neighbors td:not(:nth-child(3)){text-align:right}</style>"  # all but the token
    return TABLE_CSS + numbers + html_table + caption(text)
