"""Issue 11 finding 4 and issue 13 items 7–8: the sweep's defaults, its headline numbers and
sentence (computed, never asserted), the shuffled text with block boundaries, the discrete S legend."""

import re

import numpy as np
import pandas as pd
import pytest

from geometry.shuffle import max_shuffle_index
from lm import DEFAULT_MODEL, load_model, resolve_model, tokenize
from pipeline import Request, analyse, sweep_requests
from pipeline.sweep import estimator_values, shuffled_order, shuffled_text, sweep_sentence, sweep_summary
from prompts import default_prompt
from ui.figures import layers as figures

TEXT = ("<s>Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. "
        "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.")


@pytest.fixture(scope="module")
def sweep(tiny_model_dir):
    request = Request(model=str(tiny_model_dir), prompt=TEXT)
    return [analyse(item, store=None).analysis for item in sweep_requests(request, shuffles=[0, 1, 3], seeds=2)]


def test_requests_are_s0_once_then_each_shuffle_per_seed(tiny_model_dir):
    request = Request(model="m", prompt=TEXT)
    pairs = [(r.shuffle_index, r.seed) for r in sweep_requests(request, shuffles=[5, 0], seeds=3)]
    assert pairs == [(0, 0), (5, 0), (5, 1), (5, 2)]


def test_summary_is_the_peak_and_loss_over_seeds(sweep):
    summary = sweep_summary(sweep, estimator="gride_2")
    assert summary.shuffle_index.tolist() == [0, 1, 3] and summary.seeds.tolist() == [1, 2, 2]
    shuffled = [a for a in sweep if a.shuffle_index == 3]
    peaks = [np.nanmax(a.gride_at(2)[0]) for a in shuffled]
    row = summary.iloc[-1]
    assert row.peak_min == pytest.approx(min(peaks)) and row.peak_max == pytest.approx(max(peaks))
    assert row.loss_mean == pytest.approx(np.mean([a.mean_loss for a in shuffled]))
    sentence = sweep_sentence(summary, estimator="gride_2")
    assert f"{summary.iloc[0].peak_mean:.2f}" in sentence and "GRIDE r=2" in sentence


def test_sentence_says_when_the_prompt_does_not_show_the_papers_direction():
    summary = pd.DataFrame(dict(shuffle_index=[0, 5], seeds=[1, 3], peak_mean=[11.28, 10.0], peak_min=[11.28, 9.5],
                                peak_max=[11.28, 10.5], loss_mean=[3.0, 7.0], loss_min=[3.0, 6.9], loss_max=[3.0, 7.1]))
    sentence = sweep_sentence(summary, estimator="gride_2")
    assert "lower on every seed than" in sentence and "is not the direction" in sentence
    summary.loc[1, ["peak_mean", "peak_min", "peak_max"]] = [12.0, 11.5, 12.5]
    assert "This is the direction" in sweep_sentence(summary, estimator="gride_2")


def test_shuffled_text_is_the_analysed_tokens_with_block_boundaries(sweep):
    for analysis in sweep:
        order = shuffled_order(analysis)
        assert order[0] == 0  # BOS stays first
        assert sorted(order.tolist()) == list(range(analysis.n_tokens))
        text = shuffled_text(analysis)
        assert text.replace(" ┃ ", "") == "".join(analysis.tokens)
        blocks = 1 + text.count(" ┃ ")
        in_order = np.array_equal(order, np.arange(analysis.n_tokens))  # S=1 has 4! orders, one is the identity
        assert (blocks == 1) == (analysis.shuffle_index == 0 or in_order)
        if analysis.shuffle_index == 3:
            assert blocks > 4
    original = next(a for a in sweep if a.shuffle_index == 0)
    shuffled = next(a for a in sweep if a.shuffle_index == 3)
    # the redone shuffle gives exactly the analysed token order
    np.testing.assert_array_equal(original.token_ids[shuffled_order(shuffled)], shuffled.token_ids)


def test_overlay_has_one_discrete_legend_entry_per_s_and_annotated_peaks(sweep):
    figure = figures.shuffle_overlay(sweep, estimator="gride_4").to_plotly_json()
    legend = [trace["name"] for trace in figure["data"] if trace.get("showlegend", True)]
    assert [name.split(":")[0] for name in legend] == ["S=0 (as written)", "S=1", "S=3"]
    assert not any(trace.get("marker", {}).get("showscale") for trace in figure["data"])  # no continuous bar
    colours = {trace["line"]["color"] for trace in figure["data"] if trace.get("showlegend", True)}
    assert len(colours) == 3
    structured = next(a for a in sweep if a.shuffle_index == 0)
    values = estimator_values(structured, "gride_4")[0]
    peak = f"S=0: {np.nanmax(values):.2f} @ {structured.peak_layer_of(values)}"
    assert peak in [a["text"] for a in figure["layout"]["annotations"]]
    hovers = [trace.get("hovertemplate", "") for trace in figure["data"]]
    assert any("seed 0: " in h and "┃" in h for h in hovers)  # the shuffled text in the hover
    headline = figures.headline_figure(sweep, estimator="gride_4")
    points = [trace for trace in headline.data if trace.error_y.array is not None]
    labels = [trace for trace in headline.data if trace.text is not None]
    assert len(points) == 2 and len(labels) == 2  # peak ID and loss, each with its labels
    for point, label in zip(points, labels):  # each mean is written at the top of its min–max bar, not on it
        tops = np.asarray(point.y, float) + np.asarray(point.error_y.array, float)
        np.testing.assert_allclose(np.asarray(label.y, float), tops)
        assert list(label.text) == [f"{value:.2f}" for value in point.y] and label.textposition == "top center"


def test_the_default_prompt_is_long_enough_to_measure_and_the_sweep_defaults_to_the_full_shuffle():
    """Before: the Zen of Python (203 tokens), where the structured prompt had the highest peak."""
    smollm = load_model(resolve_model(DEFAULT_MODEL))
    n = tokenize(smollm, default_prompt()).size
    assert 800 <= n <= 1024
    assert max_shuffle_index(n) == 5


def test_peak_labels_sit_in_rows_of_their_own_above_every_curve_joined_to_their_stars(sweep):
    """However close the peaks, each label has its own row above the highest point drawn (band and
    error bars included), inside the fixed y range, and a line of its colour from its star to it."""
    figure = figures.shuffle_overlay(sweep, estimator="gride_4")
    drawn = [np.asarray(t.y, dtype=float) for t in figure.data if t.y is not None and t.marker.symbol != "star"]
    top = max(np.nanmax(y) for y in drawn)
    labels = [a for a in figure.layout.annotations if re.fullmatch(r"S=\d+: [\d.]+ @ \d+", a.text)]
    rows = sorted(a.y for a in labels)
    assert len(labels) == 3 and rows[0] > top and len(set(rows)) == 3
    gap = min(b - a for a, b in zip(rows, rows[1:]))
    assert gap > 0 and figure.layout.yaxis.range[1] > rows[-1] + gap / 2
    stars = next(t for t in figure.data if t.marker.symbol == "star")
    for label in labels:
        joins = [s for s in figure.layout.shapes if s.x0 == label.x and s.y1 == label.y]
        assert len(joins) == 1 and joins[0].line.color == label.font.color
        assert any(x == label.x and y == joins[0].y0 for x, y in zip(stars.x, stars.y))
