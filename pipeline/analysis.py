"""The result of analysing one prompt with one model, and its round trip through the store."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from geometry.registry import column_label, statistics
from pipeline.spec import AnalysisSpec



def statistic_label(name: str) -> str:
    """The one human-readable name of a per-layer column (pages, titles, axis labels, exported
    tables), from the registry: ``gride_4`` → "GRIDE r=4", ``overlap_k3`` → "neighbourhood overlap
    χ_3"; the store names stay internal. Names that no statistic yields are returned unchanged."""
    return column_label(name)


estimator_label = statistic_label  # the ID estimators' columns are columns like any other


@dataclass(frozen=True)
class LayerValues:
    """One registered statistic of an analysis over the n layers it covers, C columns.

    columns (C,):   its column names (``gride_2``, ``gride_4``, …).
    layers (n,):    the layers of the rows (1..L, 0..L with the embeddings, or 1..L−1 for a
                    statistic of consecutive layers: row l compares l and l + 1).
    values, errors (n, C): the values and their standard errors (NaN where there is none).
    """

    columns: tuple[str, ...]
    layers: np.ndarray
    values: np.ndarray
    errors: np.ndarray

KIND = "prompt_analysis"


@dataclass(frozen=True)
class Analysis:
    """Per-layer geometry of one prompt.

    Shapes: N tokens analysed, M ≤ N of them in the geometry (tokens with non-finite hidden states
    are left out; ``kept`` lists the M positions), L layers (``layers`` = 1..L), R range scalings,
    K overlap sizes (1..K), J neighbours per token.

        token_ids (N,), losses (N−1,) nats, entropies (N,) nats
        layers (L,), range_scalings (R,)
        statistics                             every registered per-layer statistic (geometry.registry)
                                               by name → its :class:`LayerValues`; read one column
                                               with :meth:`series`. Shortcuts: twonn_* (L,),
                                               gride / gride_error (L, R), cosine /
                                               cosine_offdiagonal (L+1,) at layers 0..L, overlap
                                               (L−1, K): χ_k between layers l and l+1
        n_points / n_duplicates (L,)           distinct points used for ID / duplicates removed
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
    range_scalings: np.ndarray
    statistics: Mapping[str, LayerValues]
    n_points: np.ndarray
    n_duplicates: np.ndarray
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

    def series(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(layers, values, errors) of one column of a registered statistic (``gride_2``,
        ``cosine``, ``participation_ratio``, …); KeyError if the analysis has no such column."""
        for stored in self.statistics.values():
            if column in stored.columns:
                index = stored.columns.index(column)
                return stored.layers, stored.values[:, index], stored.errors[:, index]
        raise KeyError(f"the analysis has no per-layer column {column!r}.")

    @property
    def columns(self) -> tuple[str, ...]:
        """Every per-layer column, in registry order."""
        return tuple(column for stored in self.statistics.values() for column in stored.columns)

    twonn_linear = property(lambda self: self.series("twonn_linear")[1])
    twonn_linear_error = property(lambda self: self.series("twonn_linear")[2])
    twonn_mle = property(lambda self: self.series("twonn_mle")[1])
    twonn_mle_error = property(lambda self: self.series("twonn_mle")[2])
    gride = property(lambda self: self.statistics["gride"].values)
    gride_error = property(lambda self: self.statistics["gride"].errors)
    cosine = property(lambda self: self.series("cosine")[1])
    cosine_offdiagonal = property(lambda self: self.series("cosine_offdiagonal")[1])
    overlap = property(lambda self: self.statistics["overlap"].values)

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
    """Split into JSON-able metadata and named arrays; statistic ``name``'s values are stored as
    the arrays ``name.layers``, ``name.values`` and ``name.errors`` and its columns in the
    metadata's ``statistic_columns``."""
    meta, arrays = {}, {}
    for item in dataclasses.fields(analysis):
        value = getattr(analysis, item.name)
        if item.name == "statistics":
            meta["statistic_columns"] = {name: list(stored.columns) for name, stored in value.items()}
            for name, stored in value.items():
                arrays |= {f"{name}.layers": stored.layers, f"{name}.values": stored.values,
                           f"{name}.errors": stored.errors}
        elif isinstance(value, np.ndarray):
            arrays[item.name] = value
        else:
            meta[item.name] = list(value) if isinstance(value, tuple) else value
    return meta, arrays


