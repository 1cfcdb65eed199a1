"""What a program of this project does first: apply the process-wide settings, once.

Called at the top of ``app.py`` and of the CLI (``python -m cli``), and by the test and
benchmark harnesses, before anything imports torch: libgomp reads ``OMP_WAIT_POLICY`` once, when
torch loads it. Importing the packages changes nothing process-wide; a program that uses them as
a library calls :func:`configure_process` itself if it wants the same.
"""

from __future__ import annotations

import os

import allocator
import settings


def configure_process() -> None:
    """Passive OpenMP waiting unless ``OMP_WAIT_POLICY`` is set, and glibc's malloc keeping freed
    memory for reuse unless switched off (see :mod:`settings`); idempotent."""
    found = settings.current()
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ["OMP_WAIT_POLICY"] = found.omp_wait_policy
    allocator.keep_freed_memory(enabled=found.malloc_tuning)
