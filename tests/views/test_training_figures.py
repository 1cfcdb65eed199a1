"""The Training page's figures follow from the numbers given (synthetic rows and series): the LoRA
sweep's sentences and chart, and the charts against the training step (no step 0 on a log axis)."""

import math

import numpy as np
import pytest

from geometry.embedding_id import EmbeddingID
from pipeline.checkpoints import Checkpoint, CheckpointSeries, SeriesPoint
from ui.figures.training import embedding_id_by_step, layer_heatmap, lora_perplexity, lora_summary, peak_by_step


def _rows(perplexities: dict[int, float], identity: float = 10.5) -> list[dict]:
    return [{"sweep": "s", "model": "m", "rank": rank, "perplexity": value, "heldout_nll": math.log(value),
             "trainable": rank * 10, "seconds": 1.0, "final_train_loss": 1.0, "intrinsic_dimension": identity,
             "n_features": 576, "device": "cpu", "prompts": "sotu", "block_tokens": 32, "steps": 20, "batch_size": 4,
             "learning_rate": 0.002, "lora_alpha": 1.0, "seed": 0} for rank, value in perplexities.items()]


def test_the_summary_states_baseline_best_rank_the_change_across_the_id_and_the_largest_drop():
    lines = lora_summary(_rows({0: 100.0, 4: 99.0, 8: 98.0, 16: 80.0, 32: 79.0}))
    assert lines[0] == "Without an adapter the held-out perplexity is 100.000."
    assert lines[1] == "The lowest held-out perplexity, 79.000, is at rank 32 (-21.00 % against no adapter)."
    assert lines[2] == "Across the measured ID (10.5): rank 8 gives 98.000, rank 16 gives 80.000 (-18.37 %)."
    assert lines[3].startswith("The largest drop between consecutive ranks is from rank 8 to 16 (-18.37 %)")


def test_the_figure_draws_the_trained_ranks_the_baseline_and_the_id():
    figure = lora_perplexity(_rows({0: 100.0, 1: 99.0, 128: 90.0}, identity=12.0))
    curve, baseline, identity = figure.data
    assert list(curve.x) == [1, 128] and list(curve.y) == [99.0, 90.0]
    assert list(baseline.y) == [100.0, 100.0]
    assert list(identity.x) == [12.0, 12.0]
    assert figure.layout.xaxis.type == "log" and list(figure.layout.xaxis.tickvals) == [1, 2, 4, 8, 16, 32, 64, 128]


# The charts against the step: step 0 never reaches a log axis (Plotly, unable to place it, drew a
# segment from the chart's left edge to step 10, as if step 0 had step 10's value).


def _series(steps=(0, 10, 100, 1000)) -> CheckpointSeries:
    def point(step: int, index: int) -> SeriesPoint:
        identity = 20.0 - index
        embedding = EmbeddingID(id_twonn=identity, error_twonn=0.1, id_twonn_mle=identity + 1, error_twonn_mle=0.2,
                                id_local_mle=identity, n_features=64, redundancy=1 - identity / 64, lora_rank=32,
                                n_rows=100, n_used=90, n_zero_rows=0, n_exact_duplicates=0, n_near_duplicates=0,
                                n_subsampled_out=0, k_local=10, seed=0)
        layers = np.array([2.0, 5.0 + index, 3.0])
        return SeriesPoint(checkpoint=Checkpoint(step=step, label=f"checkpoint-{step}", location="."),
                           fingerprint=str(step), embedding=embedding, layer_id=layers, layer_error=0 * layers,
                           peak_layer=2, peak_id=float(layers.max()))

    return CheckpointSeries(name="s", prompt="p", points=tuple(point(s, i) for i, s in enumerate(steps)))


def _log_axis_traces(figure):
    """(trace, axis) for every trace drawn against a log x axis."""
    for trace in figure.data:
        axis = figure.layout[("xaxis" + trace.xaxis[1:]) if trace.xaxis else "xaxis"]
        if axis.type == "log":
            yield trace, axis


def _step_figures(series, *, log_steps):
    return [embedding_id_by_step(series, log_steps=log_steps), peak_by_step(series, log_steps=log_steps),
            layer_heatmap(series), lora_perplexity(_rows({0: 100.0, 1: 99.0, 128: 90.0}, identity=12.0))]


def test_no_value_at_or_below_zero_reaches_a_log_axis_on_the_training_page():
    series = _series()
    checked = 0
    for figure in _step_figures(series, log_steps=True):
        for trace, _ in _log_axis_traces(figure):
            assert all(float(x) > 0 for x in trace.x), (figure.layout.title.text, trace.name, list(trace.x))
            checked += 1
    assert checked >= 5  # the ID chart's three traces, the peak chart's and the LoRA chart's


@pytest.mark.parametrize("chart", [embedding_id_by_step, peak_by_step])
def test_a_log_step_axis_leaves_step_0_out_and_says_so_a_linear_one_keeps_it(chart):
    series = _series()
    logged, linear = chart(series, log_steps=True), chart(series, log_steps=False)
    for trace in logged.data:
        assert list(trace.x) == [10, 100, 1000]
    peak = [p.peak_id for p in series.points]
    if chart is peak_by_step:
        assert list(logged.data[0].y) == peak[1:] and list(linear.data[0].y) == peak
    assert "step 0 not drawn (log axis)" in logged.layout.title.text
    for trace in linear.data:
        assert list(trace.x) == [0, 10, 100, 1000]
    assert "step 0" not in linear.layout.title.text
    # Without a step 0 nothing is left out and nothing is said.
    later = chart(_series(steps=(10, 100)), log_steps=True)
    assert list(later.data[0].x) == [10, 100] and "not drawn" not in later.layout.title.text


def test_the_heatmap_keeps_step_0():
    assert list(layer_heatmap(_series()).data[0].y) == ["step 0", "step 10", "step 100", "step 1000"]
