"""Background runs (ui.jobs) and measured estimates (ui.estimates)."""

from __future__ import annotations

import threading
import time

import pytest

from cache import open_store
from ui import estimates
from ui.jobs import Job, _Registry


def _wait(job: Job) -> None:
    deadline = time.monotonic() + 10
    while job.running and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_second_start_attaches_to_the_running_job_instead_of_restarting_it():
    registry, release, calls = _Registry(), threading.Event(), []

    def work(progress):
        calls.append(1)
        progress(0.5, "half way")
        release.wait(10)
        return 42

    first = registry.start("k", "label", work)
    second = registry.start("k", "label", work)
    assert second is first
    time.sleep(0.05)
    assert first.running and first.message == "half way" and first.fraction == 0.5
    release.set()
    _wait(first)
    assert first.result == 42 and calls == [1]


def test_a_failing_job_keeps_its_error_for_the_page():
    registry = _Registry()

    def work(progress):
        raise ValueError("bad prompt")

    job = registry.start("e", "label", work)
    _wait(job)
    assert isinstance(job.error, ValueError) and not job.running


def test_estimates_are_medians_of_recorded_durations_and_say_when_there_is_none(tmp_path):
    store = open_store(tmp_path / "s.duckdb")
    assert estimates.estimate(store, stage="analysis", subject="m") is None
    assert "not measured" in estimates.describe(None, what="loading")
    for seconds in (3.0, 5.0, 100.0):
        estimates.record(store, stage="analysis", subject="m", seconds=seconds)
    assert estimates.estimate(store, stage="analysis", subject="m") == pytest.approx(5.0)
    assert estimates.remaining_text(elapsed=2.0, fraction=0.3, estimate=5.0).startswith("about 3 s left")
    assert "longer than" in estimates.remaining_text(elapsed=9.0, fraction=0.9, estimate=5.0)
    assert estimates.remaining_text(elapsed=9.0, fraction=0.9, estimate=None) == ""


def test_a_first_conversion_names_what_other_conversions_took_here(tmp_path):
    store = open_store(tmp_path / "s.duckdb")
    estimates.record(store, stage="convert", subject="small-model", seconds=31.0)
    messages = []
    watch = estimates.Stopwatch(store, subject="big-model", report=messages.append)
    watch("Converting big.gguf from GGUF to safetensors")
    watch.finish()
    assert "not measured on this machine yet" in messages[0] and "small-model took 31 s here" in messages[0]
    assert estimates.estimate(store, stage="convert", subject="big-model") is not None  # measured now


def test_a_conversion_reports_its_tensors_as_one_stage_with_the_time_left(tmp_path, monkeypatch):
    store = open_store(tmp_path / "s.duckdb")
    estimates.record(store, stage="convert", subject="m", seconds=40.0)
    now = [100.0]
    monkeypatch.setattr(estimates.time, "monotonic", lambda: now[0])
    messages = []
    watch = estimates.Stopwatch(store, subject="m", report=messages.append)
    watch("Converting m.gguf from GGUF to safetensors (once on this machine)")
    now[0] = 110.0
    watch("Converting m.gguf from GGUF to safetensors (once on this machine): tensor 59/236")
    now[0] = 140.0
    watch.finish()
    assert "tensor 59/236" in messages[1] and "about 30 s left" in messages[1] and "about 40 s" in messages[1]
    assert estimates.measured(store, stage="convert", subject="m") == [40.0, 40.0]  # one stage, 100 → 140 s


def test_the_gguf_tensor_loop_is_counted_for_the_calling_thread_only():
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    from lm.bundled import _tensor_progress

    seen = []
    with _tensor_progress(lambda done, total: seen.append((done, total))):
        assert list(gguf_utils.tqdm(list(range(40)), desc="Converting")) == list(range(40))
    assert seen[0] == (0, 40) and seen[-1] == (40, 40) and len(seen) == 21
    assert list(gguf_utils.tqdm(range(3), disable=True)) == [0, 1, 2]  # outside a conversion: plain tqdm
    assert seen[-1] == (40, 40)


def _progress_page():
    from ui.jobs import Job, show_progress

    job = Job(job_id="running", label="Analysing the prompt")
    job.report(0.25, "Layer 3 of 12")
    show_progress(job)


def test_the_progress_box_of_a_running_job_says_running_not_complete():
    """Each poll draws the box anew; what it leaves on screen for the next half second must be the
    running state (a ``with st.status(...)`` block turns itself "complete" when the block ends)."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_progress_page).run()
    assert not app.exception
    (box,) = app.status
    assert box.state == "running" and box.label == "Analysing the prompt…"
    (bar,) = app.get("progress")
    assert bar.proto.value == 25 and bar.proto.text.startswith("Layer 3 of 12 · ")
