import numpy as np
import pytest

from geometry.errors import GeometryError
from geometry.sinks import SINK_NORM_FACTOR, attention_sinks, sink_norm_ratios


def test_a_token_far_above_the_median_norm_at_one_layer_is_a_sink():
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(4, 50, 8))
    median = np.median(np.linalg.norm(hidden[2], axis=1))
    hidden[2, 7] *= 1.01 * SINK_NORM_FACTOR * median / np.linalg.norm(hidden[2, 7])  # just over 50× at layer 2
    hidden[1, 9] *= 0.99 * SINK_NORM_FACTOR * np.median(np.linalg.norm(hidden[1], axis=1)) / np.linalg.norm(hidden[1, 9])
    assert attention_sinks(hidden).tolist() == [7]  # token 9 stays just under the line
    ratios = sink_norm_ratios(hidden)
    assert ratios[7] == pytest.approx(1.01 * SINK_NORM_FACTOR, rel=1e-6)
    assert attention_sinks(hidden, factor=40).tolist() == [7, 9]


def test_scale_invariant_and_checks_its_input():
    hidden = np.random.default_rng(1).normal(size=(3, 20, 4))
    hidden[:, 0] *= 200
    np.testing.assert_allclose(sink_norm_ratios(hidden * 1e3), sink_norm_ratios(hidden))
    assert attention_sinks(hidden).tolist() == [0]
    with pytest.raises(GeometryError):
        sink_norm_ratios(np.zeros((3, 0, 4)))
