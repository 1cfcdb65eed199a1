"""Intrinsic dimension versus next-token loss, and the logits ID
(Viswanathan et al. 2025, arXiv 2501.10573).

* ID–loss correlation: across P prompts, for each layer l, the Pearson correlation of log ID_l
  with the prompt's mean loss and the Spearman rank correlation of ID_l with it (log is
  monotone, so Spearman is the same with or without it), each with its two-sided p-value from
  ``scipy.stats.pearsonr`` / ``spearmanr``. A layer whose IDs (or the losses) are all equal has
  no correlation: its entries are NaN.
* Logits ID: GRIDE (:mod:`geometry.gride`) on the N logit vectors of a prompt. With a vocabulary
  V ≫ N the N × V matrix is reduced without changing any distance: its N × N Gram matrix is
  accumulated over vocabulary chunks in float64 and the points are re-expressed in the
  eigenbasis (classical multidimensional scaling, exact for Euclidean distances), so a float32
  (1024 × 262144) input never needs a float64 copy.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

from geometry.errors import GeometryError, NonFiniteError, TooFewPointsError
from geometry.gride import GrideResult, _deduplicated_neighbors, gride_scan_from_neighbors
from geometry.validation import check_positive_int

ID_LOSS_VERSION = 1
_CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class IDLossCorrelation:
    """Per-layer correlation of ID with mean loss across prompts.

    pearson_r, pearson_p:    (L,) Pearson r of log ID with mean loss, and its p-value.
    spearman_rho, spearman_p: (L,) Spearman ρ of ID with mean loss, and its p-value.
    n_prompts:               P.
    """

    pearson_r: np.ndarray
    pearson_p: np.ndarray
    spearman_rho: np.ndarray
    spearman_p: np.ndarray
    n_prompts: int


def id_loss_correlation(ids, losses) -> IDLossCorrelation:
    """Correlate per-layer IDs with the prompts' mean losses (see the module docstring).

    Parameters
    ----------
    ids : array_like, shape (P, L)
        The ID of each of P prompts at each of L layers (finite, > 0).
    losses : array_like, shape (P,)
        Each prompt's mean next-token loss.

    Returns
    -------
    IDLossCorrelation
        ``pearson_r``, ``pearson_p``, ``spearman_rho``, ``spearman_p``, each (L,), and ``n_prompts``.

    Raises
    ------
    GeometryError
        Shapes disagree, or an ID is not finite and > 0, or a loss is not finite.
    TooFewPointsError
        Fewer than 3 prompts.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> ids = np.exp(rng.normal(size=(20, 3)))
    >>> losses = np.log(ids[:, 1]) + 0.1 * rng.normal(size=20)  # follows layer 1's ID
    >>> id_loss_correlation(ids, losses).pearson_r.round(2).tolist()
    [0.16, 1.0, 0.4]
    """
    ids = np.asarray(ids, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    if ids.ndim == 1:
        ids = ids[:, None]
    if ids.ndim != 2 or losses.ndim != 1 or ids.shape[0] != losses.shape[0]:
        raise GeometryError(
            f"ids must be (n_prompts, n_layers) and losses (n_prompts,); got {ids.shape} and {losses.shape}."
        )
    if ids.shape[0] < 3:
        raise TooFewPointsError(f"a correlation across prompts needs at least 3 prompts; got {ids.shape[0]}.")
    if not np.all(np.isfinite(ids)) or np.any(ids <= 0):
        raise GeometryError("every ID must be finite and > 0 (its logarithm is correlated).")
    if not np.all(np.isfinite(losses)):
        raise NonFiniteError("losses contain NaN or infinite values; drop those prompts first.")
    from scipy import stats  # here: importing scipy.stats takes ~0.3 s, and the pipeline needs only the rest

    n_layers = ids.shape[1]
    out = np.full((4, n_layers), np.nan)
    log_ids = np.log(ids)
    constant_loss = np.ptp(losses) == 0
    for layer in range(n_layers):
        if constant_loss or np.ptp(ids[:, layer]) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.ConstantInputWarning)
            pearson = stats.pearsonr(log_ids[:, layer], losses)
            spearman = stats.spearmanr(ids[:, layer], losses)
        out[:, layer] = (pearson.statistic, pearson.pvalue, spearman.statistic, spearman.pvalue)
    return IDLossCorrelation(
        pearson_r=out[0], pearson_p=out[1], spearman_rho=out[2], spearman_p=out[3], n_prompts=int(ids.shape[0])
    )


def _check_logits(logits) -> np.ndarray:
    z = np.asarray(logits)
    if z.ndim != 2 or z.shape[1] < 1:
        raise GeometryError(f"logits must be a 2-D array of shape (n_positions, vocab_size); got shape {z.shape}.")
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    bad = ~np.isfinite(z)
    if np.any(bad):
        raise NonFiniteError(
            "logits contain NaN or infinite values "
            f"in {int(bad.any(axis=1).sum())} positions; run the model in a higher-precision dtype."
        )
    return z


def distance_preserving_reduction(points, *, chunk_bytes: int = _CHUNK_BYTES) -> np.ndarray:
    """The N rows re-expressed in at most N coordinates with the same pairwise distances.

    The N × N Gram matrix of the centred rows is accumulated over column chunks in float64 and the
    rows are re-expressed in its eigenbasis (classical multidimensional scaling, exact for
    Euclidean distances); memory O(N² + N·chunk) beyond the input.

    Parameters
    ----------
    points : array_like, shape (N, V)
        The rows (e.g. logit vectors, V ≫ N).
    chunk_bytes : int
        Memory for one float64 chunk of columns.

    Returns
    -------
    numpy.ndarray, shape (N, N)
        The re-expressed rows, float64.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial.distance import pdist
    >>> wide = np.random.default_rng(6).normal(size=(5, 300))
    >>> narrow = distance_preserving_reduction(wide)
    >>> narrow.shape, bool(np.allclose(pdist(narrow), pdist(wide)))
    ((5, 5), True)
    """
    z = np.asarray(points)
    n, v = z.shape
    mean = np.zeros(v)
    cols = max(1, chunk_bytes // (8 * n))
    for start in range(0, v, cols):
        mean[start : start + cols] = z[:, start : start + cols].astype(np.float64).mean(axis=0)
    gram = np.zeros((n, n))
    for start in range(0, v, cols):
        block = z[:, start : start + cols].astype(np.float64) - mean[start : start + cols]
        gram += block @ block.T
    eigenvalues, eigenvectors = np.linalg.eigh((gram + gram.T) / 2)
    return eigenvectors * np.sqrt(np.maximum(eigenvalues, 0.0))


def _distinct_rows(z: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row, row by row (no copy of the matrix)."""
    seen: dict[bytes, int] = {}
    for i in range(z.shape[0]):
        seen.setdefault((z[i] + 0.0).tobytes(), i)  # + 0.0: −0.0 and 0.0 compare equal
    return np.array(sorted(seen.values()), dtype=np.int64)


