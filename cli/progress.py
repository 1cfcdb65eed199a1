"""The progress bar of a corpus run on stderr, drawn by tqdm (one redrawn line on a terminal; in
a log, the same line every few seconds), and the Ctrl-C handling of a run (first press: stop after
the current prompt; second: at once)."""

from __future__ import annotations

import math
import signal
import sys
import time
from typing import TextIO

from tqdm import tqdm

LOG_EVERY_SECONDS = 10.0
# ``37% |█████████               | 15/40 · 3 skipped · 0.85 prompts/s · ETA 0:00:33``
BAR_FORMAT = "{percentage:3.0f}% |{bar:24}| {n_fmt}/{total_fmt}{details}"


def format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def details(report) -> str:
    """What follows the count for a CorpusProgress: `` · 3 skipped · 1 failed · 0.85 prompts/s ·
    ETA 0:00:33``. The rate and ETA are the run's own (units computed now, skipped ones left out)."""
    rate = report.prompts_per_second
    parts = [f"{report.skipped} skipped"] if report.skipped else []
    if report.failed:
        parts.append(f"{report.failed} failed")
    if math.isfinite(rate):
        parts.append(f"{rate:.2f} prompts/s")
    elif report.done < report.total:
        parts.append("starting")
    if report.done < report.total:
        parts.append(f"ETA {format_seconds(report.eta_seconds)}")
    return "".join(f" · {part}" for part in parts)


def progress_line(report) -> str:
    """The bar's line for a CorpusProgress, as tqdm draws it."""
    return tqdm.format_meter(report.done, report.total, 0, bar_format=BAR_FORMAT, details=details(report))


class _Bar(tqdm):
    """tqdm with the run's own details (rate, ETA, skipped) after the count."""

    details = ""

    @property
    def format_dict(self):
        return {**super().format_dict, "details": self.details}


class ProgressBar:
    """Call with each CorpusProgress; ``message`` writes a line above the bar; ``finish()`` ends it."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_log = -math.inf
        self._bar: _Bar | None = None

    def __call__(self, report) -> None:
        if self.interactive:
            if self._bar is None:
                self._bar = _Bar(total=report.total, file=self.stream, bar_format=BAR_FORMAT, mininterval=0,
                                 dynamic_ncols=True)
            self._bar.total, self._bar.n, self._bar.details = report.total, report.done, details(report)
            self._bar.refresh()
        elif time.monotonic() - self._last_log >= LOG_EVERY_SECONDS or report.done == report.total:
            self.stream.write(progress_line(report) + "\n")
            self._last_log = time.monotonic()
            self.stream.flush()

    def message(self, text: str) -> None:
        """A line above the bar (the bar is redrawn below it)."""
        tqdm.write(text, file=self.stream)
        self.stream.flush()

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self.stream.flush()


class StopOnInterrupt:
    """While active, the first Ctrl-C asks the run to stop after the current prompt; a second one
    raises KeyboardInterrupt at once (the prompt being written is rolled back, nothing else is lost)."""

    def __init__(self, notify=lambda text: None) -> None:
        self.requested = False
        self._notify = notify
        self._previous = None

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self._notify("Stopping after the current prompt or batch (press Ctrl-C again to stop at once)…")

    def __enter__(self) -> "StopOnInterrupt":
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self._previous)
