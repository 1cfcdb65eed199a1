"""The result of analysing one prompt with one model, and its round trip through the store."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from pipeline.spec import AnalysisSpec

# The one human-readable name of each statistic (pages, titles, axis labels, exported tables); the
# store names (``gride_2``, ``overlap_k1``…) stay internal.
ESTIMATOR_LABELS = {"twonn_linear": "TwoNN (linear fit)", "twonn_mle": "TwoNN (MLE)"}
_STATISTIC_LABELS = {"cosine": "mean cosine similarity", "cosine_offdiagonal": "mean cosine similarity (off-diagonal)"}


def estimator_label(name: str) -> str:
    """The one human-readable name of an estimator's store name: ``gride_4`` → "GRIDE r=4"."""
    if name.startswith("gride_"):
        return f"GRIDE r={name.split('_', 1)[1]}"
    return ESTIMATOR_LABELS.get(name, name)


def statistic_label(name: str) -> str:
    """:func:`estimator_label`, plus the other per-layer statistics: ``overlap_k3`` → "neighbourhood overlap χ_3"."""
    if name.startswith("overlap_k"):
        return f"neighbourhood overlap χ_{name.removeprefix('overlap_k')}"
    return _STATISTIC_LABELS.get(name) or estimator_label(name)

KIND = "prompt_analysis"


@dataclass(frozen=True)
class Analysis:
    """Per-layer geometry of one prompt.

    Shapes: N tokens analysed, M ≤ N of them in the geometry (tokens with non-finite hidden states
    are left out; ``kept`` lists the M positions), L layers (``layers`` = 1..L), R range scalings,
    K overlap sizes (1..K), J neighbours per token.

        token_ids (N,), losses (N−1,) nats, entropies (N,) nats
        layers (L,), twonn_* (L,), range_scalings (R,), gride / gride_error (L, R)
        n_points / n_duplicates (L,)           distinct points used for ID / duplicates removed
        cosine / cosine_offdiagonal (L+1,)     mean cosine similarity at layers 0..L
        overlap (L−1, K)                       χ_k between layers l and l+1, l = 1..L−1
        local_id / angles (L, M) float32       per-token local ID (Levina–Bickel MLE) and NN angle
        neighbor_indices (L, M, J) int32       each token's nearest tokens (indices into ``kept``),
        neighbor_distances, lle_weights (L, M, J) float32
    ``n_token_neighbors`` is J: 0 when the analysis was made without the per-token neighbour
    lists (corpus runs, by default). ``logits_id`` is NaN unless it was asked for.
    ``notes`` lists, in words, everything that was dropped or truncated and why.
    ``special_positions`` / ``sink_positions``: positions of the special tokens (BOS, …) and of the
    attention sinks (:mod:`geometry.sinks`); unless ``keep_outlier_tokens`` they are not in ``kept``.
    ``logits_ids`` / ``logits_id_errors`` (R,): the logits ID at each of ``range_scalings`` (NaN
    where not computed); ``logits_id`` is the one at range scaling 2.
    """

    model_name: str
    prompt: str
    tokens: tuple[str, ...]
    token_ids: np.ndarray
    n_prompt_tokens: int
    truncated: bool
    shuffle_index: int
    seed: int
    losses: np.ndarray
    mean_loss: float
    entropies: np.ndarray
    contextual_entropy: float
    logits_id: float
    logits_id_error: float
    logits_ids: np.ndarray
    logits_id_errors: np.ndarray
    kept: np.ndarray
    special_positions: np.ndarray
    sink_positions: np.ndarray
    keep_outlier_tokens: bool
    layers: np.ndarray
    twonn_linear: np.ndarray
    twonn_linear_error: np.ndarray
    twonn_mle: np.ndarray
    twonn_mle_error: np.ndarray
    range_scalings: np.ndarray
    gride: np.ndarray
    gride_error: np.ndarray
    n_points: np.ndarray
    n_duplicates: np.ndarray
    cosine: np.ndarray
    cosine_offdiagonal: np.ndarray
    overlap: np.ndarray
    local_id: np.ndarray
    angles: np.ndarray
    neighbor_indices: np.ndarray
    neighbor_distances: np.ndarray
    lle_weights: np.ndarray
    n_token_neighbors: int
    local_k: int
    notes: tuple[str, ...]
    compute_seconds: float

    @property
    def n_tokens(self) -> int:
        return int(self.token_ids.size)

    @functools.cached_property
    def kept_tokens(self) -> tuple[str, ...]:
        """The tokens that are in the geometry, aligned with the per-token arrays (built once per
        analysis: views index it per token, e.g. in a select box's labels)."""
        return tuple(self.tokens[i] for i in self.kept)

    @property
    def n_text_tokens(self) -> int:
        """Tokens that are text (not special tokens): the ones a shuffle permutes."""
        return self.n_tokens - int(self.special_positions.size)

    @property
    def peak_layer(self) -> int:
        """Layer of the highest GRIDE r=2 estimate (the estimator of the shuffle sweep and the
        Corpus page by default); 0 if there is none. Other estimators: :meth:`peak_layer_of`."""
        return self.peak_layer_of(self.gride_at(2)[0])

    def peak_layer_of(self, values: np.ndarray) -> int:
        """Layer of the highest finite value of a per-layer series (e.g. one estimator's ID); 0 if none."""
        values = np.asarray(values, dtype=np.float64)
        return int(self.layers[np.nanargmax(values)]) if np.isfinite(values).any() else 0

    def gride_at(self, range_scaling: int) -> tuple[np.ndarray, np.ndarray]:
        index = np.flatnonzero(self.range_scalings == range_scaling)
        if index.size == 0:
            nan = np.full(self.layers.size, np.nan)
            return nan, nan
        return self.gride[:, index[0]], self.gride_error[:, index[0]]


