"""analyse(request) → Outcome: cache first, else model → hidden states → per-layer geometry → store."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cache import ResultStore, StoreError, spec_key
from geometry.cloud import prepare_cloud
from geometry.errors import GeometryError
from geometry.suite import SuiteSettings, layer_suite, requested_range_scalings
from lm import LoadedModel, ModelSpec, PromptError, extract, load_model, model_fingerprint, resolve_model, tokenize
from pipeline.analysis import KIND, Analysis, Outcome, from_record, layer_series, to_record
from pipeline.spec import DEFAULT_MAX_TOKENS, AnalysisSpec, text_hash

# GRIDE at range scaling 8 compares the 4th and 8th neighbours, so a layer needs 9 distinct points.
MIN_TOKENS = 9
Progress = Callable[[float, str], None]
ModelLoader = Callable[[ModelSpec, str], LoadedModel]


@dataclass(frozen=True)
class Request:
    """What the user asked for, before anything is resolved or loaded."""

    model: str
    prompt: str
    dtype: str = "float32"
    add_special_tokens: bool = False
    max_tokens: int = DEFAULT_MAX_TOKENS
    shuffle_index: int = 0
    seed: int = 0
    settings: SuiteSettings = field(default_factory=SuiteSettings)
    trust_remote_code: bool = False


def _default_loader(spec: ModelSpec, dtype: str) -> LoadedModel:
    return load_model(spec, dtype=dtype)


def _quiet(fraction: float, message: str) -> None:
    pass


def build_spec(request: Request) -> tuple[ModelSpec, AnalysisSpec]:
    """Resolve the model and build the cache spec, without loading anything heavy."""
    if not request.prompt or not request.prompt.strip():
        raise PromptError("The prompt is empty: type or paste some text, then press Run.")
    model = resolve_model(request.model, trust_remote_code=request.trust_remote_code)
    spec = AnalysisSpec(
        model_fingerprint=model_fingerprint(model),
        dtype=request.dtype,
        prompt_sha256=text_hash(request.prompt),
        add_special_tokens=request.add_special_tokens,
        max_tokens=request.max_tokens,
        shuffle_index=request.shuffle_index,
        seed=request.seed,
        settings=request.settings,
    )
    return model, spec


def cached(store: ResultStore | None, key: str) -> Analysis | None:
    if store is None:
        return None
    record = store.get(key)
    return None if record is None else from_record(record.meta, dict(record.arrays))


def _shuffled(token_ids: np.ndarray, *, shuffle_index: int, seed: int) -> np.ndarray:
    if shuffle_index == 0:
        return token_ids
    from geometry.shuffle import shuffle_tokens

    return token_ids[shuffle_tokens(token_ids, shuffle_index=shuffle_index, rng=np.random.default_rng(seed))]


def _finite_tokens(hidden: np.ndarray, notes: list[str]) -> np.ndarray:
    """Mask of tokens whose hidden states are finite at every layer; notes what was dropped."""
    finite = np.isfinite(hidden).all(axis=(0, 2))
    if not finite.all():
        notes.append(
            f"{int((~finite).sum())} tokens had NaN/inf hidden states (e.g. float16 overflow) and were left out "
            "of the geometry; try dtype float32."
        )
    return finite


def compute(request: Request, spec: AnalysisSpec, model: ModelSpec, *, loader: ModelLoader, progress: Progress) -> Analysis:
    """Run the model and every per-layer statistic (no cache involved)."""
    started = time.perf_counter()
    progress(0.02, f"Loading model {model.name}")
    loaded = loader(model, request.dtype)
    progress(0.15, "Tokenising the prompt")
    ids = tokenize(loaded, request.prompt, add_special_tokens=request.add_special_tokens)
    if ids.size < MIN_TOKENS:
        raise PromptError(
            f"The prompt has {ids.size} tokens; the ID estimators need at least {MIN_TOKENS} "
            "(GRIDE at range scaling 8 compares each token's 4th and 8th neighbours). Use a longer prompt."
        )
    ids = _shuffled(ids, shuffle_index=request.shuffle_index, seed=request.seed)
    progress(0.2, f"Running {model.name} on {ids.size} tokens")
    run = extract(loaded, token_ids=ids, max_tokens=request.max_tokens)
    notes = []
    if run.truncated:
        notes.append(
            f"The prompt had {ids.size} tokens; only the first {run.n_tokens} were analysed "
            f"(limit: {request.max_tokens} tokens, model context: {loaded.context_length})."
        )
    finite = _finite_tokens(run.hidden_states, notes)
    n_layers = run.hidden_states.shape[0] - 1
    suites = []
    for layer in range(1, n_layers + 1):
        progress(0.35 + 0.6 * layer / n_layers, f"Measuring geometry: layer {layer} of {n_layers}")
        points = run.hidden_states[layer][finite]
        try:
            cloud = prepare_cloud(points, k_distinct=request.settings.max_range_scaling, k_all=request.settings.overlap_k)
            suites.append(layer_suite(cloud, settings=request.settings))
        except GeometryError as error:
            suites.append(None)
            notes.append(f"Layer {layer}: {error}")
    scalings = requested_range_scalings(request.settings)
    nan_row = np.full(scalings.size, np.nan)

    def column(name: str) -> np.ndarray:
        return np.array([getattr(s, name) if s else np.nan for s in suites], dtype=np.float64)

    duplicates = column("n_duplicates")
    if np.nanmax(duplicates, initial=0) > 0:
        worst = int(np.nanargmax(duplicates))
        notes.append(
            f"Exact duplicate points were removed before estimating ID at {int((duplicates > 0).sum())} layers "
            f"(most: {int(duplicates[worst])} of {int(finite.sum())} at layer {worst + 1})."
        )
    notes.extend(f"Layer {i + 1}: {s.problem}" for i, s in enumerate(suites) if s and s.problem)
    losses = run.losses if run.losses is not None else np.zeros(0, np.float32)
    return Analysis(
        model_name=model.name,
        prompt=request.prompt,
        tokens=run.tokens,
        token_ids=run.token_ids,
        n_prompt_tokens=run.n_prompt_tokens,
        truncated=run.truncated,
        losses=losses,
        mean_loss=float(losses.mean()) if losses.size else float("nan"),
        layers=np.arange(1, n_layers + 1),
        twonn_linear=column("twonn_linear"),
        twonn_linear_error=column("twonn_linear_error"),
        twonn_mle=column("twonn_mle"),
        twonn_mle_error=column("twonn_mle_error"),
        range_scalings=scalings,
        gride=np.array([s.gride if s else nan_row for s in suites]),
        gride_error=np.array([s.gride_error if s else nan_row for s in suites]),
        n_points=column("n_points"),
        n_duplicates=duplicates,
        notes=tuple(notes),
        compute_seconds=time.perf_counter() - started,
    )


def analyse(
    request: Request,
    *,
    store: ResultStore | None,
    loader: ModelLoader = _default_loader,
    progress: Progress = _quiet,
) -> Outcome:
    """The analysis for ``request``: from the store if it is there, otherwise computed and stored.

    Raises lm.PromptError / lm.ModelNotFoundError / lm.ModelLoadError with messages for the user.
    A store that fails is reported in ``Outcome.cache_notice``; the analysis is still returned.
    """
    started = time.perf_counter()
    model, spec = build_spec(request)
    key = spec_key(spec)
    notice = ""
    try:
        hit = cached(store, key)
    except StoreError as error:
        hit, notice = None, f"The cache could not be read ({error}); computing afresh."
    if hit is not None:
        return Outcome(key=key, spec=spec, analysis=hit, from_cache=True, seconds=time.perf_counter() - started)
    analysis = compute(request, spec, model, loader=loader, progress=progress)
    if store is not None:
        progress(0.97, "Saving to the cache")
        meta, arrays = to_record(analysis)
        try:
            store.put(key, kind=KIND, spec=dataclasses.asdict(spec), meta=meta, arrays=arrays,
                      layer_values=layer_series(analysis), seconds=analysis.compute_seconds)
        except StoreError as error:
            notice = f"The result could not be saved to the cache ({error})."
    progress(1.0, "Done")
    return Outcome(key=key, spec=spec, analysis=analysis, from_cache=False,
                   seconds=time.perf_counter() - started, cache_notice=notice)