def logits_id(logits, *, range_scaling: int = 2) -> GrideResult:
    """GRIDE ID of the logit vectors of one prompt; exact duplicates removed first.

    When V > N the cloud is first reduced to N coordinates with identical pairwise distances
    (:func:`distance_preserving_reduction`), so memory stays O(N² + N·chunk) beyond the input.

    Parameters
    ----------
    logits : array_like, shape (N, V)
        One logit vector per position.
    range_scaling : int
        GRIDE's n2 (a power of two ≥ 2).

    Returns
    -------
    GrideResult
        As :func:`geometry.gride.gride`.

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.random.default_rng(0).normal(size=(300, 50))
    >>> round(logits_id(logits).id, 1)
    26.0
    """
    check_positive_int(range_scaling, name="range_scaling", minimum=2)
    return logits_id_scan(logits, range_scalings=[range_scaling])[0]


def logits_id_scan(logits, *, range_scalings) -> list[GrideResult]:
    """:func:`logits_id` at several range scalings from one neighbour search.

    Viswanathan et al. report range scalings 2 and 4. Scalings above what the distinct positions
    support raise TooFewPointsError; pass only those that fit.

    Parameters
    ----------
    logits : array_like, shape (N, V)
        One logit vector per position.
    range_scalings : iterable of int
        Powers of two ≥ 2.

    Returns
    -------
    list of GrideResult
        As :func:`logits_id` gives them, one for each range scaling in ``range_scalings``.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.random.default_rng(7).normal(size=(200, 40))
    >>> [round(result.id, 1) for result in logits_id_scan(scores, range_scalings=[2, 4])]
    [23.4, 22.1]
    """
    scalings = [check_positive_int(r, name="range_scaling", minimum=2) for r in range_scalings]
    z = _check_logits(logits)
    keep = _distinct_rows(z)
    n_duplicates = int(z.shape[0] - keep.size)
    largest = max(scalings, default=2)
    if keep.size < largest + 1:
        raise TooFewPointsError(
            f"the logits ID at range scaling {largest} needs {largest + 1} distinct positions; "
            f"got {keep.size} after removing {n_duplicates} duplicates."
        )
    distinct = z if keep.size == z.shape[0] else z[keep]
    points = distance_preserving_reduction(distinct) if z.shape[1] > keep.size else distinct
    neighbors, more_duplicates = _deduplicated_neighbors(points, k=largest, what="the logits ID")
    results = gride_scan_from_neighbors(neighbors, range_scalings=scalings)
    return [dataclasses.replace(result, n_duplicates=n_duplicates + more_duplicates) for result in results]
