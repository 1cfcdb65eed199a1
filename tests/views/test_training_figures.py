"""The LoRA sweep's sentences and figure follow from the numbers given (synthetic rows)."""

import math

from ui.figures.training import lora_perplexity, lora_summary


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
