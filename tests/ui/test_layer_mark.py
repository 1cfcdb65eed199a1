"""The current layer on a chart across layers: drawn by Plotly in exports (ui.figures.common.mark_layer,
ui.export.marked_layer); on screen the same mark is laid over the chart (ui.layer_mark, tested in a
real browser in tests/e2e/test_talks.py)."""

from __future__ import annotations

import plotly.graph_objects as go

from ui.export import marked_layer
from ui.figures.common import mark_layer


def curve() -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3, 4], y=[4, 6, 5, 3]))


def test_a_curve_gets_a_labelled_vertical_line_at_the_layer_and_the_original_is_unchanged():
    original = curve()
    marked = mark_layer(original, layer=3, along="x")
    assert [(s.type, s.x0, s.x1) for s in marked.layout.shapes] == [("line", 3, 3)]
    assert [a.text for a in marked.layout.annotations] == ["current layer 3"]
    assert not original.layout.shapes and not original.layout.annotations


def test_a_heatmap_gets_the_layer_row_outlined():
    heatmap = go.Figure(go.Heatmap(z=[[1, 2], [3, 4], [5, 6]], y=[1, 2, 3]))
    marked = mark_layer(heatmap, layer=2, along="y")
    (shape,) = marked.layout.shapes
    assert (shape.type, shape.y0, shape.y1, shape.xref, shape.x0, shape.x1) == ("rect", 1.5, 2.5, "paper", 0, 1)
    assert [a.text for a in marked.layout.annotations] == ["current layer 2"]


def test_the_page_zip_marks_the_links_layer_on_charts_across_layers_only():
    across, other = curve(), curve()
    drawn = marked_layer({"id": (across, None, "x"), "umap": (other, None, None)}, 5)
    assert [s.x0 for s in drawn["id"][0].layout.shapes] == [5]
    assert drawn["umap"][0] is other
    assert marked_layer({"id": (across, None, "x")}, None)["id"][0] is across  # no layer chosen: no mark
