"""Process-wide resources, cached by Streamlit: the loaded model (one at a time) and the store."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import settings
from cache import ResultStore, StoreError, default_store_path, merge_shards, open_store
from cache.paths import checked_store_choice
from lm import LoadedModel, ModelSpec, load_model


@st.cache_resource(max_entries=1, show_spinner=False)
def loaded_model(spec: ModelSpec, dtype: str, _progress=None) -> LoadedModel:
    """The model for ``spec``; a new spec evicts the previous model (one in memory at a time).

    ``_progress(message)`` hears the loading stages (a one-off GGUF conversion, the load); it is
    not part of the cache key (Streamlit skips parameters whose name starts with "_").

    ``TOKEN_GEOMETRY_THREADS`` sets torch's CPU threads; ``TOKEN_GEOMETRY_DEVICE`` (cpu, cuda, auto;
    default cpu) where the model runs.
    """
    found = settings.current()
    return load_model(spec, dtype=dtype, threads=found.threads, device=found.device,
                      progress=_progress or (lambda message: None))


@dataclass(frozen=True)
class StoreHandle:
    """The store, or None with the reason it could not be opened."""

    store: ResultStore | None
    notice: str


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> ResultStore:
    """One DuckDB connection per server process, shared by all sessions (each call uses a cursor).

    Failures raise, so they are not cached: the next rerun tries again (a batch run holds the file
    only for the moments of its merge). Finished batch-run shards are merged in on opening.
    """
    store = open_store(path, wait_seconds=2)
    if not store.read_only:
        merge_shards(store)  # the Corpus page reports what is merged later ("Refresh from CLI runs")
    return store


def store_handle(path: str) -> StoreHandle:
    try:
        store = _open_store(path)
    except StoreError as error:
        return StoreHandle(store=None, notice=f"{error} The app works without a cache for now.")
    return StoreHandle(store=store, notice=" ".join(store.notices))


def current_store_path() -> str:
    """The store path typed in the sidebar if it passes :func:`cache.checked_store_choice`, else the
    default (``TOKEN_GEOMETRY_CACHE`` or the per-user data folder; the sidebar says why)."""
    default = str(default_store_path())
    typed = (st.session_state.get("store_path") or "").strip()
    if not typed or typed == default:
        return default
    try:
        return str(checked_store_choice(typed))
    except StoreError:
        return default


@st.cache_resource(show_spinner=False)
def warm_up_umap_in_background() -> None:
    """Compile UMAP's numba kernels once per process, in a thread, off the first interaction."""
    import threading

    from geometry.projection import warm_up_umap

    threading.Thread(target=warm_up_umap, name="umap-warm-up", daemon=True).start()
