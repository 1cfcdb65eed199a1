"""A test-only Streamlit page: one background job of known length drawn by ``ui.jobs.show_progress``,
exactly as the app's pages draw a model run, so a browser can watch the progress box for its whole run.

Run by tests/e2e/test_watch_progress_box.py as ``streamlit run tests/e2e/slow_job_page.py`` from the
repository root; ``SLOW_JOB_SECONDS`` (environment) is the job's length.
"""

from __future__ import annotations

import os
import time

import streamlit as st

from ui.jobs import show_progress, start_job, take

SECONDS = float(os.environ.get("SLOW_JOB_SECONDS", "6"))
STEPS = 20


def work(progress):
    for step in range(STEPS):
        progress(step / STEPS, f"Step {step + 1} of {STEPS}")
        time.sleep(SECONDS / STEPS)
    return f"{STEPS} steps"


job_id = st.session_state.setdefault("slow_job_id", f"slow-{time.monotonic_ns()}")
job = start_job(job_id, "Running the slow test job", work)
result = take(job, wait=0)
if result is None:
    show_progress(job)
else:
    st.success(f"Finished: {result}")
