"""A progress bar on stderr (one redrawn line on a terminal, a line every few seconds in a log)
and the Ctrl-C handling of a run (first press: stop after the current prompt; second: at once)."""

from __future__ import annotations

import math
import signal
import sys
import time
from typing import TextIO

BAR_WIDTH = 24
LOG_EVERY_SECONDS = 10.0


def format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def progress_line(report) -> str:
    """``37% [█████░░░] 15/40 · 3 skipped · 0 failed · 0.85 prompts/s · ETA 0:00:33`` for a CorpusProgress."""
    filled = int(BAR_WIDTH * report.fraction)
    rate = report.prompts_per_second
    parts = [f"{report.fraction:4.0%} [{'█' * filled}{'░' * (BAR_WIDTH - filled)}] {report.done}/{report.total}"]
    if report.skipped:
        parts.append(f"{report.skipped} skipped")
    if report.failed:
        parts.append(f"{report.failed} failed")
    if math.isfinite(rate):
        parts.append(f"{rate:.2f} prompts/s")
    elif report.done < report.total:
        parts.append("starting")
    if report.done < report.total:
        parts.append(f"ETA {format_seconds(report.eta_seconds)}")
    return " · ".join(parts)


class ProgressBar:
    """Call with each CorpusProgress; ``finish()`` ends the line."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_log = -math.inf
        self._drawn = False

    def __call__(self, report) -> None:
        line = progress_line(report)
        if self.interactive:
            self.stream.write("\r\033[K" + line)
            self._drawn = True
        elif time.monotonic() - self._last_log >= LOG_EVERY_SECONDS or report.done == report.total:
            self.stream.write(line + "\n")
            self._last_log = time.monotonic()
        self.stream.flush()

    def message(self, text: str) -> None:
        """A line above the bar."""
        self.finish()
        self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False
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
