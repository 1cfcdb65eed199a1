"""The same text in two tokenisations: which token of model A and which of model B have read
exactly the same characters (Lee et al. 2025 compare hidden states of the same text across models).

Rule. Each token t of a text has a character end offset e(t) (the text it has read is
text[:e(t)]). A pair (i, j) is aligned when e_A(i) = e_B(j), taking for each model the last
token with that end (a character split into several byte tokens is read only after the last
one). Special tokens (BOS, EOS, …) cover no characters and are never aligned. In a causal model
the two tokens of an aligned pair have then seen the same prefix of the text, whatever the two
vocabularies look like. Word ends coincide in any two tokenisers that split at spaces, so the
pairs include at least the last token of every whole word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lm.errors import PromptError

NO_CHARACTERS = -1  # the end offset given to special tokens


@dataclass(frozen=True)
class TokenEnds:
    """A text's token ids and each token's end offset in characters (NO_CHARACTERS for special tokens)."""

    token_ids: np.ndarray
    ends: np.ndarray


def aligned_positions(ends_a, ends_b) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into A's and B's tokens) of the pairs whose end offsets coincide, in text order.

    For each end offset the last token with it is used; ends equal to NO_CHARACTERS never align.
    """
    last_a = _last_token_per_end(np.asarray(ends_a, dtype=np.int64))
    last_b = _last_token_per_end(np.asarray(ends_b, dtype=np.int64))
    common = sorted(set(last_a) & set(last_b))
    return (np.array([last_a[e] for e in common], dtype=np.int64),
            np.array([last_b[e] for e in common], dtype=np.int64))


def _last_token_per_end(ends: np.ndarray) -> dict[int, int]:
    last: dict[int, int] = {}
    for index, end in enumerate(ends.tolist()):
        if end != NO_CHARACTERS:
            last[end] = index
    return last


def token_ends(tokenizer, text: str, *, add_special_tokens: bool) -> TokenEnds:
    """Token ids of ``text`` with their character end offsets.

    Fast (Rust) tokenizers report offsets (special tokens cover none: start = end); for others each
    end is the length of the decoded prefix when that is a prefix of the text (otherwise, and for
    special tokens, the token is left unaligned).
    """
    if not text or not text.strip():
        raise PromptError("A text to align is empty.")
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    try:
        encoded = tokenizer(text, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
        ids = np.asarray(encoded["input_ids"], dtype=np.int64)
        ends = np.array([NO_CHARACTERS if start == end else end for start, end in encoded["offset_mapping"]],
                        dtype=np.int64)
    except (NotImplementedError, TypeError, ValueError, KeyError):
        ids = np.asarray(tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"], dtype=np.int64)
        ends = np.full(ids.size, NO_CHARACTERS, dtype=np.int64)
        for k, token_id in enumerate(ids.tolist()):
            if token_id in special:
                continue
            prefix = tokenizer.decode(ids[: k + 1].tolist(), skip_special_tokens=True)
            if prefix and text.startswith(prefix):
                ends[k] = len(prefix)
    return TokenEnds(token_ids=ids, ends=ends)
