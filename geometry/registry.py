"""The registry of per-layer statistics: one line per statistic module.

Each module named in :data:`REGISTERED` declares ``STATISTIC`` (a
:class:`geometry.statistic.Statistic`). The suite measures them, the analysis stores them, the
Layers, Compare and Corpus pages offer them and the exports name them, in this order; the cache
version is derived from their versions. Adding a statistic: README, "Adding a statistic".
"""

from __future__ import annotations

import importlib

from geometry.errors import StatisticDeclarationError
from geometry.statistic import Statistic

REGISTERED = (
    "geometry.twonn",
    "geometry.gride",
    "geometry.overlap",
    "geometry.cosine",
    "geometry.participation_ratio",
)


def statistics() -> tuple[Statistic, ...]:
    """Every registered statistic, read from its module now (so that a test can patch one)."""
    found = tuple(importlib.import_module(module).STATISTIC for module in REGISTERED)
    names = [statistic.name for statistic in found]
    clashes = [a for a in names for b in names if a != b and b.startswith(a + "_")]
    if len(set(names)) != len(names) or clashes:
        raise StatisticDeclarationError(f"registered statistic names must be distinct and none the prefix of another: {names}.")
    return found


def statistic(name: str) -> Statistic:
    """The registered statistic called ``name``."""
    for candidate in statistics():
        if candidate.name == name:
            return candidate
    raise KeyError(f"no registered statistic is called {name!r}.")


def owner(column: str) -> Statistic | None:
    """The registered statistic that yields ``column`` (e.g. ``gride_4`` → GRIDE), or None."""
    return next((candidate for candidate in statistics() if candidate.owns(column)), None)


def column_label(column: str) -> str:
    """The one human-readable name of a column: ``gride_4`` → "GRIDE r=4"; unknown names unchanged."""
    found = owner(column)
    return column if found is None else found.label_of(column)


def versions() -> dict[str, int]:
    """Registered statistic name → its version."""
    return {candidate.name: int(candidate.version) for candidate in statistics()}
