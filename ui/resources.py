"""Process-wide resources, cached by Streamlit: the loaded model (one at a time) and the store."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cache import ResultStore, StoreError, default_store_path, open_store
from lm import LoadedModel, ModelSpec, load_model


@st.cache_resource(max_entries=1, show_spinner=False)
def loaded_model(spec: ModelSpec, dtype: str) -> LoadedModel:
    """The model for ``spec``; a new spec evicts the previous model (one in memory at a time)."""
    return load_model(spec, dtype=dtype)


@dataclass(frozen=True)
class StoreHandle:
    """The store, or None with the reason it could not be opened."""

    store: ResultStore | None
    notice: str


@st.cache_resource(show_spinner=False)
def store_handle(path: str) -> StoreHandle:
    """One DuckDB connection per server process, shared by all sessions (each call uses a cursor)."""
    try:
        store = open_store(path)
    except StoreError as error:
        return StoreHandle(store=None, notice=f"{error} The app works without a cache for now.")
    return StoreHandle(store=store, notice=" ".join(store.notices))


def current_store_path() -> str:
    return st.session_state.get("store_path") or str(default_store_path())


@st.cache_resource(show_spinner=False)
def warm_up_umap_in_background() -> None:
    """Compile UMAP's numba kernels once per process, in a thread, off the first interaction."""
    import threading

    from geometry.projection import warm_up_umap

    threading.Thread(target=warm_up_umap, name="umap-warm-up", daemon=True).start()
