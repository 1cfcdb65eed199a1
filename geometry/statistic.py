"""What a per-layer statistic is: the one declaration the suite, the stored analysis and the pages read.

A :class:`Statistic` says, once, in the statistic's own module: its store ``name`` and human
``label``, what it ``needs`` (one layer's points, one layer's prepared cloud, or the neighbours of
two consecutive layers), the function that ``compute`` s it, its ``version`` (part of every cache
key) and how it is shown (its ``columns``: one scalar per layer each, with or without a standard
error; which layers it covers). :mod:`geometry.registry` lists the registered modules; see the
README's "Adding a statistic".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Union

import numpy as np

from geometry.errors import StatisticDeclarationError

# "points": compute(points (N, D), *, settings) on one layer's token cloud, every kept token
#           (duplicates included); with ``at_embeddings`` also at layer 0, the input embeddings.
# "cloud":  compute(cloud, *, settings) on one layer's geometry.cloud.PreparedCloud (its distinct
#           points and their neighbours, searched once per layer).
# "pair":   compute(previous, current, *, settings) on the geometry.neighbors.Neighbors of all the
#           tokens at layers l and l + 1 (row l of the result compares l with l + 1).
Needs = Literal["points", "cloud", "pair"]
Value = Union[float, tuple[float, float]]  # a value, or (value, standard error)


@dataclass(frozen=True)
class Measurement:
    """What ``compute`` found at one layer (or pair of layers).

    values / errors:  column name → value / standard error (a column without an error has NaN).
    problems:         why a value is missing, in words ("" entries are not allowed).
    A ``compute`` may also return a plain float (its one column) or a (value, error) pair.
    """

    values: Mapping[str, float]
    errors: Mapping[str, float] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Statistic:
    """One per-layer statistic, declared once in its own geometry module.

    name:       store name (the key of the stored analysis, the prefix of its columns); a plain
                identifier.
    label:      the one human-readable name shown on pages, axes and exported tables.
    version:    bump when the numbers change: it is part of every analysis's cache key.
    needs:      "points", "cloud" or "pair" (see :data:`Needs`).
    compute:    the function; keyword ``settings`` is the suite's settings (geometry.suite.SuiteSettings).
                Returns a float, a (value, error) pair or a :class:`Measurement`; may raise
                geometry.errors.GeometryError (the layer then gets NaN and a note).
    columns:    settings → the column names it yields, each ``name`` or ``name_<suffix>``
                (default: the one column ``name``).
    column_label: column name → its label (default: ``label`` for every column).
    selectable: the columns the Compare page offers (default: all of them).
    with_error: whether its values come with a standard error (drawn as ±1 s.e. bars).
    at_embeddings: also measured at layer 0, the input embeddings ("points" statistics only).
    dimension:  an estimate of the cloud's dimension: offered wherever a page picks an ID estimator
                (the Corpus page's profile, its ID–loss correlation and scatter).
    axis:       the y-axis title (default: ``label``).
    description: one sentence shown under its chart (the formula and the paper).
    """

    name: str
    label: str
    version: int
    needs: Needs
    compute: Callable[..., Any]
    columns: Callable[[Any], tuple[str, ...]] | None = None
    column_label: Callable[[str], str] | None = None
    selectable: tuple[str, ...] | None = None
    with_error: bool = False
    at_embeddings: bool = False
    dimension: bool = False
    axis: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise StatisticDeclarationError(f"a statistic's name must be a plain identifier; got {self.name!r}.")
        if self.needs not in ("points", "cloud", "pair"):
            raise StatisticDeclarationError(f"needs must be 'points', 'cloud' or 'pair'; got {self.needs!r}.")
        if self.at_embeddings and self.needs != "points":
            raise StatisticDeclarationError("only a 'points' statistic can be measured at the embeddings (layer 0).")

    def column_names(self, settings) -> tuple[str, ...]:
        """The columns it yields with ``settings`` (e.g. ``gride_2``, ``gride_4``, …)."""
        return (self.name,) if self.columns is None else tuple(self.columns(settings))

    def owns(self, column: str) -> bool:
        """Whether ``column`` is one of its columns (``name`` or ``name_<suffix>``)."""
        return column == self.name or column.startswith(self.name + "_")

    def label_of(self, column: str) -> str:
        return self.label if self.column_label is None else self.column_label(column)

    def offered(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        """The ones of ``columns`` the Compare page offers."""
        return columns if self.selectable is None else tuple(c for c in columns if c in self.selectable)

    def layers(self, n_layers: int) -> np.ndarray:
        """The layers its values cover in a model of ``n_layers`` blocks: 1..L, 0..L (with the
        embeddings) or 1..L−1 (a pair statistic: row l compares layers l and l + 1)."""
        if self.needs == "pair":
            return np.arange(1, max(n_layers, 1))
        return np.arange(0 if self.at_embeddings else 1, n_layers + 1)

    def measure(self, *inputs, settings) -> Measurement:
        """``compute`` on ``inputs``, as a :class:`Measurement` over every column (NaN where
        nothing was found; a GeometryError becomes a problem "label: message")."""
        from geometry.errors import GeometryError

        columns = self.column_names(settings)
        try:
            found = self.compute(*inputs, settings=settings)
        except GeometryError as error:
            found = Measurement(values={}, problems=(f"{self.label}: {error}",))
        if not isinstance(found, Measurement):
            value, error = found if isinstance(found, tuple) else (found, math.nan)
            found = Measurement(values={self.name: float(value)}, errors={self.name: float(error)})
        return Measurement(values={c: float(found.values.get(c, math.nan)) for c in columns},
                           errors={c: float(found.errors.get(c, math.nan)) for c in columns},
                           problems=tuple(found.problems))
