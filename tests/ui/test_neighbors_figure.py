"""Neighbours figures: mean labels that never overlap; the curve across layers does not change with the layer."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ui.figures.neighbors import angle_histogram, mean_angle_curve


def _analysis(shuffle_index: int, centre: float):
    rng = np.random.default_rng(shuffle_index)
    angles = centre + rng.normal(0, 5, size=(4, 50))
    return SimpleNamespace(angles=angles, shuffle_index=shuffle_index, seed=0, model_name="m", prompt="p",
                           n_tokens=50, layers=np.arange(1, 5), kept=np.arange(50))


def test_close_means_get_labels_on_opposite_sides_and_rows():
    structured, shuffled = _analysis(0, 60.0), _analysis(3, 60.5)  # means half a degree apart
    labels = [a for a in angle_histogram([structured, shuffled], layer=2).layout.annotations if "mean" in a.text]
    assert len(labels) == 2
    low, high = sorted(labels, key=lambda a: a.x)
    assert (low.xanchor, high.xanchor) == ("right", "left")  # they grow away from each other
    assert low.y != high.y
    assert abs(low.x - np.mean(structured.angles[1] if structured.angles[1].mean() < shuffled.angles[1].mean()
                               else shuffled.angles[1])) < 1e-9


def test_the_curve_across_layers_is_the_same_at_every_layer():
    """The layer on screen is laid over the curve (ui.layer_mark), so a slider step does not send
    the figure again; the figure itself carries no mark."""
    figure = mean_angle_curve([_analysis(0, 60.0)])
    assert not figure.layout.shapes and not figure.layout.annotations
