"""analyse(request) → Outcome: cache first, else model → hidden states → per-layer geometry → store."""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from settings import current as current_settings
from cache import ResultStore, StoredResult, spec_key
from cache.memo import keep, recall
from geometry.errors import GeometryError
from geometry.neighbors import Neighbors
from geometry.shuffle import max_shuffle_index, shuffle_tokens
from geometry.sinks import SINK_NORM_FACTOR, attention_sinks, sink_norm_ratios
from geometry.suite import (LayerGeometryError, SuiteSettings, embedding_statistics, requested_range_scalings,
                            suites_over_layers)
from lm import Extraction, LoadedModel, ModelSpec, PromptError, load_model, model_fingerprint, resolve_model, tokenize
from lm.extract import extract_batch
from pipeline.errors import Attempt, ExecutionError, UnanalysablePromptError
from pipeline.analysis import KIND, Analysis, Outcome, collect_statistics, from_record, layer_series, to_record
from pipeline.spec import AnalysisSpec, Extras, Method, Shuffle, fields_of, statistic_versions, text_hash

_PROGRESS_INTERVAL = 0.25  # seconds between progress reports of the per-layer loop
# GRIDE at range scaling 8 compares the 4th and 8th neighbours, so a layer needs 9 distinct points.
MIN_TOKENS = 9
Progress = Callable[[float, str], None]
ModelLoader = Callable[[ModelSpec, str], LoadedModel]


@dataclass(frozen=True, kw_only=True)
class Request(Method, Shuffle, Extras):
    """What the user asked for, before anything is resolved or loaded: the model and the prompt,
    how to measure it (:class:`pipeline.spec.Method`) and which :class:`pipeline.spec.Shuffle`
    of it (both in the key), the :class:`pipeline.spec.Extras` to keep, and how to run it.

    trust_remote_code: run the model repository's own code (asked for that exact model only).
    device:            where the model runs ("cpu", "cuda" or "auto" = CUDA when available); the
                       neighbour search follows the model (see neighbor_search). Not part of the
                       key: the values agree to round-off.
    """

    model: str
    prompt: str
    trust_remote_code: bool = False
    device: str = "cpu"


def geometry_workers() -> int:
    """Threads measuring layers at once (geometry.suite.suites_over_layers): one per core, up to
    four; ``TOKEN_GEOMETRY_WORKERS`` (:mod:`settings`) overrides it (1: one layer at a time)."""
    return current_settings().workers or min(4, os.cpu_count() or 1)


def default_loader(spec: ModelSpec, dtype: str, device: str = "cpu") -> LoadedModel:
    return load_model(spec, dtype=dtype, device=device)


def neighbor_search(device: str) -> Callable[[np.ndarray, int], Neighbors] | None:
    """The exact neighbour search to use when the model ran on ``device``: None (geometry's own
    numpy search) on the CPU; on a CUDA device, the same search in torch on that device."""
    if not str(device).startswith("cuda"):
        return None
    from lm.neighbors_torch import torch_nearest_neighbors

    def search(points: np.ndarray, k: int) -> Neighbors:
        distances, indices = torch_nearest_neighbors(points, k=k, device=device)
        return Neighbors(distances=distances, indices=indices)

    return search


def no_progress(fraction: float, message: str) -> None:
    pass


def build_spec(request: Request) -> tuple[ModelSpec, AnalysisSpec]:
    """Resolve the model and build the cache spec, without loading anything heavy."""
    if not request.prompt or not request.prompt.strip():
        raise UnanalysablePromptError("The prompt is empty: type or paste some text, then press Run.")
    model = resolve_model(request.model, trust_remote_code=request.trust_remote_code)
    spec = AnalysisSpec(
        model_fingerprint=model_fingerprint(model),
        prompt_sha256=text_hash(request.prompt),
        **fields_of(request, Method),
        **fields_of(request, Shuffle),
        statistic_versions=tuple(sorted(statistic_versions().items())),
    )
    return model, spec


