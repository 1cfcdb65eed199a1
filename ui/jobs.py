"""Long runs in background threads, so that no page switch, model change or second click loses them.

Streamlit stops a script run as soon as the user does anything else (a new rerun interrupts the
old one at its next ``st`` call). A model run started inside the script would be thrown away
silently. Here a run is a :class:`Job` in a process-wide registry, keyed by what it computes (the
result's cache key): the script starts it (or finds it already running: a second click on Run
attaches to the running job instead of restarting it), draws its progress in a fragment that polls
every half second, and reruns the page when it is done. A user who leaves finds it running, or its
result, when they come back; the sidebar lists this session's runs still going elsewhere.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import streamlit as st

import settings
from ui.estimates import remaining_text

POLL_SECONDS = 0.5
KEEP_FINISHED = 32  # finished jobs kept for sessions that come back to them
SESSION_JOBS = "_session_jobs"

@dataclass
class Job:
    """One background run: its progress (written by the worker thread) and its result or error."""

    job_id: str
    label: str
    context: str = ""
    estimate_seconds: float | None = None
    started: float = field(default_factory=time.monotonic)
    fraction: float = 0.0
    message: str = "Starting"
    finished_at: float | None = None
    result: object = None
    error: BaseException | None = None

    def report(self, fraction: float, message: str) -> None:
        self.fraction, self.message = min(max(float(fraction), 0.0), 1.0), message

    @property
    def running(self) -> bool:
        return self.finished_at is None

    def elapsed(self) -> float:
        return (self.finished_at or time.monotonic()) - self.started

    def status_line(self) -> str:
        """What is happening, how long it has taken, and (from measurements) how long is left."""
        line = f"{self.message} · {self.elapsed():.0f} s elapsed"
        left = remaining_text(elapsed=self.elapsed(), fraction=self.fraction, estimate=self.estimate_seconds)
        return f"{line} · {left}" if left else line


class _Registry:
    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def start(self, job_id: str, label: str, work: Callable[[Callable[[float, str], None]], object], *,
              estimate_seconds: float | None = None, context: str = "") -> Job:
        """The running (or finished, not yet collected) job ``job_id``, else a new one running ``work``."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return job
            job = Job(job_id=job_id, label=label, context=context, estimate_seconds=estimate_seconds)
            self._jobs[job_id] = job

        def target() -> None:
            try:
                job.result = work(job.report)
            except BaseException as error:  # handed to the page, which shows it as a message
                job.error = error
            finally:
                job.finished_at = time.monotonic()
                self._trim()

        threading.Thread(target=target, name=f"job-{job_id[:12]}", daemon=True).start()
        return job

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def _trim(self) -> None:
        with self._lock:
            finished = [key for key, job in self._jobs.items() if not job.running]
            for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
                del self._jobs[key]


@st.cache_resource(show_spinner=False)
def registry() -> _Registry:
    return _Registry()


def start_job(job_id: str, label: str, work: Callable[[Callable[[float, str], None]], object], *,
              estimate_seconds: float | None = None, context: str = "") -> Job:
    """Start ``work(progress)`` in the background (or attach to it) and note it for this session.
    ``context``: what the run belongs to (model and prompt), for :func:`background_notices`."""
    job = registry().start(job_id, label, work, estimate_seconds=estimate_seconds, context=context)
    st.session_state.setdefault(SESSION_JOBS, {})[job_id] = job.label
    return job


def take(job: Job, *, wait: float | None = None):
    """The finished job's result (its error is raised here, in the page's thread), or None while it
    runs. The job leaves the registry once taken; ``wait``: seconds to wait for a quick job
    (default ``TOKEN_GEOMETRY_QUICK_WAIT``, :mod:`settings`: a cached result arrives in
    milliseconds; tests that drive pages without a browser set it higher)."""
    wait = settings.current().quick_wait if wait is None else wait
    if job.running and wait:
        deadline = time.monotonic() + wait
        while job.running and time.monotonic() < deadline:
            time.sleep(0.02)
    if job.running:
        return None
    registry().forget(job.job_id)
    st.session_state.get(SESSION_JOBS, {}).pop(job.job_id, None)
    if job.error is not None:
        raise job.error
    return job.result


def show_progress(job: Job) -> None:
    """A status box for ``job`` that updates itself twice a second and reruns the page when done.

    The box is filled through its handle, not in a ``with`` block: leaving ``with st.status(...)``
    sets the box to "complete" (``StatusContainer.__exit__``), and the box would show a check mark
    between two polls while the job still runs."""

    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        if not job.running:
            st.rerun()
        box = st.status(f"{job.label}…", expanded=True, state="running")
        box.progress(job.fraction, text=job.status_line())
        box.caption("This run continues if you switch pages or change the sidebar; come back to see it.")

    poll()


def background_notices(*, context: str) -> list[str]:
    """One line for each run this session started for another model or prompt than the one on
    screen (the pages show the runs of the one on screen themselves)."""
    lines = []
    for job_id, label in list(st.session_state.get(SESSION_JOBS, {}).items()):
        job = registry().find(job_id)
        if job is None:
            st.session_state[SESSION_JOBS].pop(job_id, None)
        elif job.context == context:
            continue
        elif job.running:
            lines.append(f"Still running in the background: {label} ({100 * job.fraction:.0f} %, "
                         f"{job.elapsed():.0f} s). Go back to its model and prompt to watch it.")
        else:
            outcome = "stopped with an error" if job.error else "finished"
            lines.append(f"{label}: {outcome} in the background in {job.elapsed():.0f} s; go back to its model "
                         "and prompt to see it.")
    return lines
