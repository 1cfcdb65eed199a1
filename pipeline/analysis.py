"""The result of analysing one prompt with one model, and its round trip through the store."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from pipeline.spec import AnalysisSpec

KIND = "prompt_analysis"


@dataclass(frozen=True)
class Analysis:
    """Per-layer geometry of one prompt.

    Shapes: N tokens, L layers (``layers`` = 1..L), R range scalings.
        token_ids (N,), losses (N−1,) nats, layers (L,), twonn_* (L,),
        range_scalings (R,), gride / gride_error (L, R), n_points / n_duplicates (L,).
    ``notes`` lists, in words, everything that was dropped or truncated and why.
    """

    model_name: str
    prompt: str
    tokens: tuple[str, ...]
    token_ids: np.ndarray
    n_prompt_tokens: int
    truncated: bool
    losses: np.ndarray
    mean_loss: float
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
    notes: tuple[str, ...]
    compute_seconds: float

    @property
    def n_tokens(self) -> int:
        return int(self.token_ids.size)


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


def from_record(meta: dict, arrays: dict[str, np.ndarray]) -> Analysis:
    values = {**meta, **arrays}
    values["tokens"] = tuple(values["tokens"])
    values["notes"] = tuple(values["notes"])
    return Analysis(**values)


def layer_series(analysis: Analysis) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-layer scalars in long form for the store's ``layer_values`` table (SQL, export)."""
    series = {
        "twonn_linear": analysis.twonn_linear,
        "twonn_mle": analysis.twonn_mle,
        "n_duplicates": analysis.n_duplicates,
    }
    for index, scaling in enumerate(analysis.range_scalings):
        series[f"gride_{int(scaling)}"] = analysis.gride[:, index]
    return {name: (analysis.layers, values) for name, values in series.items()}
