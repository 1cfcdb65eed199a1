"""Recent prompts' hidden states, kept in memory for the on-demand views (clusters, UMAP).

They are never written to disk. When a view needs them and they are gone (another prompt pushed
them out, or the server restarted), the model is run again: its hidden states are bit-identical.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np
import streamlit as st

from lm import resolve_model
from pipeline import Outcome, Request
from pipeline.runner import run_model
from ui.resources import loaded_model

KEEP = 3  # prompts; ~18 MB each at 512 tokens for the bundled model


class _Recent:
    def __init__(self) -> None:
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: str, hidden: np.ndarray) -> None:
        with self._lock:
            self._items[key] = hidden
            self._items.move_to_end(key)
            while len(self._items) > KEEP:
                self._items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _recent() -> _Recent:
    return _Recent()


def keeper(key: str) -> Callable[[np.ndarray], None]:
    """A callback that keeps the hidden states computed for ``key``."""
    return lambda hidden: _recent().put(key, hidden)


def hidden_states(outcome: Outcome, request: Request) -> Callable[[], np.ndarray]:
    """A function returning the hidden states (L+1, M, D) of ``outcome``'s tokens, re-running the
    model (with a spinner) only when they are not in memory."""

    def get() -> np.ndarray:
        hidden = _recent().get(outcome.key)
        if hidden is None:
            with st.spinner("Running the model again for the hidden states (they are not stored on disk)…"):
                forward = run_model(request, resolve_model(request.model, trust_remote_code=request.trust_remote_code),
                                    loader=loaded_model, with_losses=False)  # no vocabulary projection
            hidden = forward.hidden
            _recent().put(outcome.key, hidden)
        return hidden

    return get
