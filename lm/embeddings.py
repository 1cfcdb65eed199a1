"""The input-embedding matrix of a loaded model and a readable string for every vocabulary entry."""

from __future__ import annotations

import numpy as np

from lm.loading import LoadedModel

# Word-start markers of byte-level BPE (GPT-2/Llama: "Ġ") and SentencePiece (Gemma: "▁").
_SPACE_MARKERS = {"Ġ": " ", "▁": " ", "Ċ": "\n"}


def input_embeddings(loaded: LoadedModel) -> np.ndarray:
    """(V, D) float32 rows of the input-embedding matrix (as stored, before any scaling)."""
    weight = loaded.model.get_input_embeddings().weight
    return weight.detach().float().cpu().numpy()


def vocabulary(loaded: LoadedModel) -> list[str]:
    """The surface string of every token id, with word-start markers turned into a leading space."""
    pieces = loaded.tokenizer.convert_ids_to_tokens(list(range(len(loaded.tokenizer))))
    table = str.maketrans(_SPACE_MARKERS)
    return [(piece or "").translate(table) for piece in pieces]
