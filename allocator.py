"""Keep freed memory for reuse instead of handing it back to the kernel after every array.

The per-layer suite makes many temporary arrays of 0.5–10 MB (a layer's float64 copy, its
distance block, difference vectors). glibc's malloc serves each from fresh ``mmap`` pages and
unmaps them on free, so every temporary pays a page fault per 4 KiB on first touch: measured on
the 2-core project machine, a third of the geometry of a 512-token prompt (0.53 → 0.37 s one layer
at a time, 0.33 → 0.26 s on two threads; peak RSS unchanged). Raising the thresholds lets those
arrays be recycled from the heap; arrays above 32 MB (hidden-state stacks, logits) are still
mapped and returned.

Process-wide, applied once at start-up (:func:`startup.configure_process`; a Ray task applies it
in its worker). Imports only the standard library and :mod:`settings`, so that start-up stays
instant (``python -m cli --help`` loads no package). Skipped where the C library is not glibc, where the user tuned malloc (a
``MALLOC_*`` variable, or ``glibc.malloc`` in ``GLIBC_TUNABLES``), or with
``TOKEN_GEOMETRY_MALLOC_TUNING=0`` (:mod:`settings`).
"""

from __future__ import annotations

import ctypes
import ctypes.util

import settings

# mallopt parameters (glibc malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
SETTINGS = {
    _M_MMAP_THRESHOLD: 32 * 2**20,  # arrays up to 32 MB come from the heap (glibc's largest allowed value)
    _M_TRIM_THRESHOLD: 512 * 2**20,  # keep up to 512 MB of free heap before giving it back
    _M_TOP_PAD: 64 * 2**20,  # grow the heap 64 MB at a time
}
_applied: bool | None = None


def keep_freed_memory(*, enabled: bool | None = None) -> bool:
    """Apply :data:`SETTINGS` with ``mallopt`` (once per process) unless ``enabled`` is False
    (default: :attr:`settings.Settings.malloc_tuning`); True if they are in force."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if not (settings.current().malloc_tuning if enabled is None else enabled):
        return False  # switched off, or the user tuned malloc themselves
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _applied = all(mallopt(parameter, value) == 1 for parameter, value in SETTINGS.items())
    return _applied
