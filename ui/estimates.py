"""Time estimates from measurements on this machine, never from a constant in the code.

Every finished stage (a model's one-off GGUF conversion, a model load, an analysis, an embedding
measurement) is timed and kept in the store as a small ``timing`` record under
``timing:<stage>:<subject>``: the last few durations. An estimate is the median of those; without a
measurement the page says so instead of guessing.
"""

from __future__ import annotations

import re
import statistics
import time
from contextlib import contextmanager

from cache import StoreError

KIND = "timing"
KEEP = 9  # last durations kept per (stage, subject)


def _key(stage: str, subject: str) -> str:
    return f"timing:{stage}:{subject}"


def measured(store, *, stage: str, subject: str) -> list[float]:
    """The durations (seconds) recorded for ``stage`` of ``subject``, oldest first."""
    if store is None:
        return []
    try:
        found = store.get(_key(stage, subject), arrays=())
    except StoreError:
        return []
    return [float(value) for value in (found.meta.get("seconds", []) if found else [])]


def record(store, *, stage: str, subject: str, seconds: float) -> None:
    """Add one duration to the record (a failing store is not worth a message: estimates are a nicety)."""
    if store is None:
        return
    values = (measured(store, stage=stage, subject=subject) + [round(float(seconds), 3)])[-KEEP:]
    try:
        store.put(_key(stage, subject), kind=KIND, spec={"stage": stage, "subject": subject},
                  meta={"seconds": values}, arrays={}, seconds=float(seconds))
    except StoreError:
        pass


def estimate(store, *, stage: str, subject: str) -> float | None:
    """Median of the recorded durations, or None when nothing was measured yet."""
    values = measured(store, stage=stage, subject=subject)
    return statistics.median(values) if values else None


def others(store, *, stage: str, subject: str) -> list[tuple[str, float]]:
    """(subject, median seconds) of the other subjects measured for ``stage`` (e.g. another model's
    conversion, the nearest thing to an estimate for a model never converted here)."""
    if store is None:
        return []
    try:
        keys = [key for key in store.keys(kind=KIND) if key.startswith(f"timing:{stage}:")]
    except StoreError:
        return []
    found = []
    for key in keys:
        other = key.split(":", 2)[2]
        if other != subject and (value := estimate(store, stage=stage, subject=other)) is not None:
            found.append((other, value))
    return found


def describe(seconds: float | None, *, what: str) -> str:
    """'about 42 s (measured: median of the last runs here)' or a plain 'not measured yet'."""
    if seconds is None:
        return f"{what}: not measured on this machine yet"
    return f"{what}: about {_duration(seconds)} (measured here)"


def remaining_text(*, elapsed: float, fraction: float, estimate: float | None) -> str:
    """'about 12 s left' from a measured estimate of the whole run; '' without one."""
    if estimate is None:
        return ""
    left = estimate - elapsed
    if left <= 0:
        return f"taking longer than the {_duration(estimate)} measured before"
    return f"about {_duration(left)} left (similar runs here took {_duration(estimate)})"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


class Stopwatch:
    """Times the stages a loader reports ("Converting …", "Loading …") and records them.

    A stage's later messages ("Converting …: tensor 120/236") continue it: the report then says
    how far it is and, from the measured durations, about how long is left."""

    def __init__(self, store, *, subject: str, report) -> None:
        self.store, self.subject, self.report = store, subject, report
        self.stage: str | None = None
        self.started = 0.0

    def __call__(self, message: str) -> None:
        stage = "convert" if message.startswith("Converting") else "load"
        if stage != self.stage:
            self._close()
            self.stage, self.started = stage, time.monotonic()
        own = estimate(self.store, stage=stage, subject=self.subject)
        if stage == "convert":
            step = message.partition(": ")[2]
            message = "Converting the model's GGUF file to safetensors (once on this machine)" + (
                f": {step}" if step else "") + " · " + describe(own, what="this conversion")
            if own is None:
                message += "".join(f"; {other} took {_duration(seconds)} here" for other, seconds in
                                   others(self.store, stage="convert", subject=self.subject))
            counted = re.search(r"tensor (\d+)/(\d+)", step)
            left = remaining_text(elapsed=time.monotonic() - self.started,
                                  fraction=int(counted[1]) / int(counted[2]) if counted else 0.0, estimate=own)
            message += f" · {left}" if left and counted else ""
        else:
            message = f"{message} · " + describe(own, what="loading")
        self.report(message)

    def _close(self) -> None:
        if self.stage is not None:
            record(self.store, stage=self.stage, subject=self.subject, seconds=time.monotonic() - self.started)
            self.stage = None

    def finish(self) -> None:
        self._close()


@contextmanager
def timed(store, *, stage: str, subject: str):
    """Record how long the block took (when it finishes without an error)."""
    started = time.monotonic()
    yield
    record(store, stage=stage, subject=subject, seconds=time.monotonic() - started)
