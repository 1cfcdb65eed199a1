"""Corpus runs: one model over a prompt set, at several shuffle indices and seeds, resumable.

The work is split in three steps, so that another execution engine can take over the middle one
(see docs/scaling.md):

1. **plan** — :func:`plan_corpus` turns a prompt set into :class:`WorkUnit` s, one per
   (passage, shuffle index, seed), each with its store key. Nothing heavy is loaded: the key
   needs the model's fingerprint (file sizes and hashes), not the model.
2. **execute** — an :class:`Executor` runs the units that are not finished yet. Each unit is
   :func:`execute_unit`: ``analyse`` (cache first) into a store, then a membership row saying
   which corpus the result belongs to. :class:`SequentialExecutor` (the default) runs them one by
   one in this process with one loaded model; an engine such as Ray or Dask runs groups of units
   on several workers, each writing its own shard file (:mod:`cache.shards`).
3. **merge** — results written to shards reach the main store with :func:`cache.shards.merge_shards`.

:func:`run_corpus` does 1's bookkeeping (which units are finished), 2 and the progress report.
Finished units are found by key before anything is loaded, so a rerun of a finished corpus loads
no model at all. Units whose input cannot be analysed (too few tokens, a shuffle index too large
for the passage) are recorded as failed with the reason and not retried.

:func:`corpora`, :func:`load_corpus` and :func:`export_tables` read corpora back from the store;
the statistics live in :mod:`pipeline.corpus_stats`.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np
import pandas as pd

from cache import Membership, ResultStore, StoreError, spec_key
from geometry.suite import SuiteSettings
from lm import LoadedModel, ModelSpec, load_model
from pipeline.analysis import KIND, from_record, stored_array_names
from pipeline.corpus_stats import CorpusItem
from pipeline.errors import CorpusError, ExecutionError
from pipeline.runner import ModelLoader, Request, analyse_many, build_spec
from pipeline.spec import ANALYSIS_VERSION, Extras, Method, fields_of, text_hash

# Meta fields read to decide whether a stored result is complete (see _complete).
# ``n_token_neighbours`` is the field's earlier spelling, still in results stored before the rename.
_CHECK_FIELDS = ("logits_id", "mean_loss", "n_token_neighbors", "n_token_neighbours")
# Arrays that corpus statistics never use (about 90 % of a stored analysis): not read by default.


@dataclass(frozen=True, kw_only=True)
class CorpusConfig(Method, Extras):
    """Everything about a corpus run except the prompts and their shuffles: the model, the
    :class:`pipeline.spec.Method` and the :class:`pipeline.spec.Extras`, the same for every
    unit, and picklable (a distributed engine ships it to its workers). The device and thread
    count are not here: they change how fast results come, not what they are (they belong to the
    loader)."""

    model: str
    trust_remote_code: bool = False
    with_logits_id: bool = True
    # Each token's neighbour list and LLE weights: only the Tokens page shows them (it recomputes a
    # prompt that lacks them), and they are most of a stored result, so a corpus run skips them.
    with_token_neighbors: bool = False

    def request(self, text: str, *, shuffle_index: int = 0, seed: int = 0) -> Request:
        return Request(model=self.model, prompt=text, shuffle_index=shuffle_index, seed=seed,
                       trust_remote_code=self.trust_remote_code, **fields_of(self, Method),
                       **fields_of(self, Extras))


@dataclass(frozen=True)
class WorkUnit:
    """The unit of work: one passage of a corpus at one shuffle index and seed.

    ``key`` is the store key of its result (the hash of the analysis spec), so running a unit
    twice — a retry, a second worker, a rerun — stores one result.
    """

    corpus: str
    passage_id: str
    position: int
    source: str
    text: str
    shuffle_index: int
    seed: int
    key: str

    @property
    def label(self) -> str:
        return f"{self.passage_id} S={self.shuffle_index} seed {self.seed}"

    def membership(self, *, status: str = "done", message: str = "") -> Membership:
        return Membership(corpus=self.corpus, passage_id=self.passage_id, key=self.key, position=self.position,
                          source=self.source, status=status, message=message)


def _shuffle_plan(shuffles: Sequence[int], seeds: int) -> list[tuple[int, int]]:
    bad = [s for s in shuffles if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0]
    if bad or not shuffles:
        raise CorpusError(f"shuffle indices must be integers ≥ 0 (0 = the text as written); got {list(shuffles)!r}.")
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise CorpusError(f"seeds must be an integer ≥ 1; got {seeds!r}.")
    pairs = []
    for shuffle_index in dict.fromkeys(int(s) for s in shuffles):  # keep order, drop repeats
        # S = 0 is the text as written: every seed gives the same analysis, so one is enough.
        pairs += [(0, 0)] if shuffle_index == 0 else [(shuffle_index, seed) for seed in range(int(seeds))]
    return pairs


def plan_corpus(passages, config: CorpusConfig, *, corpus: str | None = None, shuffles: Sequence[int] = (0,),
                seeds: int = 1) -> list[WorkUnit]:
    """The work units of a corpus run, passage by passage (all shuffles of a passage together).

    ``passages`` is a :class:`prompts.PromptSet` (its name is the default ``corpus``) or a
    sequence of :class:`prompts.Passage`. S = 0 gets seed 0 only; S > 0 gets seeds 0..seeds−1.
    Raises lm.ModelNotFoundError for an unknown model (nothing is loaded), CorpusError for bad
    shuffle indices or seeds.
    """
    name = corpus or getattr(passages, "name", None)
    if not name:
        raise CorpusError("a corpus needs a name: pass corpus=... (a PromptSet's name is used by default).")
    items = list(getattr(passages, "passages", passages))
    pairs = _shuffle_plan(shuffles, seeds)
    if not items:
        return []
    # Resolve and fingerprint the model once; per unit only the prompt, S and seed change.
    _, base = build_spec(config.request(items[0].text))
    units = []
    for position, passage in enumerate(items):
        if not passage.text.strip():
            raise CorpusError(f"passage {passage.id!r} is empty.")
        for shuffle_index, seed in pairs:
            spec = dataclasses.replace(base, prompt_sha256=text_hash(passage.text), shuffle_index=shuffle_index, seed=seed)
            units.append(WorkUnit(corpus=name, passage_id=passage.id, position=position, source=passage.source,
                                  text=passage.text, shuffle_index=shuffle_index, seed=seed, key=spec_key(spec)))
    return units


# --- where results go ---------------------------------------------------------------------------


class ResultSink(Protocol):
    """Where a corpus run looks for finished work and writes new results.

    A :class:`cache.ResultStore` is adapted by :func:`as_sink`; :class:`cache.shards.ShardWriter`
    (the CLI's sink when the dashboard may hold the main store) implements it directly.
    """

    def writer(self) -> ResultStore: ...

    def present(self, keys: Sequence[str], *, meta_fields: Sequence[str] = ()) -> dict[str, dict]: ...

    def failed(self, keys: Sequence[str]) -> dict[str, str]: ...

    def put_membership(self, rows) -> int: ...

    def members(self, corpus: str) -> list[Membership]: ...


@dataclass
class StoreSink:
    """A single store as a :class:`ResultSink` (the dashboard's in-process runs, tests)."""

    store: ResultStore

    def writer(self) -> ResultStore:
        return self.store

    def present(self, keys, *, meta_fields=()):
        return self.store.present(keys, meta_fields=meta_fields)

    def failed(self, keys):
        return self.store.failed(keys)

    def put_membership(self, rows) -> int:
        return self.store.put_membership(rows)

    def members(self, corpus: str) -> list[Membership]:
        return self.store.members(corpus)


def as_sink(target) -> ResultSink:
    return StoreSink(target) if isinstance(target, ResultStore) else target


# --- executing units ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitResult:
    """What happened to one unit: status "computed", "cached" (found while running) or "failed"."""

    unit: WorkUnit
    status: str
    seconds: float
    message: str = ""


class CachedLoader:
    """A model loader that keeps the last model (one load per run), for a device and thread count."""

    def __init__(self, *, device: str = "cpu", threads: int | None = None,
                 load: Callable[..., LoadedModel] = load_model) -> None:
        self.device, self.threads, self._load = device, threads, load
        self.loaded: LoadedModel | None = None
        self.load_seconds = 0.0

    def __call__(self, spec: ModelSpec, dtype: str) -> LoadedModel:
        if self.loaded is None or self.loaded.spec != spec or self.loaded.dtype != dtype:
            self.loaded = None  # free the previous model before loading the next
            started = time.perf_counter()
            self.loaded = self._load(spec, dtype=dtype, device=self.device, threads=self.threads)
            self.load_seconds += time.perf_counter() - started
        return self.loaded


def _load_quietly(spec: ModelSpec, **options) -> LoadedModel:
    """lm.load_model without Hugging Face's own progress bars (they would break a run's bar)."""
    from transformers.utils import logging

    logging.disable_progress_bar()
    return load_model(spec, **options)


def quiet_loader(device: str, threads: int | None) -> CachedLoader:
    """The model loader of a batch run (the CLI's, a Ray worker's): one model kept for the whole
    run, loaded without Hugging Face's progress bars."""
    return CachedLoader(device=device, threads=threads, load=_load_quietly)


def execute_unit(unit: WorkUnit, config: CorpusConfig, *, store: ResultStore, loader: ModelLoader) -> UnitResult:
    """Analyse one unit into ``store`` (cache first) and record its corpus membership there.

    A prompt that cannot be analysed (lm.PromptError: too short, shuffle index too large) is
    recorded as failed; any other error (the model cannot be loaded, the store fails) propagates.
    This is the function every executor calls, locally or on a remote worker.
    """
    return execute_units([unit], config, store=store, loader=loader)[0]


def execute_units(units: Sequence[WorkUnit], config: CorpusConfig, *, store: ResultStore,
                  loader: ModelLoader) -> list[UnitResult]:
    """:func:`execute_unit` for several units at once: the ones not in the store go through the
    model together (one padded batch, :func:`pipeline.runner.analyse_many`); a single unit runs
    exactly as the app runs a prompt.

    Units that cannot be analysed are recorded as failed, each on its own."""
    started = time.perf_counter()
    outcomes = analyse_many([_unit_request(unit, config, loader) for unit in units], store=store, loader=loader)
    seconds = (time.perf_counter() - started) / len(units)
    results = []
    for unit, attempt in zip(units, outcomes):
        if attempt.failed:
            store.put_membership([unit.membership(status="failed", message=str(attempt.error))])
            results.append(UnitResult(unit, "failed", seconds, str(attempt.error)))
            continue
        outcome = attempt.get()
        if outcome.key != unit.key:
            raise ExecutionError(f"unit {unit.label}: planned key {unit.key[:12]} but analysed {outcome.key[:12]}; "
                               "the model files changed during the run?")
        if not outcome.from_cache and not store.has(unit.key):  # a batch run must not lose results silently
            raise StoreError(outcome.cache_notice or f"the result of {unit.label} was not saved to {store.path}.")
        store.put_membership([unit.membership()])
        results.append(UnitResult(unit, "cached" if outcome.from_cache else "computed", seconds))
    return results


def _unit_request(unit: WorkUnit, config: CorpusConfig, loader: ModelLoader) -> Request:
    request = config.request(unit.text, shuffle_index=unit.shuffle_index, seed=unit.seed)
    loaded = getattr(loader, "loaded", None)
    if loaded is not None and not loaded.is_causal:
        request = dataclasses.replace(request, with_logits_id=False)  # an encoder has no logits
    return request


class Executor(Protocol):
    """Runs units and reports each result as it finishes; the seam for other execution engines.

    ``report`` may raise (KeyboardInterrupt from a progress bar): the executor lets it propagate
    after the results already reported are safely stored. ``should_stop`` is polled between units.
    """

    def __call__(self, units: Sequence[WorkUnit], config: CorpusConfig, *, sink: ResultSink, loader: ModelLoader,
                 report: Callable[[UnitResult], None], should_stop: Callable[[], bool]) -> None: ...


class SequentialExecutor:
    """The default: every unit in this process, in order, with one loaded model; ``batch_size``
    units at a time go through the model together (one padded batch). That is for GPUs, which a
    single prompt leaves mostly idle: on the project's 2-core CPU a batch of four 512-token prompts
    was no faster per prompt (1.47 s against 1.37 s). Memory grows with it: the logits of a batch
    take batch_size × N × V × 4 bytes."""

    def __init__(self, *, batch_size: int = 1) -> None:
        self.batch_size = max(1, int(batch_size))

    def __call__(self, units, config, *, sink, loader, report, should_stop) -> None:
        for start in range(0, len(units), self.batch_size):
            if should_stop():
                return
            for result in execute_units(units[start : start + self.batch_size], config, store=sink.writer(),
                                        loader=loader):
                report(result)


# --- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusProgress:
    """A progress report: after the skip check and after every unit.

    total: units in the plan; done = skipped + computed + failed; skipped: finished before this run;
    prompts_per_second: units computed per second of this run (NaN before the first);
    eta_seconds: time left at that rate (NaN when unknown); current: the unit just finished.
    """

    total: int
    done: int
    skipped: int
    computed: int
    failed: int
    elapsed: float
    prompts_per_second: float
    eta_seconds: float
    current: UnitResult | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True)
class CorpusSummary:
    """The end of a run. ``stopped``: asked to stop before every unit was done (resume by rerunning).
    ``failures``: (unit, reason) for units that cannot be analysed (recorded, not retried)."""

    total: int
    skipped: int
    computed: int
    failed: int
    stopped: bool
    seconds: float
    failures: tuple[tuple[WorkUnit, str], ...] = ()

    @property
    def remaining(self) -> int:
        return self.total - self.skipped - self.computed - self.failed

    @property
    def prompts_per_second(self) -> float:
        return self.computed / self.seconds if self.computed and self.seconds > 0 else float("nan")


def _complete(found: dict, config: CorpusConfig) -> bool:
    """A stored result serves this run unless the run wants a logits ID and it lacks one (an
    encoder model has neither logits nor a loss: its result is complete without), or the run wants
    per-token neighbour lists and it lacks them (results stored before that field always had them)."""
    if config.with_token_neighbors and 0 in (found.get("n_token_neighbors"), found.get("n_token_neighbours")):
        return False
    if not config.with_logits_id:
        return True
    logits_id, mean_loss = found.get("logits_id"), found.get("mean_loss")
    is_number = isinstance(logits_id, float)
    return (is_number and np.isfinite(logits_id)) or not (isinstance(mean_loss, float) and np.isfinite(mean_loss))


def pending_units(units: Sequence[WorkUnit], config: CorpusConfig, sink) -> tuple[list[WorkUnit], list[WorkUnit], dict[str, str]]:
    """Split ``units`` into (finished, to run) and the recorded failures among them, reading only
    the store's result list (no arrays, no model)."""
    sink = as_sink(sink)
    keys = list(dict.fromkeys(unit.key for unit in units))
    present = sink.present(keys, meta_fields=_CHECK_FIELDS)
    failed = sink.failed(keys)
    finished = [u for u in units if u.key in present and _complete(present[u.key], config)]
    done_keys = {u.key for u in finished}
    failures = {u.key: failed[u.key] for u in units if u.key in failed and u.key not in done_keys}
    todo = [u for u in units if u.key not in done_keys and u.key not in failures]
    return finished, todo, failures


def run_corpus(units: Sequence[WorkUnit], config: CorpusConfig, *, sink, loader: ModelLoader | None = None,
               executor: Executor | None = None, progress: Callable[[CorpusProgress], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> CorpusSummary:
    """Run every unfinished unit of a plan and record corpus membership; returns a summary.

    ``sink`` is a :class:`cache.ResultStore` or a :class:`ResultSink` (e.g. a ShardWriter).
    Finished units are skipped by key before anything is loaded (their membership is recorded
    again, which is harmless). ``should_stop`` is polled between units: when it returns True the
    run ends after the current unit with ``stopped=True``. An exception from ``progress`` or the
    loader (KeyboardInterrupt) propagates; every unit finished before it is stored.
    """
    started = time.perf_counter()
    sink = as_sink(sink)
    loader = loader or CachedLoader()
    executor = executor or SequentialExecutor()
    should_stop = should_stop or (lambda: False)
    progress = progress or (lambda report: None)
    finished, todo, recorded = pending_units(units, config, sink)
    skipped_failures = [u for u in units if u.key in recorded]
    known = {(m.corpus, m.passage_id, m.key, m.status) for corpus in {u.corpus for u in units}
             for m in sink.members(corpus)}
    missing = [u.membership() for u in finished] + [u.membership(status="failed", message=recorded[u.key])
                                                    for u in skipped_failures]
    missing = [m for m in missing if (m.corpus, m.passage_id, m.key, m.status) not in known]
    if missing:  # e.g. results computed for another corpus, or a run killed between result and membership
        sink.put_membership(missing)
    state = dict(computed=0, failed=len(skipped_failures), work_started=time.perf_counter())
    failures = [(u, recorded[u.key]) for u in skipped_failures]
    skipped = len(finished)

    def snapshot(current: UnitResult | None) -> CorpusProgress:
        now = time.perf_counter()
        ran = state["computed"] + state["failed"] - len(skipped_failures)
        rate = ran / (now - state["work_started"]) if ran else float("nan")
        left = len(units) - skipped - state["computed"] - state["failed"]
        return CorpusProgress(total=len(units), done=len(units) - left, skipped=skipped, computed=state["computed"],
                              failed=state["failed"], elapsed=now - started, prompts_per_second=rate,
                              eta_seconds=left / rate if ran else float("nan"), current=current)

    def report(result: UnitResult) -> None:
        if result.status == "failed":
            state["failed"] += 1
            failures.append((result.unit, result.message))
        else:
            state["computed"] += 1
        progress(snapshot(result))

    progress(snapshot(None))
    stopped = False
    if todo:
        state["work_started"] = time.perf_counter()
        executor(todo, config, sink=sink, loader=loader, report=report, should_stop=should_stop)
        stopped = skipped + state["computed"] + state["failed"] < len(units)
    return CorpusSummary(total=len(units), skipped=skipped, computed=state["computed"], failed=state["failed"],
                         stopped=stopped, seconds=time.perf_counter() - state["work_started"],
                         failures=tuple(failures))


# --- reading corpora back -----------------------------------------------------------------------

_SPEC_FIELDS = ("model_fingerprint", "dtype", "max_tokens", "add_special_tokens", "settings", "version",
                "shuffle_index", "seed", "prompt_sha256")
_CONFIG_COLUMNS = ["model_fingerprint", "dtype", "max_tokens", "add_special_tokens", "settings", "version"]
_PROMPT_META = ("model_name", "n_prompt_tokens", "truncated", "mean_loss", "contextual_entropy", "logits_id",
                "logits_id_error", "local_k", "compute_seconds")


def _config_id(values: Sequence[str | None]) -> str:
    """A short id of one model/settings configuration (from the spec fields as stored, JSON text)."""
    return spec_key(dict(zip(_CONFIG_COLUMNS, values)))[:12]


def _membership_frame(store: ResultStore, corpus: str | None) -> pd.DataFrame:
    frame = store.result_frame(kind=KIND, corpus=corpus, spec_fields=_SPEC_FIELDS, meta_fields=_PROMPT_META)
    frame = frame.rename(columns={f"spec_{f}": f for f in _SPEC_FIELDS} | {f"meta_{f}": f for f in _PROMPT_META})
    frame["config_id"] = [_config_id(values) for values in frame[_CONFIG_COLUMNS].itertuples(index=False)]
    for column in ("max_tokens", "version", "shuffle_index", "seed", "n_prompt_tokens", "local_k"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    for column in ("mean_loss", "contextual_entropy", "logits_id", "logits_id_error", "compute_seconds"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in ("add_special_tokens", "truncated"):
        frame[column] = frame[column].map({"true": True, "false": False})
    return frame


def corpora(store: ResultStore) -> pd.DataFrame:
    """What corpora the store holds: one row per (corpus, model and settings configuration).

    Columns: corpus, config_id (pass it to :func:`load_corpus`), model_name, model_fingerprint,
    dtype, max_tokens, add_special_tokens, settings (JSON), version, current (version is this
    program's), n_passages, n_analyses, shuffle_indices (sorted tuple), n_failed (units of the
    corpus recorded as not analysable, any configuration), last_created.
    """
    frame = _membership_frame(store, None)
    frame = frame[frame["corpus"].notna()]
    columns = ["corpus", "config_id", "model_name", *_CONFIG_COLUMNS, "current", "n_passages", "n_analyses",
               "shuffle_indices", "n_failed", "last_created"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    grouped = frame.groupby(["corpus", "config_id"], sort=True)
    summary = grouped.agg(model_name=("model_name", "first"), **{c: (c, "first") for c in _CONFIG_COLUMNS},
                          n_passages=("passage_id", "nunique"), n_analyses=("key", "nunique"),
                          shuffle_indices=("shuffle_index", lambda s: tuple(sorted(set(int(v) for v in s)))),
                          last_created=("created", "max")).reset_index()
    failed = pd.Series({name: len(store.members(name, status="failed")) for name in summary["corpus"].unique()})
    summary["n_failed"] = summary["corpus"].map(failed).fillna(0).astype(int)
    summary["current"] = summary["version"] == ANALYSIS_VERSION
    return summary[columns]


def _select(frame: pd.DataFrame, corpus: str, config_id: str | None, model_fingerprint: str | None,
            dtype: str | None, settings: SuiteSettings | None, current_only: bool) -> pd.DataFrame:
    if config_id is not None:
        frame = frame[frame["config_id"] == config_id]
    if model_fingerprint is not None:
        frame = frame[frame["model_fingerprint"] == model_fingerprint]
    if dtype is not None:
        frame = frame[frame["dtype"] == dtype]
    if settings is not None:
        wanted = dataclasses.asdict(settings)
        frame = frame[frame["settings"].map(lambda text: json.loads(text) == wanted)]
    if current_only:
        frame = frame[frame["version"] == ANALYSIS_VERSION]
    configs = frame.drop_duplicates("config_id")
    if len(configs) > 1:
        choices = "; ".join(f"{row.config_id}: {row.model_name} {row.dtype} max_tokens={row.max_tokens}"
                            for row in configs.itertuples())
        raise CorpusError(f"corpus {corpus!r} holds results of {len(configs)} configurations ({choices}); "
                          "pass config_id= (see corpora()) or model_fingerprint=/dtype=/settings= to choose one.")
    return frame


def load_corpus(store: ResultStore, corpus: str, *, config_id: str | None = None, model_fingerprint: str | None = None,
                dtype: str | None = None, settings: SuiteSettings | None = None, shuffle_index: int | None = None,
                with_neighbors: bool = False, current_only: bool = True) -> list[CorpusItem]:
    """The analyses of ``corpus`` for one model/settings configuration, in passage order.

    Filters: ``config_id`` (a row of :func:`corpora`) or ``model_fingerprint``/``dtype``/``settings``;
    results of an older analysis version are left out unless ``current_only=False``. If more than
    one configuration remains, CorpusError lists them. Unless ``with_neighbors``, the neighbour
    arrays (``neighbor_indices``, ``neighbor_distances``, ``lle_weights``: ~90 % of a stored
    analysis, unused by the statistics) are not read and are empty in the returned analyses.
    """
    frame = _membership_frame(store, corpus)
    if frame.empty:
        known = ", ".join(store.corpus_names()) or "none yet"
        raise CorpusError(f"the store has no results for corpus {corpus!r} (corpora: {known}).")
    frame = _select(frame, corpus, config_id, model_fingerprint, dtype, settings, current_only)
    if shuffle_index is not None:
        frame = frame[frame["shuffle_index"] == shuffle_index]
    names = None if with_neighbors else stored_array_names(with_neighbors=False)
    items = []
    for row in frame.itertuples():
        record = store.get(row.key, arrays=names)
        if record is None:
            continue
        arrays = dict(record.arrays)
        if not with_neighbors:
            arrays |= {"neighbor_indices": np.zeros((0, 0, 0), np.int32),
                       "neighbor_distances": np.zeros((0, 0, 0), np.float32),
                       "lle_weights": np.zeros((0, 0, 0), np.float32)}
        analysis = from_record(record.meta, arrays)
        if analysis is not None:
            items.append(CorpusItem(corpus=corpus, passage_id=row.passage_id, position=int(row.position),
                                    key=row.key, analysis=analysis))
    return items


def export_tables(store: ResultStore, *, corpus: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-layer long table, per-prompt table) of every prompt analysis, or of one corpus.

    Per-layer columns: corpus, passage_id, key, model_name, model_fingerprint, dtype, max_tokens,
    shuffle_index, seed, layer, statistic, value (statistics as in ``layer_values``).
    Per-prompt columns: corpus, passage_id, position, source, key, model_name, model_fingerprint,
    dtype, max_tokens, add_special_tokens, settings, version, shuffle_index, seed, prompt_sha256,
    n_prompt_tokens, truncated, mean_loss, contextual_entropy, logits_id, logits_id_error,
    local_k, compute_seconds, created. An analysis in no corpus has an empty corpus; one in two
    corpora appears twice.
    """
    prompts = _membership_frame(store, corpus)
    prompt_columns = ["corpus", "passage_id", "position", "source", "key", "model_name", *_CONFIG_COLUMNS,
                      "shuffle_index", "seed", "prompt_sha256", "n_prompt_tokens", "truncated", "mean_loss",
                      "contextual_entropy", "logits_id", "logits_id_error", "local_k", "compute_seconds", "created"]
    prompts = prompts[prompt_columns]
    values = store.layer_frame(None if corpus is None else list(prompts["key"].unique()))
    values = values.rename(columns={"name": "statistic"})
    ids = prompts[["corpus", "passage_id", "key", "model_name", "model_fingerprint", "dtype", "max_tokens",
                   "shuffle_index", "seed"]]
    layers = ids.merge(values, on="key", how="inner")
    layers = layers[["corpus", "passage_id", "key", "model_name", "model_fingerprint", "dtype", "max_tokens",
                     "shuffle_index", "seed", "layer", "statistic", "value"]]
    return layers.reset_index(drop=True), prompts.reset_index(drop=True)
