"""Named errors raised by the geometry package.

Every error says what was wrong, the value received, and how to fix it (scikit-learn habit).
"""

from __future__ import annotations


class GeometryError(ValueError):
    """Base class for every input error raised by :mod:`geometry`."""


class TooFewPointsError(GeometryError):
    """The cloud has fewer (distinct) points than the statistic needs."""


class NonFiniteError(GeometryError):
    """The cloud contains NaN or infinite values."""


class DegenerateCloudError(GeometryError):
    """The cloud is degenerate (e.g. all points identical, or one feature only)."""


class StatisticDeclarationError(GeometryError):
    """A per-layer statistic is declared wrongly (:mod:`geometry.statistic`, :mod:`geometry.registry`)."""
