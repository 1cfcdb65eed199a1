"""Tables of the Embeddings page: the vocabulary's tokens of lowest and highest local ID, each with
its nearest tokens (Lee et al. 2025), coloured by the group their neighbourhoods form."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geometry.clusters import neighborhood_groups
from ui.figures.tokens import UNCLUSTERED, cluster_colour

GROUP_NEIGHBORS = 5  # neighbours per token that define the groups


def shown(token: str) -> str:
    """A vocabulary entry made readable: spaces and line breaks visible, empty strings named."""
    return repr(token)[1:-1] if token.strip() else repr(token)


def extreme_rows(local_ids: np.ndarray, *, count: int, lowest: bool) -> np.ndarray:
    """Positions (into the rows used) of the ``count`` lowest or highest local IDs, extreme first."""
    order = np.argsort(local_ids, kind="stable")
    return order[:count] if lowest else order[::-1][:count]


def token_groups(geometry, picked: np.ndarray) -> np.ndarray:
    """Group label of each picked row (neighbourhoods of their first 5 nearest tokens that meet);
    −1 for a token whose group holds no other picked token."""
    labels = neighborhood_groups(geometry.rows[picked], geometry.neighbors[picked, :GROUP_NEIGHBORS])
    sizes = np.bincount(labels)
    shared = sizes[labels] > 1
    renumbered = np.full(labels.size, -1)
    _, first = np.unique(labels[shared], return_index=True)
    groups = labels[shared][np.sort(first)]
    for number, group in enumerate(groups):
        renumbered[labels == group] = number
    return renumbered


def extreme_table(geometry, picked: np.ndarray, *, groups: np.ndarray | None, neighbors: int = 6):
    """Styler: colour swatch (group; grey without one), token, local ID, nearest tokens."""
    tokens = geometry.tokens
    labels = np.full(picked.size, -1) if groups is None else groups
    frame = pd.DataFrame({
        "colour": [cluster_colour(int(label)) for label in labels],
        "token": [shown(tokens[geometry.rows[row]]) for row in picked],
        "local ID": np.round(geometry.local_ids[picked], 2),
        "nearest tokens": [" · ".join(shown(tokens[i]) for i in geometry.neighbors[row, :neighbors]) for row in picked],
    })
    return frame.style.map(lambda colour: f"background-color: {colour}; color: {colour}", subset=["colour"]).format(
        {"local ID": "{:.2f}"})


def grouped_share(groups: np.ndarray) -> tuple[int, int]:
    """(tokens in a group with another picked token, number of such groups)."""
    inside = groups >= 0
    return int(inside.sum()), int(np.unique(groups[inside]).size)


__all__ = ["UNCLUSTERED", "extreme_rows", "extreme_table", "grouped_share", "token_groups"]
