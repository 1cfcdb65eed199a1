"""The CLI progress bar (tqdm): the run's own counts, rate and ETA; a line a report in a log."""

import io
from types import SimpleNamespace

from cli.progress import ProgressBar


def _report(done, *, total=40, skipped=3, failed=0, rate=0.85, eta=33.0):
    return SimpleNamespace(done=done, total=total, skipped=skipped, failed=failed, prompts_per_second=rate,
                           eta_seconds=eta)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_log_gets_whole_lines_with_the_runs_counts_rate_and_eta():
    log = io.StringIO()
    bar = ProgressBar(log)
    bar(_report(15))
    bar(_report(16))  # within LOG_EVERY_SECONDS of the last line: not written
    bar.message("a note")
    bar(_report(40, failed=1, rate=0.9, eta=0.0))  # the last report is always written
    bar.finish()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 3
    assert lines[0].startswith(" 38% |") and lines[0].endswith("| 15/40 · 3 skipped · 0.85 prompts/s · ETA 0:00:33")
    assert lines[1] == "a note"
    assert lines[2].endswith("| 40/40 · 3 skipped · 1 failed · 0.90 prompts/s")


def test_a_terminal_gets_one_redrawn_line_and_messages_above_it():
    terminal = Terminal()
    bar = ProgressBar(terminal)
    bar(_report(15))
    bar.message("a note")
    bar(_report(20, skipped=0, rate=float("nan"), eta=float("nan")))
    bar.finish()
    text = terminal.getvalue()
    assert "\ra note\n" in text and "15/40 · 3 skipped · 0.85 prompts/s · ETA 0:00:33\r" in text
    assert text.endswith("20/40 · starting · ETA ?\n")  # the bar is left on screen, on its own line
