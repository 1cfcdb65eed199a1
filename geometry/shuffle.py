"""Block shuffling of a prompt's tokens (Viswanathan et al. 2025, arXiv 2501.10573).

Shuffle index S: split the N tokens into K = 4^S contiguous blocks and permute the blocks
(keeping the order inside each block). S = 0 (K = 1) is the original prompt; once K ≥ N every
block is a single token and the order is a full random permutation.

The reference code (token_geometry/extract_shuffled.py) reshapes N = 1024 tokens into K blocks of
N/K, which needs K to divide N. Policy here when it does not: **near-equal contiguous blocks**,
exactly those of ``numpy.array_split(range(N), K)`` — the first N mod K blocks hold ⌈N/K⌉ tokens
and the rest ⌊N/K⌋ — so no token is dropped and the shuffled prompt has the same length N.
When K divides N this is the reference's split. The block order is
``rng.permutation(K)``; for K ≥ N it is ``rng.permutation(N)``. Always pass an explicit, seeded
``numpy.random.Generator`` and record the seed.

Special tokens (BOS, EOS, …) are not text: ``fixed`` marks positions that keep their place, and
only the other tokens are shuffled, as above, among the free positions. Without this, a model that
runs with BOS (Gemma) sees BOS in the middle of a shuffled prompt, which changes its geometry far
more than the shuffle of the text does.
"""

from __future__ import annotations

import numpy as np

from geometry.errors import GeometryError
from geometry.validation import check_positive_int

SHUFFLE_VERSION = 1


def max_shuffle_index(n_tokens: int) -> int:
    """Smallest S with 4^S ≥ n_tokens: larger indices all give a full permutation (0 for N ≤ 1).

    Parameters
    ----------
    n_tokens : int
        N, the prompt's length.

    Returns
    -------
    int
        The largest shuffle index that differs from the ones above it.

    Examples
    --------
    >>> max_shuffle_index(8), max_shuffle_index(1000)
    (2, 5)
    """
    n = check_positive_int(n_tokens, name="n_tokens", minimum=0)
    s = 0
    while 4**s < n:
        s += 1
    return s


def shuffle_tokens(token_ids, *, shuffle_index: int, rng: np.random.Generator, fixed=None) -> np.ndarray:
    """The new token order for shuffle index S, as an int64 permutation of 0..N−1.

    ``token_ids[order]`` is the shuffled prompt. K = 4^S contiguous blocks (near-equal when K does
    not divide N, see the module docstring) are put in the order ``rng.permutation(K)``; S = 0
    returns the identity without drawing from ``rng``; K ≥ N returns ``rng.permutation(N)``.
    With ``fixed``, the fixed positions map to themselves and the blocks are formed over the
    M free positions only (N is then M in the rules above).

    Parameters
    ----------
    token_ids : sequence, shape (N,)
        The token ids (only its length is used).
    shuffle_index : int
        S ≥ 0.
    rng : numpy.random.Generator
        E.g. ``np.random.default_rng(seed)``.
    fixed : array_like of bool, shape (N,), optional
        Positions that keep their place (special tokens).

    Returns
    -------
    numpy.ndarray of int64, shape (N,)
        The order.

    Examples
    --------
    >>> import numpy as np
    >>> shuffle_tokens(np.arange(8), shuffle_index=1, rng=np.random.default_rng(0)).tolist()  # 4 blocks of 2
    [4, 5, 0, 1, 2, 3, 6, 7]
    """
    ids = np.asarray(token_ids)
    if ids.ndim != 1:
        raise GeometryError(f"token_ids must be a 1-D sequence; got shape {ids.shape}.")
    if fixed is not None:
        mask = np.asarray(fixed, dtype=bool)
        if mask.shape != ids.shape:
            raise GeometryError(f"fixed must be a boolean mask of shape {ids.shape}; got shape {mask.shape}.")
        free = np.flatnonzero(~mask)
        order = np.arange(ids.shape[0], dtype=np.int64)
        order[free] = free[shuffle_tokens(free, shuffle_index=shuffle_index, rng=rng)]
        return order
    s = check_positive_int(shuffle_index, name="shuffle_index", minimum=0)
    if not isinstance(rng, np.random.Generator):
        raise GeometryError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); got {type(rng).__name__}."
        )
    n = ids.shape[0]
    if s == 0 or n <= 1:
        return np.arange(n, dtype=np.int64)
    if s >= max_shuffle_index(n):  # K = 4^S ≥ N: every block is one token
        return rng.permutation(n).astype(np.int64)
    blocks = np.array_split(np.arange(n, dtype=np.int64), 4**s)
    return np.concatenate([blocks[b] for b in rng.permutation(len(blocks))])
