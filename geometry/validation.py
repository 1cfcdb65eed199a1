"""Input validation in one place: every public function calls :func:`check_points`."""

from __future__ import annotations

import numpy as np

from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError


def check_points(points, *, min_points: int = 1, name: str = "points", what: str = "this statistic") -> np.ndarray:
    """Return ``points`` as a C-contiguous float64 array of shape (n, d), or raise.

    Raises
    ------
    GeometryError        if the array is not two-dimensional or has no features.
    NonFiniteError       if it holds NaN or inf.
    TooFewPointsError    if it has fewer than ``min_points`` rows.
    """
    array = np.asarray(points)
    if array.ndim != 2:
        raise GeometryError(
            f"{name} must be a 2-D array of shape (n_points, n_features); got shape {array.shape}."
        )
    if array.shape[1] < 1:
        raise DegenerateCloudError(f"{name} has no features (shape {array.shape}); need at least one column.")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise GeometryError(f"{name} must hold real numbers; got dtype {array.dtype}.")
    array = np.ascontiguousarray(array, dtype=np.float64)
    # A finite sum proves every entry finite (NaN and ±inf propagate), without an (n, d) mask;
    # only a non-finite sum (or an overflowing one) needs the entry-by-entry check.
    if not np.isfinite(array.sum()) and not np.isfinite(array).all():
        bad_rows = int((~np.isfinite(array)).any(axis=1).sum())
        raise NonFiniteError(
            f"{name} contains NaN or infinite values in {bad_rows} of {array.shape[0]} rows; "
            "drop those rows (or use a higher-precision dtype for the model) before estimating."
        )
    if array.shape[0] < min_points:
        raise TooFewPointsError(
            f"{what} needs at least {min_points} points; got {array.shape[0]}. "
            "Use a longer prompt or a smaller neighbourhood size."
        )
    return array


def check_positive_int(value, *, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise GeometryError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise GeometryError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)
