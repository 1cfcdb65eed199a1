"""Points with the pairwise distances of the logit vectors, from the input of the model's head.

A linear head gives the logits z_i = W h_i + b (W: V × D, b may be absent). The bias cancels in
differences, so for every pair of positions

    ‖z_i − z_j‖² = (h_i − h_j)ᵀ WᵀW (h_i − h_j) = ‖(h_i − h_j) C‖²,   C Cᵀ = WᵀW,

with C = U diag(√λ) from the eigendecomposition WᵀW = U diag(λ) Uᵀ (float64, D × D, computed
once per model). The N points y_i = h_i C therefore have exactly the pairwise distances of the N
logit vectors, for N·D² work instead of N·V·D, and the N × V logits (100 MB for 512 tokens of a
49k vocabulary) never leave the model. The logits ID (GRIDE on the logit vectors, Viswanathan
et al. 2025, arXiv 2501.10573) depends on distances only, so it sees the same cloud.

The identity needs z to be exactly the head's linear map of its input: every call checks that on
three positions against the model's own logits, and callers fall back to the explicit logits when
the check fails (soft-capped or rescaled logits, a head that is not an ``nn.Linear``).
"""

from __future__ import annotations

import weakref

import numpy as np

_ROWS_PER_CHUNK = 8192  # vocabulary rows of W turned into float64 at a time
# Largest |model logits − (h Wᵀ + b)| accepted, relative to 1 + max |logit|: round-off of the
# model's own dtype (float32 ≈ 1e-7 per operation; half precision ≈ 1e-3) with a wide margin.
_TOLERANCE = {"float32": 1e-4, "float64": 1e-8}
_HALF_TOLERANCE = 2e-2
_MAPS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def linear_head(model):
    """The model's output projection if it is a plain ``torch.nn.Linear``, else None."""
    import torch

    getter = getattr(model, "get_output_embeddings", None)
    head = getter() if callable(getter) else None
    return head if isinstance(head, torch.nn.Linear) else None


def logit_distance_map(head) -> np.ndarray:
    """C (D × D, float64) with ‖(h_i − h_j) C‖ = ‖W h_i − W h_j‖ for the head's weight W.

    WᵀW is accumulated in float64 over chunks of vocabulary rows on the weight's device; the
    eigenvalues are clipped at 0 (round-off of a rank-deficient W). Cached per head module.
    """
    import torch

    cached = _MAPS.get(head)
    if cached is not None:
        return cached
    with torch.inference_mode():
        weight = head.weight.detach()
        gram = torch.zeros((weight.shape[1], weight.shape[1]), dtype=torch.float64, device=weight.device)
        for start in range(0, weight.shape[0], _ROWS_PER_CHUNK):
            block = weight[start : start + _ROWS_PER_CHUNK].double()
            gram += block.T @ block
    values, vectors = np.linalg.eigh(gram.cpu().numpy())
    result = vectors * np.sqrt(np.clip(values, 0.0, None))
    _MAPS[head] = result
    return result


def head_reproduces_logits(head, head_input, logits) -> bool:
    """True when the model's logits at the first, middle and last position equal W h + b there.

    ``head_input`` (N, D) and ``logits`` (N, V) are torch tensors of one prompt.
    """
    import torch

    with torch.inference_mode():
        rows = sorted({0, head_input.shape[0] // 2, head_input.shape[0] - 1})
        expected = torch.nn.functional.linear(head_input[rows].float(), head.weight.float(),
                                              None if head.bias is None else head.bias.float())
        actual = logits[rows].float()
        if expected.shape != actual.shape or not bool(torch.isfinite(actual).all()):
            return False
        dtype = str(logits.dtype).removeprefix("torch.")
        tolerance = _TOLERANCE.get(dtype, _HALF_TOLERANCE)
        scale = 1.0 + float(actual.abs().max())
        return float((expected - actual).abs().max()) <= tolerance * scale


def logit_coordinates(head, head_input) -> np.ndarray:
    """(N, D) float64 points y_i = h_i C whose pairwise distances are those of the N logit vectors."""
    import torch

    with torch.inference_mode():
        inputs = head_input.detach().double().cpu().numpy()
    return inputs @ logit_distance_map(head)
