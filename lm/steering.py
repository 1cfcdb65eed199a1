"""Steering a model by adding a vector to its residual stream (a forward hook; weights untouched),
greedy generation and next-token log-probabilities with or without it.

Layer convention (the same as :mod:`lm.extract`): layer l is ``hidden_states[l]``; 0 is the
output of the token embedding (after any scaling inside the embedding module, e.g. Gemma's √d),
l ≥ 1 the output of decoder block l (``blocks[l − 1]``). Steering at layer l adds the vector v
to that output at every position (prompt and generated tokens alike), so ``hidden_states[l]``
shifts by exactly v and every earlier layer is unchanged. The last layer L is not offered:
Hugging Face reports it after the final norm, so no addition to the residual stream shifts it
by v (steering there would only move the logits through the norm).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np

from lm.errors import PromptError
from lm.loading import LoadedModel


def decoder_blocks(loaded: LoadedModel):
    """The model's list of decoder blocks: the ``ModuleList`` with one entry per layer."""
    import torch

    candidates = [module for name, module in loaded.model.named_modules()
                  if isinstance(module, torch.nn.ModuleList) and len(module) == loaded.n_layers]
    if not candidates:
        raise PromptError(f"Could not find the {loaded.n_layers} decoder blocks of {loaded.spec.name}; "
                          "steering needs a model with a list of decoder blocks.")
    return candidates[0]


def steerable_layers(loaded: LoadedModel) -> range:
    """Layers whose residual stream can be shifted exactly: 0 .. L − 1 (see the module docstring)."""
    return range(loaded.n_layers)


def residual_module(loaded: LoadedModel, layer: int):
    """The module whose output ``hidden_states[layer]`` reports."""
    if layer not in steerable_layers(loaded):
        raise PromptError(f"Steering works at layers 0..{loaded.n_layers - 1} of {loaded.spec.name}; got {layer}.")
    return loaded.model.get_input_embeddings() if layer == 0 else decoder_blocks(loaded)[layer - 1]


@contextmanager
def added_to_residual(loaded: LoadedModel, *, layer: int, vector: np.ndarray | None) -> Iterator[None]:
    """Within the block, ``hidden_states[layer]`` is shifted by ``vector`` at every position.

    ``vector=None`` adds nothing and installs no hook.
    """
    if vector is None:
        yield
        return
    import torch

    vector = np.asarray(vector, dtype=np.float64)
    if vector.shape != (loaded.hidden_size,):
        raise PromptError(f"A steering vector for {loaded.spec.name} needs {loaded.hidden_size} entries; "
                          f"got shape {vector.shape}.")
    module = residual_module(loaded, layer)
    parameter = next(loaded.model.parameters())
    shift = torch.as_tensor(vector, dtype=parameter.dtype, device=parameter.device)

    def add(_module, _inputs, output):
        if isinstance(output, tuple):
            return (output[0] + shift,) + tuple(output[1:])
        return output + shift

    # First among the module's hooks: transformers records hidden_states with forward hooks of its
    # own, installed on first use, and those must see the shifted output.
    handle = module.register_forward_hook(add, prepend=True)
    try:
        yield
    finally:
        handle.remove()


def greedy_generate(loaded: LoadedModel, *, prompt_ids: np.ndarray, max_new_tokens: int, layer: int = 0,
                    vector: np.ndarray | None = None) -> np.ndarray:
    """The new token ids of greedy decoding (deterministic), with ``vector`` added at ``layer``."""
    import torch

    ids = torch.as_tensor(np.asarray(prompt_ids, dtype=np.int64)[None, :], device=loaded.device)
    pad = loaded.tokenizer.pad_token_id
    if pad is None:
        pad = loaded.tokenizer.eos_token_id
    with torch.inference_mode(), added_to_residual(loaded, layer=layer, vector=vector):
        output = loaded.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=int(max_new_tokens),
                                       min_new_tokens=0, do_sample=False, num_beams=1, temperature=None,
                                       top_p=None, top_k=None, pad_token_id=pad)
    return output[0, ids.shape[1]:].cpu().numpy()


def next_token_log_probs(loaded: LoadedModel, *, prompts: Sequence[np.ndarray], token_ids: np.ndarray,
                         layer: int = 0, vector: np.ndarray | None = None) -> np.ndarray:
    """(n_prompts, n_targets) log p(token | prompt) of the next token after each prompt, steered."""
    import torch

    targets = torch.as_tensor(np.asarray(token_ids, dtype=np.int64))
    rows = []
    with torch.inference_mode(), added_to_residual(loaded, layer=layer, vector=vector):
        for prompt in prompts:
            ids = torch.as_tensor(np.asarray(prompt, dtype=np.int64)[None, :], device=loaded.device)
            logits = loaded.model(ids, use_cache=False).logits[0, -1].float().cpu()
            rows.append(torch.log_softmax(logits, dim=-1)[targets].numpy())
    return np.asarray(rows, dtype=np.float64)
