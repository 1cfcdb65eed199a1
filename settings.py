"""Every environment variable the program reads, in one place (the README's "Settings" lists them).

:func:`current` reads them when it is called, so a variable set after start-up (a test's
``monkeypatch.setenv``) is seen. The process-wide ones (malloc tuning, the OpenMP wait policy)
are applied once at start-up by :func:`startup.configure_process`. This module imports only the
standard library: every layer may read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, its default (as text; "" = unset) and what it does."""

    name: str
    default: str
    doc: str


VARIABLES = (
    Variable("TOKEN_GEOMETRY_CACHE", "", "The result store file (DuckDB). Default: results.duckdb in the per-user "
             "data folder (platformdirs). The app's *Cache file* option and the CLI's --store override it."),
    Variable("TOKEN_GEOMETRY_MODEL_DIR", "", "Where models converted once from GGUF to safetensors are kept. Default: "
             "models/ in the per-user cache folder."),
    Variable("TOKEN_GEOMETRY_DEVICE", "cpu", "Where the app runs the model: cpu, cuda, or auto (CUDA when available)."),
    Variable("TOKEN_GEOMETRY_THREADS", "0", "torch's CPU threads in the app; 0 = torch's default."),
    Variable("TOKEN_GEOMETRY_WORKERS", "0", "Layers measured at once (threads); 0 = one per core, at most four; "
             "1 = one layer at a time."),
    Variable("TOKEN_GEOMETRY_QUICK_WAIT", "0.3", "Seconds the app waits for a run before it shows a progress box "
             "(a run finished by then is shown at once)."),
    Variable("TOKEN_GEOMETRY_MALLOC_TUNING", "1", "0 leaves glibc's malloc as it is; by default freed memory is kept "
             "for reuse (allocator.py). A MALLOC_* variable or glibc.malloc in GLIBC_TUNABLES (your own "
             "tuning) also switches it off."),
    Variable("OMP_WAIT_POLICY", "PASSIVE", "OpenMP's (libgomp's) own variable: how its threads wait. PASSIVE unless "
             "set: busy-waiting threads slowed a forward pass 3–20× on a small machine with another busy process."),
)
_DEFAULTS = {variable.name: variable.default for variable in VARIABLES}


class SettingsError(ValueError):
    """An environment variable holds a value the program cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    """The environment as the program uses it (see :data:`VARIABLES` for each variable).

    cache_path, model_dir: a path, or None for the per-user default.
    device, threads (None = torch's default), workers (None = one per core, at most four),
    quick_wait (seconds), malloc_tuning (asked for and not tuned by the user), omp_wait_policy.
    """

    cache_path: Path | None
    model_dir: Path | None
    device: str
    threads: int | None
    workers: int | None
    quick_wait: float
    malloc_tuning: bool
    omp_wait_policy: str


def _text(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name) or _DEFAULTS[name]


def _number(environ: Mapping[str, str], name: str, kind: type, *, minimum: float = 0):
    text = _text(environ, name)
    try:
        value = kind(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r} is not a number; unset it or give a {kind.__name__} ≥ {minimum}.") from None
    if value < minimum:
        raise SettingsError(f"{name}={text!r} is below {minimum}; unset it or give a {kind.__name__} ≥ {minimum}.")
    return value


def _user_tuned_malloc(environ: Mapping[str, str]) -> bool:
    return any(name.startswith("MALLOC_") for name in environ) or "glibc.malloc" in environ.get("GLIBC_TUNABLES", "")


def current(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``environ`` (default: this process's environment, read now)."""
    environ = os.environ if environ is None else environ
    cache, models = _text(environ, "TOKEN_GEOMETRY_CACHE"), _text(environ, "TOKEN_GEOMETRY_MODEL_DIR")
    return Settings(
        cache_path=Path(cache) if cache else None,
        model_dir=Path(models) if models else None,
        device=_text(environ, "TOKEN_GEOMETRY_DEVICE"),
        threads=_number(environ, "TOKEN_GEOMETRY_THREADS", int) or None,
        workers=_number(environ, "TOKEN_GEOMETRY_WORKERS", int) or None,
        quick_wait=_number(environ, "TOKEN_GEOMETRY_QUICK_WAIT", float),
        malloc_tuning=_text(environ, "TOKEN_GEOMETRY_MALLOC_TUNING") != "0" and not _user_tuned_malloc(environ),
        omp_wait_policy=_text(environ, "OMP_WAIT_POLICY"),
    )
