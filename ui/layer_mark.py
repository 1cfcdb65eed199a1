"""The layer on screen, marked on a chart across layers without redrawing the chart.

A chart across layers (the Layers page's curves, the Tokens heatmap, the Neighbours mean-angle
curve) shows every layer; the layer the user is looking at is marked on it (issue 13, item 8).
Drawn into the figure, the mark changes the figure at every slider step, and Streamlit then gives
the chart a new element that Plotly draws from nothing (~100–140 ms a step for the Tokens heatmap).
Instead the figure is drawn once, unmarked, and this small script component lays the mark over it:
a dotted vertical line at ``x = layer`` (``along="x"``, the curves) or an outline around the row
``layer ± 0.5`` (``along="y"``, the heatmap), labelled "current layer L", placed from the chart's own
axes (``_fullLayout.xaxis/yaxis``: offsets, lengths, ``l2p``) and placed again after every redraw
of the chart (``plotly_afterplot``: a resize, a zoom). The figure a user exports carries the same
mark drawn by Plotly (``ui.figures.common.mark_layer``).
"""

from __future__ import annotations

from typing import Literal

import streamlit.components.v2 as components

from ui.present import presenting

Along = Literal["x", "y"]
KEY_PREFIX = "layer-mark-"

_JS = """
const MARK = 'tg-layer-mark';
const HIDE = 'tg-layer-mark-style';
const loops = {};  // the newest placement loop of each chart: an older one stops

function place(gd) {
  const spec = gd.__layerMark, full = gd._fullLayout;
  const box = gd.querySelector('.svg-container');
  if (!spec || !full || !full.xaxis || !full.yaxis || !box) return;
  const xa = full.xaxis, ya = full.yaxis;
  let left, top, width, height;
  if (spec.along === 'y') {
    const a = ya._offset + ya.l2p(spec.layer + 0.5), b = ya._offset + ya.l2p(spec.layer - 0.5);
    top = Math.min(a, b); height = Math.abs(b - a); left = xa._offset; width = xa._length;
  } else {
    left = xa._offset + xa.l2p(spec.layer); width = 0; top = ya._offset; height = ya._length;
  }
  let mark = box.querySelector(':scope > .' + MARK);
  const key = [spec.along, spec.label, spec.size, left, top, width, height].join('|');
  if (mark && mark.__key === key) return;  // in place already: no write, no new layout
  if (!mark || mark.__along !== spec.along) {
    if (mark) mark.remove();
    mark = document.createElement('div');
    mark.className = MARK;
    mark.__along = spec.along;
    const row = spec.along === 'y';
    mark.style.cssText = 'position:absolute;pointer-events:none;box-sizing:border-box;z-index:5;' +
      (row ? 'border:2px solid black;' : 'border-left:1px dotted #888;');
    const label = document.createElement('span');
    label.style.cssText = 'position:absolute;white-space:nowrap;font-family:Inter, Helvetica, Arial, sans-serif;' +
      'background:rgba(255,255,255,0.85);padding:0 2px;' +
      (row ? 'color:#111;right:0px;bottom:100%;' : 'color:#555;right:2px;top:0px;');
    mark.appendChild(label);
    box.appendChild(mark);
  }
  Object.assign(mark.style, {left: left + 'px', top: top + 'px', width: width + 'px', height: height + 'px'});
  const label = mark.firstChild;
  if (label.textContent !== spec.label) label.textContent = spec.label;
  label.style.fontSize = spec.size + 'px';
  mark.dataset.layer = String(spec.layer);
  mark.__key = key;
}

export default function(component) {
  const { data } = component;
  if (!document.getElementById(HIDE)) {  // the component's own element takes no room on the page
    const style = document.createElement('style');
    style.id = HIDE;
    style.textContent = '[class*="st-key-layer-mark-"] {display: none !important;}';
    document.head.appendChild(style);
  }
  const selector = '.st-key-' + CSS.escape(data.chart) + ' .js-plotly-plot';
  const loop = loops[data.chart] = {};
  let frames = 0, placed = null;
  const attempt = () => {
    if (loops[data.chart] !== loop) return;
    const gd = document.querySelector(selector);
    if (gd && gd._fullLayout && gd.on) {
      gd.__layerMark = data;
      if (!gd.__layerMarkBound) { gd.__layerMarkBound = true; gd.on('plotly_afterplot', () => place(gd)); }
      if (gd !== placed) { place(gd); placed = gd; }
    }
    // The chart may be drawn (or drawn again, as a new element) just after this runs: keep
    // looking (a query, no drawing) for a few seconds, and about two seconds once it is marked.
    if (++frames < (placed ? 120 : 600)) requestAnimationFrame(attempt);
  };
  attempt();
}
"""

_mark = components.component("token_geometry.layer_mark", js=_JS)


def mark_current_layer(*, chart_key: str, layer: int, along: Along = "x") -> None:
    """Mark ``layer`` on the Plotly chart drawn with ``key=chart_key`` (this run or a later one)."""
    _mark(key=KEY_PREFIX + chart_key, data={"chart": chart_key, "layer": int(layer), "along": along,
                                            "label": f"current layer {int(layer)}",
                                            "size": 17 if presenting() else 12})  # presentation: as its tick labels
