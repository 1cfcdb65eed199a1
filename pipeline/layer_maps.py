"""Hidden states of the same texts in two models, aligned token by token, and the grid of
layer-to-layer Emb2Emb maps between them (Lee et al. 2025). Cached in the result store.

Tokens. Each text is run through each model on its own (with BOS where the model wants one, as on
the other pages); tokens are paired by character end offsets (:mod:`lm.alignment`). The first
aligned pair of every text is dropped: with nothing before it, the first token's hidden state is
the attention sink, an outlier whose norm is orders of magnitude above the rest in some models,
and it would dominate a pooled R².
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from cache import ResultStore, StoredResult, spec_key
from cache.memo import memoize, recall
from geometry.layer_map import LAYER_MAP_VERSION, LayerGrid, layer_r2_grid
from lm import BUNDLED_MODELS, LoadedModel, ModelSpec, extract, model_fingerprint, resolve_model
from lm.alignment import aligned_positions, token_ends
from pipeline.errors import ExperimentError
from pipeline.runner import ModelLoader, Progress, default_loader, no_progress
from prompts.steering import MAP_TEXTS

GRID_KIND = "layer_grid"
GRID_VERSION = 2


def wants_bos(spec: ModelSpec) -> bool:
    """Whether the model is run with its special tokens (BOS): the bundled models' own setting, else no."""
    return spec.source == "bundled" and BUNDLED_MODELS[spec.name].wants_bos


@dataclass(frozen=True)
class TextStates:
    """One model's run on one text: token end offsets (chars) and hidden states (L + 1, n, d)."""

    ends: np.ndarray
    hidden_states: np.ndarray


def text_states(loaded: LoadedModel, texts: Sequence[str], *, progress: Progress = no_progress,
                start: float = 0.0, span: float = 1.0) -> list[TextStates]:
    """Run ``loaded`` on each text (progress from ``start`` over ``span``)."""
    runs = []
    for index, text in enumerate(texts):
        progress(start + span * index / len(texts), f"{loaded.spec.name}: text {index + 1} of {len(texts)}")
        tokens = token_ends(loaded.tokenizer, text, add_special_tokens=wants_bos(loaded.spec))
        run = extract(loaded, token_ids=tokens.token_ids, with_losses=False)
        if run.truncated:
            raise ExperimentError(f"a text is longer than {loaded.spec.name}'s context; use shorter texts.")
        runs.append(TextStates(ends=tokens.ends, hidden_states=run.hidden_states))
    return runs


def align(runs_a: Sequence[TextStates], runs_b: Sequence[TextStates]) -> tuple[np.ndarray, np.ndarray]:
    """Stack the aligned tokens of every text: (L_a + 1, n, d_a) and (L_b + 1, n, d_b), first pair of each text dropped."""
    parts_a, parts_b = [], []
    for run_a, run_b in zip(runs_a, runs_b, strict=True):
        index_a, index_b = aligned_positions(run_a.ends, run_b.ends)
        parts_a.append(run_a.hidden_states[:, index_a[1:]])
        parts_b.append(run_b.hidden_states[:, index_b[1:]])
    return np.concatenate(parts_a, axis=1), np.concatenate(parts_b, axis=1)


def texts_digest(texts: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(list(texts)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class GridOutcome:
    """The layer × layer grid for models A → B on the map texts, with provenance."""

    model_a: str
    model_b: str
    n_layers_a: int
    n_layers_b: int
    grid: LayerGrid
    from_cache: bool
    seconds: float


def aligned_states(model_a: str, model_b: str, *, texts: Sequence[str], dtype: str, loader: ModelLoader,
                   progress: Progress, start: float = 0.0, span: float = 0.8):
    """(states_a, states_b, loaded_b): the aligned hidden states of both models; model B stays loaded last."""
    specs = [resolve_model(model_a), resolve_model(model_b)]
    runs = []
    for index, spec in enumerate(specs):
        progress(start + span * index / 2, f"Loading {spec.name}")
        loaded = loader(spec, dtype)
        runs.append(text_states(loaded, texts, progress=progress, start=start + span * index / 2, span=span / 2))
    states_a, states_b = align(*runs)
    return states_a, states_b, loaded


def layer_grid(model_a: str, model_b: str, *, store: ResultStore | None, texts: Sequence[str] = MAP_TEXTS,
               relative_ridge: float = 0.1, test_fraction: float = 0.25, seed: int = 0, dtype: str = "float32",
               loader: ModelLoader = default_loader, progress: Progress = no_progress,
               only_cached: bool = False) -> GridOutcome | None:
    """Held-out R² of the Emb2Emb map from every layer of A to every layer of B on ``texts``.

    ``only_cached``: return None instead of computing when the store does not have it.
    """
    started = time.perf_counter()
    specs = [resolve_model(model_a), resolve_model(model_b)]
    key_spec = {"kind": GRID_KIND, "a": model_fingerprint(specs[0]), "b": model_fingerprint(specs[1]),
                "texts": texts_digest(texts), "relative_ridge": relative_ridge, "test_fraction": test_fraction,
                "seed": seed, "dtype": dtype, "version": [GRID_VERSION, LAYER_MAP_VERSION]}
    key = spec_key(key_spec)

    def decode(record: StoredResult) -> GridOutcome | None:
        if record.kind != GRID_KIND:
            return None
        grid = LayerGrid(r2_test=record.arrays["r2_test"], **record.meta["grid"])
        return GridOutcome(model_a=record.meta["model_a"], model_b=record.meta["model_b"],
                           n_layers_a=grid.r2_test.shape[0] - 1, n_layers_b=grid.r2_test.shape[1] - 1, grid=grid,
                           from_cache=True, seconds=time.perf_counter() - started)

    if only_cached:
        return recall(store, key, decode=decode)[0]

    def compute() -> GridOutcome:
        states_a, states_b, _ = aligned_states(model_a, model_b, texts=texts, dtype=dtype, loader=loader,
                                               progress=progress)
        progress(0.85, f"Fitting {states_a.shape[0]} × {states_b.shape[0]} maps on {states_a.shape[1]} aligned tokens")
        grid = layer_r2_grid(states_a, states_b, relative_ridge=relative_ridge, test_fraction=test_fraction, seed=seed)
        progress(1.0, "Done")
        return GridOutcome(model_a=specs[0].name, model_b=specs[1].name, n_layers_a=states_a.shape[0] - 1,
                           n_layers_b=states_b.shape[0] - 1, grid=grid, from_cache=False,
                           seconds=time.perf_counter() - started)

    def encode(outcome: GridOutcome) -> dict:
        grid = outcome.grid
        meta = {"model_a": outcome.model_a, "model_b": outcome.model_b,
                "grid": {"n_tokens": grid.n_tokens, "n_train": grid.n_train, "relative_ridge": grid.relative_ridge,
                         "test_fraction": grid.test_fraction, "seed": grid.seed}}
        return dict(kind=GRID_KIND, spec=key_spec, meta=meta, arrays={"r2_test": grid.r2_test}, seconds=outcome.seconds)

    # A store that fails is not reported: the grid is shown, and recomputed next time.
    return memoize(store, key, decode=decode, compute=compute, encode=encode).value
