"""Run a model once on a prompt: token strings, every layer's hidden states, next-token loss.

Shapes (TransformerLens habit: written down):
    token_ids      (N,)          int64
    hidden_states  (L+1, N, D)   float32; index 0 = embedding output, l = output of block l;
                                 in Hugging Face the last entry is after the final norm.
    losses         (N−1,)        float32, −log p(t_{i+1} | t_≤i) in nats (causal models only)
    entropies      (N,)          float32, entropy of softmax(logits_i) in nats
    logits         (N, V)        float32, only when ``keep_logits=True`` (or ``logit_geometry=True``
                                 and the head is not a plain linear map)
    logit_coordinates (N, D)     float64, only when ``logit_geometry=True``: points with the
                                 pairwise distances of the N logit vectors (lm.logit_space)
Tokenisation adds no special tokens (no BOS) by default, as the reference code does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from lm.errors import PromptError
from lm.loading import LoadedModel
from lm.token_text import covered_texts

_CHUNK = 256  # positions per log-softmax chunk (bounds memory for large vocabularies)


@dataclass(frozen=True)
class Extraction:
    token_ids: np.ndarray
    tokens: tuple[str, ...]
    hidden_states: np.ndarray
    losses: np.ndarray | None
    entropies: np.ndarray | None
    logits: np.ndarray | None
    n_prompt_tokens: int
    truncated: bool
    logit_coordinates: np.ndarray | None = None

    @property
    def n_tokens(self) -> int:
        return int(self.token_ids.size)

    @property
    def mean_loss(self) -> float | None:
        return None if self.losses is None or self.losses.size == 0 else float(np.mean(self.losses))


def tokenize(loaded: LoadedModel, text: str, *, add_special_tokens: bool = False) -> np.ndarray:
    """Token ids of ``text`` (no special tokens unless asked)."""
    if not text or not text.strip():
        raise PromptError("The prompt is empty: type or paste some text.")
    ids = loaded.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"]
    return np.asarray(ids, dtype=np.int64)


def token_strings(loaded: LoadedModel, token_ids: np.ndarray) -> tuple[str, ...]:
    """Each token decoded on its own, so leading spaces stay visible; a token holding part of a
    character shows that character and its bytes (:func:`lm.token_text.covered_texts`)."""
    ids = [int(i) for i in token_ids]
    decoded = [loaded.tokenizer.decode([i]) for i in ids]
    return covered_texts(decoded, loaded.tokenizer.convert_ids_to_tokens(ids))


def _loss_and_entropy(logits, token_ids):
    import torch

    losses, entropies = [], []
    targets = torch.as_tensor(token_ids[1:], device=logits.device)
    for start in range(0, logits.shape[0], _CHUNK):
        log_p = torch.log_softmax(logits[start : start + _CHUNK].float(), dim=-1)
        entropies.append(-(log_p.exp() * log_p).sum(-1))
        rows = log_p[: max(0, min(_CHUNK, targets.numel() - start))]
        losses.append(-rows.gather(1, targets[start : start + rows.shape[0], None])[:, 0])
    return torch.cat(losses).cpu().numpy(), torch.cat(entropies).cpu().numpy()


def extract(
    loaded: LoadedModel,
    *,
    text: str | None = None,
    token_ids: np.ndarray | None = None,
    add_special_tokens: bool = False,
    max_tokens: int | None = None,
    keep_logits: bool = False,
    with_losses: bool = True,
    logit_geometry: bool = False,
) -> Extraction:
    """Run the model once on ``text`` (or on ``token_ids``) and return an :class:`Extraction`.

    Prompts longer than ``max_tokens`` or than the model's context are truncated to the first
    tokens; ``truncated`` and ``n_prompt_tokens`` say so. ``with_losses=False`` skips the logits
    over the vocabulary (losses, entropies and logits are then None): hidden states only, ~20 %
    faster for the bundled model, whose vocabulary projection is as wide as 49k × 576.
    ``logit_geometry=True``: ``logit_coordinates`` holds N points with the pairwise distances of
    the logit vectors, computed from the head's input (:mod:`lm.logit_space`); when the head is
    not a linear map of it, the explicit ``logits`` are returned instead.
    """
    ids = tokenize(loaded, text, add_special_tokens=add_special_tokens) if token_ids is None else np.asarray(token_ids, dtype=np.int64)
    if ids.size == 0:
        raise PromptError("The prompt has no tokens after tokenisation.")
    limit = min(x for x in (max_tokens, loaded.context_length) if x) if (max_tokens or loaded.context_length) else None
    n_prompt_tokens = int(ids.size)
    run = extract_batch(loaded, token_ids=[ids[:limit] if limit else ids], keep_logits=keep_logits,
                        with_losses=with_losses, logit_geometry=logit_geometry)[0]
    return dataclasses.replace(run, n_prompt_tokens=n_prompt_tokens, truncated=bool(run.n_tokens < n_prompt_tokens))


def extract_batch(
    loaded: LoadedModel,
    *,
    token_ids: Sequence[np.ndarray],
    keep_logits: bool = False,
    with_losses: bool = True,
    logit_geometry: bool = False,
) -> list[Extraction]:
    """Run the model once on several prompts' token ids (each within the context) together.

    The prompts are padded on the right to the longest and masked, so each real token sees only
    its own prompt's tokens, at the positions it has alone; every result is cut back to its own
    tokens. A single prompt runs unpadded and unmasked. Padded batches equal single runs to float
    round-off (different matrix shapes sum in a different order). Options as :func:`extract`;
    ``n_prompt_tokens`` is each prompt's length here (nothing is truncated).
    """
    import torch

    from lm.logit_space import head_reproduces_logits, linear_head, logit_coordinates

    prompts = [np.asarray(ids, dtype=np.int64) for ids in token_ids]
    if not prompts or any(ids.size == 0 for ids in prompts):
        raise PromptError("The prompt has no tokens after tokenisation.")
    wants_logits = loaded.is_causal and (with_losses or keep_logits or logit_geometry)
    head = linear_head(loaded.model) if wants_logits and logit_geometry else None
    head_inputs: list = []
    options = {"output_hidden_states": True}
    if loaded.is_causal:
        options["use_cache"] = False  # one pass over a whole prompt: a key/value cache is never read
        if not wants_logits:
            options["logits_to_keep"] = 1  # the vocabulary projection of the last position only
    lengths = [ids.size for ids in prompts]
    padded = np.full((len(prompts), max(lengths)), _pad_id(loaded), dtype=np.int64)
    for row, ids in enumerate(prompts):
        padded[row, : ids.size] = ids
    results = []
    with torch.inference_mode():
        inputs = torch.as_tensor(padded, device=loaded.device)
        if len(set(lengths)) > 1:
            real = np.arange(padded.shape[1])[None, :] < np.array(lengths)[:, None]
            options["attention_mask"] = torch.as_tensor(real.astype(np.int64), device=loaded.device)
        hook = None if head is None else head.register_forward_pre_hook(lambda _, args: head_inputs.append(args[0]))
        try:
            output = loaded.model(inputs, **options)
        except TypeError:  # an architecture without these options: the plain call
            output = loaded.model(inputs, output_hidden_states=True, attention_mask=options.get("attention_mask"))
        finally:
            if hook is not None:
                hook.remove()
        for row, ids in enumerate(prompts):
            n = ids.size
            hidden = torch.stack([h[row, :n] for h in output.hidden_states]).float().cpu().numpy()
            losses = entropies = logits = coordinates = None
            if wants_logits:
                raw = output.logits[row, :n]
                if with_losses:
                    losses, entropies = _loss_and_entropy(raw, ids)
                if logit_geometry:
                    head_input = head_inputs[-1][row, :n] if len(head_inputs) == 1 else None
                    if head_input is not None and head_reproduces_logits(head, head_input, raw):
                        coordinates = logit_coordinates(head, head_input)
                if keep_logits or (logit_geometry and coordinates is None):
                    logits = raw.float().cpu().numpy()
            results.append(Extraction(token_ids=ids, tokens=token_strings(loaded, ids), hidden_states=hidden,
                                      losses=losses, entropies=entropies, logits=logits, n_prompt_tokens=n,
                                      truncated=False, logit_coordinates=coordinates))
    return results


def _pad_id(loaded: LoadedModel) -> int:
    """A token id for padding (masked, so any valid id does): the tokenizer's pad, else its EOS, else 0."""
    for name in ("pad_token_id", "eos_token_id"):
        value = getattr(loaded.tokenizer, name, None)
        if isinstance(value, int):
            return value
    return 0