def decode_analysis(record: StoredResult) -> Analysis | None:
    """The analysis a stored record holds (None for a record of another kind)."""
    return None if record.kind != KIND else from_record(record.meta, dict(record.arrays))


def cached(store: ResultStore | None, key: str) -> Analysis | None:
    """The analysis stored under ``key``, or None; a store that cannot be read raises StoreError."""
    record = None if store is None else store.get(key)
    return None if record is None else decode_analysis(record)


def _prompt_token_ids(loaded: LoadedModel, request: Request, notes: list[str]) -> tuple[np.ndarray, int]:
    """Tokenise, truncate to the limit, check the length, then apply the block shuffle.

    Returns the token ids to run and the prompt's length in tokens before truncation.
    """
    ids = tokenize(loaded, request.prompt, add_special_tokens=request.add_special_tokens)
    n_prompt_tokens = int(ids.size)
    limit = min(x for x in (request.max_tokens, loaded.context_length) if x)
    if ids.size > limit:
        notes.append(
            f"The prompt has {ids.size} tokens; only the first {limit} were analysed "
            f"(limit: {request.max_tokens} tokens, model context: {loaded.context_length})."
        )
        ids = ids[:limit]
    if ids.size < MIN_TOKENS:
        raise UnanalysablePromptError(
            f"The prompt has {ids.size} tokens; the ID estimators need at least {MIN_TOKENS} "
            "(GRIDE at range scaling 8 compares each token's 4th and 8th neighbours). Use a longer prompt."
        )
    if request.shuffle_index == 0:
        return ids, n_prompt_tokens
    special = special_token_mask(loaded, ids)
    n_text = int((~special).sum())
    largest = max_shuffle_index(n_text)
    if request.shuffle_index > largest:
        raise UnanalysablePromptError(
            f"Shuffle index S={request.shuffle_index} asks for 4^S = {_blocks(request.shuffle_index)} blocks, but the "
            f"prompt has {n_text} text tokens: S={largest} already shuffles every token. Use S ≤ {largest}."
        )
    # Special tokens (BOS, …) keep their positions; only the text is shuffled.
    order = shuffle_tokens(ids, shuffle_index=request.shuffle_index, rng=np.random.default_rng(request.seed),
                           fixed=special)
    return ids[order], n_prompt_tokens


def special_token_mask(loaded: LoadedModel, ids: np.ndarray) -> np.ndarray:
    """True at positions holding one of the tokenizer's special tokens (BOS, EOS, padding, …)."""
    special_ids = getattr(loaded.tokenizer, "all_special_ids", None) or []
    return np.isin(np.asarray(ids), np.asarray(list(special_ids), dtype=np.int64))


def _blocks(shuffle_index: int) -> str:
    """4^S for a message, without building a number of millions of digits for a huge S."""
    return f"{4 ** shuffle_index:,}" if shuffle_index <= 40 else f"about 10^{int(shuffle_index * 0.60206)}"


def _finite_tokens(hidden: np.ndarray, notes: list[str]) -> np.ndarray:
    """Positions whose hidden states are finite at every layer; notes what was dropped."""
    finite = np.isfinite(hidden).all(axis=(0, 2))
    if not finite.all():
        notes.append(
            f"{int((~finite).sum())} tokens had NaN/inf hidden states (e.g. float16 overflow) and were left out "
            "of the geometry; try dtype float32."
        )
    return np.flatnonzero(finite)