NEIGHBOR_ARRAYS = ("neighbor_indices", "neighbor_distances", "lle_weights")


def stored_array_names(*, with_neighbors: bool = True) -> list[str]:
    """The names of the arrays :func:`to_record` writes, without the per-token neighbour arrays
    unless ``with_neighbors`` (for reading only what corpus statistics need)."""
    plain = [item.name for item in dataclasses.fields(Analysis) if "ndarray" in str(item.type)
             and (with_neighbors or item.name not in NEIGHBOR_ARRAYS)]
    return plain + [f"{statistic.name}.{part}" for statistic in statistics() for part in ("layers", "values", "errors")]


def from_record(meta: dict, arrays: dict[str, np.ndarray]) -> Analysis | None:
    """The stored analysis, or None if it was stored by an older layout or with other registered
    statistics than now (then it is recomputed)."""
    values, columns = {**meta, **arrays}, dict(meta.get("statistic_columns") or {})
    values.pop("statistic_columns", None)
    if "n_token_neighbours" in values:  # the field's earlier spelling
        values["n_token_neighbors"] = values.pop("n_token_neighbours")
    if "n_token_neighbors" not in values and "neighbor_indices" in values:  # stored before the field existed
        values["n_token_neighbors"] = int(values["neighbor_indices"].shape[-1])
    registered = [statistic.name for statistic in statistics()]
    if sorted(columns) != sorted(registered):
        return None
    stored = {}
    for name in registered:
        parts = [values.pop(f"{name}.{part}", None) for part in ("layers", "values", "errors")]
        if any(part is None for part in parts):
            return None
        stored[name] = LayerValues(tuple(columns[name]), *parts)
    names = {item.name for item in dataclasses.fields(Analysis)} - {"statistics"}
    if set(values) != names:
        return None
    values["tokens"] = tuple(values["tokens"])
    values["notes"] = tuple(values["notes"])
    return Analysis(**values, statistics=stored)


def layer_series(analysis: Analysis) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-layer scalars in long form for the store's ``layer_values`` table (SQL, export): every
    column of every registered statistic, then the duplicates removed and the mean NN angle."""
    series = {}
    for stored in analysis.statistics.values():
        for index, column in enumerate(stored.columns):
            series[column] = (stored.layers, stored.values[:, index])
    series["n_duplicates"] = (analysis.layers, analysis.n_duplicates)
    series["mean_angle"] = (analysis.layers, np.nanmean(analysis.angles, axis=1))
    return series


def collect_statistics(suites, pairs, embeddings, *, settings) -> dict[str, LayerValues]:
    """Every registered statistic of one prompt, gathered from the suite's measurements:
    ``suites`` (layers 1..L, :func:`geometry.suite.suites_over_layers`), ``pairs`` (layers l, l + 1)
    and ``embeddings`` (layer 0, :func:`geometry.suite.embedding_statistics`)."""
    gathered = {}
    for statistic in statistics():
        columns = statistic.column_names(settings)
        rows = pairs if statistic.needs == "pair" else [embeddings, *suites] if statistic.at_embeddings else suites

        def table(part: str) -> np.ndarray:
            return np.array([[getattr(row, part)[c] for c in columns] for row in rows],
                            dtype=np.float64).reshape(len(rows), len(columns))

        gathered[statistic.name] = LayerValues(columns, statistic.layers(len(suites)), table("values"), table("errors"))
    return gathered
