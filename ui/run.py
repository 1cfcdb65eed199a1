"""Get the outcome the sidebar asks for: from the session, the cache, or a run with progress.

Every failure the user can cause ends here as a message on the page, never a traceback.
"""

from __future__ import annotations

import logging
import time

import streamlit as st

from cache import StoreError, spec_key
from geometry.errors import GeometryError
from lm import LMError
from pipeline import Outcome, Request, analyse, build_spec, shuffle_sweep, sweep_requests
from pipeline.runner import cached
from ui.resources import current_store_path, loaded_model, store_handle
from ui.hidden import keeper
from ui.url import UNCONFIRMED

log = logging.getLogger(__name__)


def _remember(outcome: Outcome) -> Outcome:
    st.session_state.setdefault("outcomes", {})[outcome.key] = outcome
    return outcome


def _run_with_progress(request: Request, store, key: str) -> Outcome:
    with st.status("Analysing the prompt…", expanded=True) as status:
        bar = st.progress(0.0)
        step = st.empty()

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0))
            step.write(message)

        try:
            outcome = analyse(request, store=store, loader=loaded_model, progress=progress,
                              on_hidden_states=keeper(key))
        except BaseException:
            status.update(label="The analysis stopped (see the message below)", state="error", expanded=False)
            raise
        status.update(label="Analysis finished", state="complete", expanded=False)
    return outcome


def current_outcome(request: Request, *, run: bool, quiet: bool = False) -> Outcome | None:
    """The outcome for ``request``, or None (after telling the user why) if there is none yet.

    ``quiet``: for a secondary result (e.g. the shuffled twin of the prompt): no "press Run" hint.
    """
    handle = store_handle(current_store_path())
    if handle.notice and not quiet:
        st.warning(handle.notice)
    if st.session_state.get(UNCONFIRMED) and not run:
        st.info("The model in the sidebar came from a link: check it, then press **Run** to load it.")
        return None

    def lookup() -> Outcome | None:
        _, spec = build_spec(request)
        key = spec_key(spec)
        remembered = st.session_state.get("outcomes", {}).get(key)
        if remembered is not None and not run:
            return remembered
        if run:
            return _remember(_run_with_progress(request, handle.store, key))
        started = time.perf_counter()
        hit = cached(handle.store, key)
        if hit is None:
            if not quiet:
                st.info("Choose a model and a prompt in the sidebar, then press **Run**.")
            return None
        return _remember(Outcome(key=key, spec=spec, analysis=hit, from_cache=True,
                                 seconds=time.perf_counter() - started))

    return with_messages(lookup)


def provenance(outcome: Outcome) -> str:
    """One line saying where the result came from and how long it took."""
    analysis = outcome.analysis
    if outcome.from_cache:
        return (f"Served from the DuckDB cache in {outcome.seconds:.3f} s without running the model "
                f"(computing it took {analysis.compute_seconds:.1f} s).")
    return f"Computed in {analysis.compute_seconds:.1f} s (model and geometry) and saved to the cache."


def with_messages(action):
    """Run ``action()``; turn every user-caused failure into a message on the page (returns None)."""
    try:
        return action()
    except LMError as error:
        st.error(str(error))
    except (GeometryError, StoreError) as error:
        st.error(f"The analysis could not be completed: {error}")
    except Exception as error:  # last resort: a message, not a traceback; the log keeps the details
        log.exception("analysis failed")
        st.error(f"Something went wrong ({type(error).__name__}: {error}). Nothing stored was lost.")
    return None


def sweep_outcomes(request: Request, *, max_shuffle: int, seeds: int, run: bool) -> list[Outcome] | None:
    """The shuffle sweep for ``request``: from the cache if complete, computed (with progress) if ``run``."""
    handle = store_handle(current_store_path())

    def cached_sweep() -> list[Outcome] | None:
        outcomes = []
        for item in sweep_requests(request, max_shuffle=max_shuffle, seeds=seeds):
            _, spec = build_spec(item)
            key = spec_key(spec)
            hit = st.session_state.get("outcomes", {}).get(key)
            hit = hit.analysis if hit else cached(handle.store, key)
            if hit is None:
                return None
            outcomes.append(Outcome(key=key, spec=spec, analysis=hit, from_cache=True, seconds=0.0))
        return outcomes

    def compute_sweep() -> list[Outcome]:
        with st.status(f"Running the shuffle sweep (S = 0..{max_shuffle}, {seeds} seeds)…", expanded=True) as status:
            bar, step = st.progress(0.0), st.empty()

            def progress(fraction: float, message: str) -> None:
                bar.progress(min(max(fraction, 0.0), 1.0))
                step.write(message)

            outcomes = shuffle_sweep(request, max_shuffle=max_shuffle, seeds=seeds, store=handle.store,
                                     loader=loaded_model, progress=progress)
            status.update(label=f"Shuffle sweep done ({len(outcomes)} runs)", state="complete", expanded=False)
        for outcome in outcomes:
            _remember(outcome)
        return outcomes

    if st.session_state.get(UNCONFIRMED):
        return None
    return with_messages(compute_sweep if run else cached_sweep)


def show_provenance(outcome: Outcome) -> None:
    """Where the result came from, and every note about what was dropped or truncated."""
    if outcome.from_cache:
        st.success(provenance(outcome))
    else:
        st.caption(provenance(outcome))
    for note in outcome.analysis.notes:
        st.warning(note)
    if outcome.cache_notice:
        st.warning(outcome.cache_notice)


def with_progress(label: str, action):
    """``action(progress)``; a status box with a progress bar appears only if progress is reported
    (so a cache hit shows nothing)."""
    box: dict = {}

    def progress(fraction: float, message: str) -> None:
        if "status" not in box:
            box["status"] = st.status(f"{label}…", expanded=True)
            box["bar"], box["step"] = box["status"].progress(0.0), box["status"].empty()
        box["bar"].progress(min(max(fraction, 0.0), 1.0))
        box["step"].write(message)

    result = action(progress)
    if "status" in box:
        box["status"].update(label=f"{label}: done", state="complete", expanded=False)
    return result