def _token_list(positions: np.ndarray, tokens: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(f"{tokens[p]!r} at position {int(p)}" for p in positions[:limit])
    return shown + (f" and {positions.size - limit} more" if positions.size > limit else "")


def _outlier_tokens(run: Extraction, loaded: LoadedModel, finite: np.ndarray, *, keep: bool,
                    notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The special-token positions and the attention sinks (:mod:`geometry.sinks`) among the
    finite, non-special tokens; notes them, and whether they were left out of the cloud."""
    special = np.flatnonzero(special_token_mask(loaded, run.token_ids))
    candidates = np.setdiff1d(finite, special)
    sinks = np.zeros(0, np.int64)
    if candidates.size and run.hidden_states.shape[0] > 1:
        ratios = sink_norm_ratios(run.hidden_states[1:, candidates])
        sinks = candidates[attention_sinks(run.hidden_states[1:, candidates])]
    parts = []
    if special.size:
        parts.append(f"{special.size} special token{'s' if special.size > 1 else ''} "
                     f"({_token_list(special, run.tokens)})")
    if sinks.size:
        worst = float(ratios.max())
        parts.append(f"{sinks.size} attention sink{'s' if sinks.size > 1 else ''} ({_token_list(sinks, run.tokens)}; "
                     f"hidden-state norm up to {worst:.0f}× the layer's median, the rule is > {SINK_NORM_FACTOR:.0f}×)")
    if parts:
        notes.append(("Kept in the token cloud (as asked): " if keep else "Left out of the token cloud: ")
                     + " and ".join(parts) + ".")
    return special.astype(np.int64), sinks


def _layer_list(layers: list[int]) -> str:
    """[1, 2, 3, 7] → "layers 1–3, 7"."""
    runs: list[list[int]] = []
    for layer in layers:
        if runs and layer == runs[-1][1] + 1:
            runs[-1][1] = layer
        else:
            runs.append([layer, layer])
    text = ", ".join(f"{first}–{last}" if last > first else f"{first}" for first, last in runs)
    return ("layer " if len(layers) == 1 else "layers ") + text


def _grouped_problems(suites, pairs=()) -> list[str]:
    """One note per distinct problem, naming the layers it happened at (for a statistic of two
    consecutive layers, the first of the two)."""
    layers_by_problem: dict[str, list[int]] = {}
    for layer, problems in [*enumerate((suite.problem.split("; ") for suite in suites), start=1),
                            *enumerate((pair.problems for pair in pairs), start=1)]:
        for problem in filter(None, problems):
            layers_by_problem.setdefault(problem, []).append(layer)
    return [f"{_layer_list(layers).capitalize()}: {problem}." for problem, layers in layers_by_problem.items()]


def _layer_statistics(hidden: np.ndarray, settings: SuiteSettings, progress: Progress, notes: list[str], *,
                      search: Callable[[np.ndarray, int], Neighbors] | None = None, with_token_neighbors: bool = True):
    """The suite at layers 1..L and the statistics of consecutive layers (one search per layer,
    by ``search`` when given, see :func:`neighbor_search`; two layers at a time on two cores)."""
    n_layers = hidden.shape[0] - 1
    reported = [-1.0]

    def on_layer(index: int) -> None:
        # A few updates a second are enough for a progress bar; one per layer made the page (and,
        # on a small machine, the browser drawing it) compete with the computation.
        layer = index + 1
        if time.perf_counter() - reported[0] >= _PROGRESS_INTERVAL or layer == n_layers:
            progress(0.35 + 0.6 * layer / n_layers, f"Measuring geometry: layer {layer} of {n_layers}")
            reported[0] = time.perf_counter()

    progress(0.35, f"Measuring geometry of {n_layers} layers")
    try:
        suites, pairs = suites_over_layers(hidden[1:], settings=settings, search=search,
                                              with_token_neighbors=with_token_neighbors, workers=geometry_workers(),
                                              on_layer=on_layer)
    except LayerGeometryError as error:
        raise UnanalysablePromptError(f"Layer {error.layer + 1} has no measurable geometry: {error}") from error
    notes.extend(_grouped_problems(suites, pairs))
    duplicates = np.array([s.n_duplicates for s in suites])
    if duplicates.max(initial=0) > 0:
        worst = int(np.argmax(duplicates))
        notes.append(
            f"Exact duplicate points were removed before estimating ID at {int((duplicates > 0).sum())} layers "
            f"(most: {int(duplicates[worst])} of {hidden.shape[1]} at layer {worst + 1})."
        )
    return suites, pairs


@dataclass(frozen=True)
class ModelRun:
    """One forward pass for a request: the extraction, the prompt length before truncation, and
    the positions whose hidden states are finite (``kept``; ``hidden`` = hidden_states[:, kept])."""

    run: Extraction
    n_prompt_tokens: int
    kept: np.ndarray
    hidden: np.ndarray
    notes: tuple[str, ...]
    device: str = "cpu"
    special_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sink_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def run_model(request: Request, model: ModelSpec, *, loader: ModelLoader, progress: Progress = no_progress,
              with_losses: bool = True) -> ModelRun:
    """Tokenise (truncate, shuffle) and run the model once. Deterministic: the hidden states are
    bit-identical across runs, so pages can recompute them instead of storing them.

    ``with_losses=False``: hidden states only (no logits over the vocabulary, no loss or entropy),
    for views that re-run the model just for its hidden states. A ``request.device`` other than
    "cpu" is passed to the loader as a third argument. Raises PromptError for a prompt that cannot
    be analysed.
    """
    return run_models([request], model, loader=loader, progress=progress, with_losses=with_losses)[0].get()


def run_models(requests: Sequence[Request], model: ModelSpec, *, loader: ModelLoader,
               progress: Progress = no_progress, with_losses: bool = True) -> list[Attempt[ModelRun]]:
    """:func:`run_model` for several requests of one model, dtype and device, in one forward pass
    (a padded batch, :func:`lm.extract.extract_batch`). A request whose prompt cannot be analysed
    gets its error in its place (:class:`pipeline.errors.Attempt`); the others run."""
    first = requests[0]
    progress(0.02, f"Loading model {model.name}")
    loaded = loader(model, first.dtype) if first.device == "cpu" else loader(model, first.dtype, first.device)
    progress(0.15, "Tokenising the prompt" if len(requests) == 1 else f"Tokenising {len(requests)} prompts")
    prepared: list[Attempt[tuple[np.ndarray, int, list[str]]]] = []
    for request in requests:
        notes: list[str] = []
        try:
            ids, n_prompt_tokens = _prompt_token_ids(loaded, request, notes)
        except PromptError as error:
            prepared.append(Attempt(error=error))
            continue
        prepared.append(Attempt((ids, n_prompt_tokens, notes)))
    ready = [item.get() for item in prepared if not item.failed]
    if not ready:
        return [Attempt(error=item.error) for item in prepared]
    n_tokens = sum(ids.size for ids, _, _ in ready)
    progress(0.2, f"Running {model.name} on {n_tokens} tokens" + (f" ({len(ready)} prompts)" if len(ready) > 1 else ""))
    runs = iter(extract_batch(loaded, token_ids=[ids for ids, _, _ in ready], with_losses=with_losses,
                              logit_geometry=any(request.with_logits_id for request in requests)))
    device = str(getattr(loaded, "device", "cpu"))
    results: list[Attempt[ModelRun]] = []
    for request, item in zip(requests, prepared):
        if item.failed:
            results.append(Attempt(error=item.error))
            continue
        _, n_prompt_tokens, notes = item.get()
        run = next(runs)
        kept = _finite_tokens(run.hidden_states, notes)
        special, sinks = _outlier_tokens(run, loaded, kept, keep=request.keep_outlier_tokens, notes=notes)
        if not request.keep_outlier_tokens:
            kept = np.setdiff1d(kept, np.concatenate([special, sinks]))
        results.append(Attempt(ModelRun(run=run, n_prompt_tokens=n_prompt_tokens, kept=kept,
                                        hidden=run.hidden_states[:, kept], notes=tuple(notes), device=device,
                                        special_positions=special, sink_positions=sinks)))
    return results


def measure(request: Request, model: ModelSpec, forward: ModelRun, *, progress: Progress = no_progress,
            on_hidden_states: Callable[[np.ndarray], None] | None = None, forward_seconds: float = 0.0) -> Analysis:
    """Every per-layer statistic of one model run; ``compute_seconds`` = ``forward_seconds`` + this."""
    started = time.perf_counter()
    run, kept, hidden, notes = forward.run, forward.kept, forward.hidden, list(forward.notes)
    n_prompt_tokens = forward.n_prompt_tokens
    if on_hidden_states is not None:
        on_hidden_states(hidden)
    suites, pairs = _layer_statistics(hidden, request.settings, progress, notes,
                                        search=neighbor_search(forward.device),
                                        with_token_neighbors=request.with_token_neighbors)
    scalings = requested_range_scalings(request.settings)
    logits_ids, logits_id_errors = np.full(scalings.size, np.nan), np.full(scalings.size, np.nan)
    # The logit vectors themselves, or points with their pairwise distances (lm.logit_space).
    logit_points = run.logit_coordinates if run.logit_coordinates is not None else run.logits
    if request.with_logits_id and logit_points is not None:
        progress(0.96, "Measuring the ID of the logits")
        from geometry.id_loss import logits_id_scan

        fits = scalings < kept.size  # range scaling r needs r + 1 points
        try:
            results = logits_id_scan(logit_points[kept], range_scalings=scalings[fits])
        except GeometryError as error:
            notes.append(f"The logits ID could not be measured: {error}")
        else:
            logits_ids[fits] = [result.id for result in results]
            logits_id_errors[fits] = [result.error for result in results]
    embeddings = embedding_statistics(hidden[0], settings=request.settings)

    def column(name: str, dtype=np.float64) -> np.ndarray:
        return np.array([getattr(suite, name) for suite in suites], dtype=dtype)

    losses = run.losses if run.losses is not None else np.zeros(0, np.float32)
    entropies = run.entropies if run.entropies is not None else np.zeros(0, np.float32)
    return Analysis(
        model_name=model.name,
        prompt=request.prompt,
        tokens=run.tokens,
        token_ids=run.token_ids,
        n_prompt_tokens=n_prompt_tokens,
        truncated=bool(run.n_tokens < n_prompt_tokens),
        shuffle_index=request.shuffle_index,
        seed=request.seed,
        losses=losses,
        mean_loss=float(losses.mean()) if losses.size else float("nan"),
        entropies=entropies,
        contextual_entropy=float(entropies.mean()) if entropies.size else float("nan"),
        logits_id=float(logits_ids[0]) if scalings.size and scalings[0] == 2 else float("nan"),
        logits_id_error=float(logits_id_errors[0]) if scalings.size and scalings[0] == 2 else float("nan"),
        logits_ids=logits_ids,
        logits_id_errors=logits_id_errors,
        kept=kept,
        special_positions=forward.special_positions,
        sink_positions=forward.sink_positions,
        keep_outlier_tokens=request.keep_outlier_tokens,
        layers=np.arange(1, len(suites) + 1),
        range_scalings=requested_range_scalings(request.settings),
        statistics=collect_statistics(suites, pairs, embeddings, settings=request.settings),
        n_points=column("n_points", np.int64),
        n_duplicates=column("n_duplicates", np.int64),
        local_id=np.stack([suite.local_id for suite in suites]),
        angles=np.stack([suite.angles for suite in suites]),
        neighbor_indices=np.stack([suite.neighbor_indices for suite in suites]),
        neighbor_distances=np.stack([suite.neighbor_distances for suite in suites]),
        lle_weights=np.stack([suite.lle_weights for suite in suites]),
        n_token_neighbors=int(suites[0].neighbor_indices.shape[1]),
        local_k=request.settings.local_k,
        notes=tuple(notes),
        compute_seconds=forward_seconds + time.perf_counter() - started,
    )


def _lacks_an_extra(analysis: Analysis, request: Request) -> bool:
    return ((request.with_logits_id and not np.isfinite(analysis.logits_id))
            or (request.with_token_neighbors and analysis.n_token_neighbors == 0))


@dataclass(frozen=True)
class _Lookup:
    """A request resolved against the store: its model, spec and key, the cached analysis (None if
    it must be computed), the request to compute and a notice about the store ("" if none)."""

    model: ModelSpec
    spec: AnalysisSpec
    key: str
    hit: Analysis | None
    request: Request
    notice: str


def _lookup(request: Request, store: ResultStore | None) -> _Lookup:
    """A cached result that lacks an extra that was asked for is not served: the request to
    compute it again keeps the extras it had, so that the app and a corpus run do not take turns
    replacing it."""
    model, spec = build_spec(request)
    key = spec_key(spec)
    hit, notice = recall(store, key, decode=decode_analysis)
    if hit is not None and _lacks_an_extra(hit, request):
        request = dataclasses.replace(request, with_logits_id=request.with_logits_id or bool(np.isfinite(hit.logits_id)),
                                      with_token_neighbors=request.with_token_neighbors or hit.n_token_neighbors > 0)
        hit = None
    return _Lookup(model=model, spec=spec, key=key, hit=hit, request=request, notice=notice)


def encode_analysis(spec: AnalysisSpec, analysis: Analysis) -> dict:
    """The store record (:meth:`cache.ResultStore.put`'s keyword arguments) of a computed analysis."""
    meta, arrays = to_record(analysis)
    return dict(kind=KIND, spec=dataclasses.asdict(spec), meta=meta, arrays=arrays, layer_values=layer_series(analysis),
                seconds=analysis.compute_seconds)


def analyse(
    request: Request,
    *,
    store: ResultStore | None,
    loader: ModelLoader = default_loader,
    progress: Progress = no_progress,
    on_hidden_states: Callable[[np.ndarray], None] | None = None,
) -> Outcome:
    """The analysis for ``request``: from the store if it is there, otherwise computed and stored.

    Raises lm.PromptError / lm.ModelNotFoundError / lm.ModelLoadError with messages for the user.
    A store that fails is reported in ``Outcome.cache_notice``; the analysis is still returned.
    """
    return analyse_many([request], store=store, loader=loader, progress=progress,
                        on_hidden_states=on_hidden_states)[0].get()


def analyse_many(requests: Sequence[Request], *, store: ResultStore | None, loader: ModelLoader = default_loader,
                 progress: Progress = no_progress,
                 on_hidden_states: Callable[[np.ndarray], None] | None = None) -> list[Attempt[Outcome]]:
    """:func:`analyse` for several requests of one model, dtype and device: the cached ones from
    the store, the others through one forward pass (a padded batch when there are several), each
    stored as it is measured.

    A request whose prompt cannot be analysed gets its error in its place
    (:class:`pipeline.errors.Attempt`); the others go on. Each computed analysis's
    ``compute_seconds`` holds its share of the forward pass (model load included) plus its own
    geometry. Raises :class:`pipeline.errors.ExecutionError` for requests that cannot share a
    forward pass.
    """
    started = time.perf_counter()
    outcomes: dict[int, Attempt[Outcome]] = {}
    pending: dict[int, _Lookup] = {}
    for index, request in enumerate(requests):
        try:
            found = _lookup(request, store)
        except PromptError as error:
            outcomes[index] = Attempt(error=error)
            continue
        if found.hit is None:
            pending[index] = found
        else:
            outcomes[index] = Attempt(Outcome(key=found.key, spec=found.spec, analysis=found.hit, from_cache=True,
                                              seconds=time.perf_counter() - started))
    if pending:
        lookups = list(pending.values())
        if len({(found.model, found.request.dtype, found.request.device) for found in lookups}) > 1:
            raise ExecutionError("analyse_many needs requests of one model, dtype and device.")
        forward_started = time.perf_counter()
        forwards = run_models([found.request for found in lookups], lookups[0].model, loader=loader, progress=progress)
        share = (time.perf_counter() - forward_started) / len(lookups)
        for (index, found), forward in zip(pending.items(), forwards):
            if forward.failed:
                outcomes[index] = Attempt(error=forward.error)
                continue
            analysis = measure(found.request, found.model, forward.get(), progress=progress,
                               on_hidden_states=on_hidden_states, forward_seconds=share)
            if store is not None:
                progress(0.97, "Saving to the cache")
            notice = keep(store, found.key, encode_analysis(found.spec, analysis)) or found.notice
            outcomes[index] = Attempt(Outcome(key=found.key, spec=found.spec, analysis=analysis, from_cache=False,
                                              seconds=time.perf_counter() - started, cache_notice=notice))
        progress(1.0, "Done")
    return [outcomes[index] for index in range(len(requests))]
