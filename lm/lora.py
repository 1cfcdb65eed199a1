"""LoRA on the input-embedding layer only (the ``peft`` library), trained for a fixed budget, and
the held-out perplexity that the LoRA-rank experiment records (Kataiwa et al. 2025, §LoRA).

The adapter: ``LoraConfig(target_modules=[<input-embedding module>], r=rank, lora_alpha=alpha,
use_rslora=True)``: the update is ΔW = (alpha / √r) · (B A)ᵀ with A ∈ R^{r×V} (initialised to
zero) and B ∈ R^{D×r} (standard normal), so every rank starts from the unchanged model. The
rank-stabilised scaling alpha/√r (Kalajdzievski 2023, "rsLoRA") keeps the size of the learnt update
comparable across ranks at one learning rate; with the classic alpha/r = 1 (alpha = r) the update
grew with the rank, and on SmolLM2 rank 7 already ended worse than no adapter while ranks 1–4
improved. With alpha = 1, rank 1 is the same in both.

Tied embeddings (SmolLM2 ties the input embedding and the LM head): peft adds the adapter to the
input-embedding module only and leaves ``ensure_weight_tying`` off, so the LM head keeps reading
the frozen base matrix; :func:`adapted_modules` lists the modules that got an adapter and
:func:`train_embedding_lora` checks that it is exactly the input embedding.

Perplexity: exp of the mean next-token negative log-likelihood (nats) over every predicted token
of the held-out blocks. torch and peft are imported inside the functions (importing :mod:`lm`
stays cheap).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from lm.errors import ModelLoadError

StepReport = Callable[[int, float], None]  # (steps done, training loss of that step)


@dataclass(frozen=True)
class LoraRun:
    """One rank trained: ``losses`` holds the training loss of each step (nats per token),
    ``heldout_nll`` the mean held-out NLL after training, ``trainable`` the adapter's parameters."""

    rank: int
    losses: np.ndarray  # (steps,)
    heldout_nll: float
    trainable: int
    adapted: tuple[str, ...]  # the names of the modules that carry an adapter
    seconds: float  # wall-clock time of the training

    @property
    def perplexity(self) -> float:
        return float(math.exp(self.heldout_nll))


def token_blocks(tokenizer, texts: Sequence[str], *, length: int, limit: int) -> np.ndarray:
    """The texts tokenised, joined with the EOS token (when the tokenizer has one) and cut into
    at most ``limit`` consecutive blocks of ``length`` tokens: an (n, length) int64 array."""
    separator = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    stream: list[int] = []
    for text in texts:
        stream.extend(tokenizer(text, add_special_tokens=False)["input_ids"] + separator)
        if len(stream) >= length * limit:
            break
    n_blocks = min(limit, len(stream) // length)
    return np.asarray(stream[: n_blocks * length], dtype=np.int64).reshape(n_blocks, length)


def heldout_nll(model, blocks: np.ndarray, *, batch_size: int, device: str = "cpu") -> float:
    """Mean next-token NLL (nats) over every predicted token of ``blocks`` (the model in eval mode)."""
    import torch

    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(blocks), batch_size):
            ids = torch.as_tensor(blocks[start:start + batch_size], device=device)
            logits = model(input_ids=ids).logits[:, :-1].float()
            losses = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1),
                                                       reduction="sum")
            total += float(losses)
            count += ids[:, 1:].numel()
    model.train(was_training)
    return total / count


def input_embedding_name(model) -> str:
    """The module path of the model's input embedding (e.g. ``model.embed_tokens``)."""
    embedding = model.get_input_embeddings()
    for name, module in model.named_modules():
        if module is embedding:
            return name
    raise ModelLoadError("the model's input embedding is not one of its modules; LoRA cannot target it.")


def adapted_modules(model) -> tuple[str, ...]:
    """Names of the modules that carry a LoRA adapter."""
    from peft.tuners.lora import LoraLayer

    return tuple(name for name, module in model.named_modules() if isinstance(module, LoraLayer))


def train_embedding_lora(model, *, rank: int, train: np.ndarray, heldout: np.ndarray, steps: int, batch_size: int,
                         learning_rate: float, seed: int, alpha: float = 1.0, device: str = "cpu",
                         on_step: StepReport = lambda step, loss: None) -> LoraRun:
    """Add a rank-``rank`` LoRA adapter to the input embedding of ``model``, train it for ``steps``
    AdamW steps on batches of ``train`` blocks (the same seeded order at every rank), measure the
    held-out NLL, then remove the adapter again (``unload``: ``model`` is left as it was)."""
    import torch
    from peft import LoraConfig, get_peft_model

    started = time.perf_counter()
    target = input_embedding_name(model)
    torch.manual_seed(seed)
    config = LoraConfig(r=rank, lora_alpha=alpha, use_rslora=True, lora_dropout=0.0, target_modules=[target],
                        bias="none", ensure_weight_tying=False)
    with warnings.catch_warnings():  # "a tied layer is part of the adapter": intended, see the module docstring
        warnings.simplefilter("ignore")
        peft_model = get_peft_model(model, config)
    try:
        adapted = adapted_modules(peft_model.base_model.model)
        if adapted != (target,):
            raise ModelLoadError(f"LoRA was meant for {target} only but landed on {', '.join(adapted) or 'nothing'}.")
        parameters = [p for p in peft_model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.0)
        order = np.random.default_rng(seed).integers(0, len(train), size=(steps, batch_size))
        peft_model.train()
        losses = np.empty(steps)
        for step in range(steps):
            ids = torch.as_tensor(train[order[step]], device=device)
            loss = peft_model(input_ids=ids, labels=ids).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses[step] = float(loss.detach())
            on_step(step + 1, losses[step])
        nll = heldout_nll(peft_model, heldout, batch_size=batch_size, device=device)
        trainable = int(sum(p.numel() for p in parameters))
    finally:
        peft_model.unload()  # removes the adapter modules without merging them into the weights
        model.eval()
    return LoraRun(rank=rank, losses=losses, heldout_nll=nll, trainable=trainable, adapted=adapted,
                   seconds=time.perf_counter() - started)