@dataclass(frozen=True)
class Outcome:
    """An analysis and how it was obtained (for the "from cache in 0.05 s" line)."""

    key: str
    spec: AnalysisSpec
    analysis: Analysis
    from_cache: bool
    seconds: float
    cache_notice: str = ""


def to_record(analysis: Analysis) -> tuple[dict, dict[str, np.ndarray]]:
    """Split into JSON-able metadata and named arrays."""
    meta, arrays = {}, {}
    for item in dataclasses.fields(analysis):
        value = getattr(analysis, item.name)
        if isinstance(value, np.ndarray):
            arrays[item.name] = value
        else:
            meta[item.name] = list(value) if isinstance(value, tuple) else value
    return meta, arrays


def from_record(meta: dict, arrays: dict[str, np.ndarray]) -> Analysis | None:
    """The stored analysis, or None if it was stored by an older layout (then it is recomputed)."""
    values = {**meta, **arrays}
    if "n_token_neighbours" in values:  # the field's earlier spelling
        values["n_token_neighbors"] = values.pop("n_token_neighbours")
    if "n_token_neighbors" not in values and "neighbor_indices" in values:  # stored before the field existed
        values["n_token_neighbors"] = int(values["neighbor_indices"].shape[-1])
    names = {item.name for item in dataclasses.fields(Analysis)}
    if set(values) != names:
        return None
    values["tokens"] = tuple(values["tokens"])
    values["notes"] = tuple(values["notes"])
    return Analysis(**values)


def layer_series(analysis: Analysis) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-layer scalars in long form for the store's ``layer_values`` table (SQL, export)."""
    all_layers = np.arange(0, analysis.layers.size + 1)
    series = {
        "twonn_linear": (analysis.layers, analysis.twonn_linear),
        "twonn_mle": (analysis.layers, analysis.twonn_mle),
        "n_duplicates": (analysis.layers, analysis.n_duplicates),
        "cosine": (all_layers, analysis.cosine),
        "cosine_offdiagonal": (all_layers, analysis.cosine_offdiagonal),
        "mean_angle": (analysis.layers, np.nanmean(analysis.angles, axis=1)),
    }
    for index, scaling in enumerate(analysis.range_scalings):
        series[f"gride_{int(scaling)}"] = (analysis.layers, analysis.gride[:, index])
    for k in range(analysis.overlap.shape[1]):
        series[f"overlap_k{k + 1}"] = (analysis.layers[:-1], analysis.overlap[:, k])
    return series
