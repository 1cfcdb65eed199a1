"""Corpus runs on a Ray cluster: :class:`RayExecutor`, an :class:`pipeline.corpus.Executor`.

One Ray task per group of ``units_per_task`` units. A task loads the model on its worker (once per
worker process: the loader is kept between tasks), runs its units with
:func:`pipeline.corpus.execute_units` into a shard file of its own — a new file per attempt, so a
retried task never reopens one — and returns the units' :class:`~pipeline.corpus.UnitResult` s.
The driver reports each result as its task finishes (the progress bar, prompts/s, ETA), lands the
shard in ``<store>.shards/`` and merges the shards that came back into the main store while the
run goes on, every ``merge_seconds`` and at the end (:mod:`cache.shards`; merging keeps one copy
per key, so a unit computed twice is stored once).

Where shards are written (``shards=``):

* ``"return"`` (default; works on any cluster): the task writes its shard in a temporary folder of
  its node, reads the closed file back, deletes it and returns its bytes with the results; the
  driver writes them into ``<store>.shards/``. A 512-token SmolLM2 result is ~0.5 MB, so a
  64-unit group ships ~30 MB through Ray's object store.
* ``"shared"``: the store's folder is on a file system that every node sees at the same path
  (NFS, Lustre): tasks write straight into ``<store>.shards/``. A worker that dies mid-group
  leaves the results it committed, which the driver merges too.

Ray is an optional dependency (requirements-ray.txt): this module imports it only when a run
starts, so importing it (or anything else of the project) never imports Ray.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import allocator
import settings
from pipeline.corpus import CachedLoader, CorpusConfig, StoreSink, UnitResult, WorkUnit, execute_units, quiet_loader
from pipeline.errors import ExecutionError

SHARD_MODES = ("return", "shared")
RAY_INSTALL_HINT = "Ray is not installed: `.venv/bin/python -m pip install -r requirements-ray.txt`."
_POLL_SECONDS = 0.5

# The worker process's loader, kept between tasks so a worker loads its model once.
_WORKER_LOADERS: dict[tuple[str, int | None], CachedLoader] = {}


class RayUnavailable(ExecutionError):
    """Ray is not installed or the cluster cannot be reached; the message says what to do."""


class RayTaskFailed(ExecutionError):
    """A task could not finish (its worker died more often than ``max_retries``, a node was lost)."""


@dataclass(frozen=True)
class GroupOutcome:
    """What one task sends back: its units' results and its shard (bytes in "return" mode, the
    path in "shared" mode), with the task's own timings (seconds in the task; of which loading)."""

    results: tuple[UnitResult, ...]
    shard_name: str
    shard_bytes: bytes | None
    shard_path: str | None
    host: str
    seconds: float
    load_seconds: float


def _worker_loader(device: str, threads: int | None) -> CachedLoader:
    key = (device, threads)
    if key not in _WORKER_LOADERS:
        _WORKER_LOADERS.clear()  # one model per worker process
        _WORKER_LOADERS[key] = quiet_loader(device, threads)
    return _WORKER_LOADERS[key]


def run_group(units: Sequence[WorkUnit], config: CorpusConfig, *, store_path: str, shards: str, device: str,
              threads: int | None, batch_size: int) -> GroupOutcome:
    """The body of one Ray task (a plain function: it runs anywhere the project is importable).

    Writes ``units`` into a fresh shard — in ``<store>.shards/`` ("shared") or in a temporary
    folder whose file is returned as bytes and then deleted ("return") — and returns the results.
    """
    from cache import open_store
    from cache.shards import new_shard_path
    allocator.keep_freed_memory()  # process-wide, once per worker (startup.configure_process does it in the driver)

    started = time.perf_counter()
    loader = _worker_loader(device, threads)
    load_before = loader.load_seconds
    name = new_shard_path(store_path).name  # host, pid, ms and a random suffix: new per attempt
    folder = Path(store_path + ".shards") if shards == "shared" else Path(tempfile.mkdtemp(prefix="token-geometry-"))
    path = folder / name
    try:
        store = open_store(path)
        try:
            results = []
            for start in range(0, len(units), batch_size):
                results += execute_units(units[start : start + batch_size], config, store=store, loader=loader)
        finally:
            store.close()  # unlocks the shard: it can be merged (or read back) now
        data = path.read_bytes() if shards == "return" else None
    finally:
        if shards == "return":
            shutil.rmtree(folder, ignore_errors=True)
    return GroupOutcome(results=tuple(results), shard_name=name, shard_bytes=data,
                        shard_path=str(path) if shards == "shared" else None, host=os.uname().nodename,
                        seconds=time.perf_counter() - started, load_seconds=loader.load_seconds - load_before)


def land_shard(store_path: str | Path, outcome: GroupOutcome) -> Path | None:
    """Put a returned shard into ``<store>.shards/`` (written under a temporary name and renamed,
    so a merge never sees half a file); returns its path. A shared-mode shard is there already."""
    if outcome.shard_bytes is None:
        return Path(outcome.shard_path) if outcome.shard_path else None
    from cache.shards import shard_dir

    folder = shard_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / outcome.shard_name
    if target.exists():  # names are unique per attempt; never overwrite a file all the same
        target = folder / f"{target.stem}-{uuid.uuid4().hex[:6]}{target.suffix}"
    partial = folder / f".{target.name}.{uuid.uuid4().hex[:6]}.part"
    partial.write_bytes(outcome.shard_bytes)
    os.replace(partial, target)
    return target


@dataclass(frozen=True)
class TaskTiming:
    """One finished task as the driver saw it: units, seconds from submission to its result, the
    seconds the task itself ran (model loading included; wall − task is Ray's overhead) and the
    seconds the driver then took to land its shard (and to merge the waiting shards, when due)."""

    units: int
    wall_seconds: float
    task_seconds: float
    load_seconds: float
    merge_seconds: float


class RayExecutor:
    """Runs a corpus plan as Ray tasks; see the module docstring.

    ``address``: None starts a local Ray instance for the run (all cores), ``"auto"`` joins the
    cluster this machine belongs to (``ray start``), ``"ray://host:10001"`` connects as a Ray
    client. If Ray is already initialised in this process it is used as it is (and left running).
    ``units_per_task``: units per task (a task should take minutes on a real cluster).
    ``gpus_per_task`` / ``cpus_per_task``: Ray resources of a task (fractions share a device).
    ``device``/``threads``: the model loader on the workers ("auto": CUDA where the worker has it).
    ``batch_size``: units per forward pass inside a task. ``max_retries``: attempts after a worker
    dies. ``merge_seconds``: the driver merges the shards that came back at most this often (and
    at the end), so that merging many small shards never holds up the submission of new tasks.
    ``task``: the function a task runs (default :func:`run_group`; tests wrap it).
    At most as many tasks are in flight as the cluster can run at once, so a first Ctrl-C
    (``should_stop``) submits nothing more and waits only for the tasks already running; a
    second one (KeyboardInterrupt) cancels them and returns at once.
    """

    def __init__(self, *, store_path: str | Path | None = None, address: str | None = None, units_per_task: int = 16,
                 gpus_per_task: float = 0.0, cpus_per_task: float = 1.0, device: str = "auto",
                 threads: int | None = None, batch_size: int = 1, shards: str = "return", max_retries: int = 3,
                 merge_seconds: float = 10.0, task: Callable[..., GroupOutcome] | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        if shards not in SHARD_MODES:
            raise ExecutionError(f"shards must be one of {SHARD_MODES}, got {shards!r}")
        self.store_path = None if store_path is None else Path(store_path)
        self.address, self.shards, self.max_retries = address, shards, max_retries
        self.units_per_task, self.batch_size = max(1, int(units_per_task)), max(1, int(batch_size))
        self.gpus_per_task, self.cpus_per_task = float(gpus_per_task), float(cpus_per_task)
        self.device, self.threads, self.merge_seconds = device, threads, float(merge_seconds)
        self.task = task or run_group
        self.notify = notify or (lambda text: None)
        self.timings: list[TaskTiming] = []
        self.landed: list[Path] = []  # the shards this run put beside the store (merged ones are gone)

    def _store_path(self, sink) -> Path:
        if self.store_path is not None:
            return self.store_path
        if hasattr(sink, "store_path"):
            return Path(sink.store_path)
        if isinstance(sink, StoreSink) and sink.store.path != ":memory:":
            return Path(sink.store.path)
        raise ExecutionError("RayExecutor needs a store file (store_path=) to put the workers' shards beside.")

    def _merge(self, sink, shards: list[Path]) -> None:
        """Finished shards into the main store now, if it is free (else they wait for a later merge).

        A ShardWriter first closes the driver's own shard, if it has one open (``rotate``): DuckDB
        cannot attach a file that this process holds open."""
        from cache import merge_shards

        if isinstance(sink, StoreSink):
            report = merge_shards(sink.store, shards=shards)
        elif hasattr(sink, "rotate"):
            report = sink.rotate()
        else:
            report = None  # another kind of sink: the shards wait in <store>.shards/ for its merge
        if report is not None and report.skipped:
            self.notify(report.message)

    def _slots(self, ray) -> int:
        """How many tasks the cluster can run at once now (re-read: nodes may join)."""
        resources = ray.cluster_resources()
        slots = [int(resources.get("CPU", 0) // self.cpus_per_task)] if self.cpus_per_task > 0 else []
        if self.gpus_per_task > 0:
            slots.append(int(resources.get("GPU", 0) // self.gpus_per_task))
        return max(1, min(slots)) if slots else 1

    def __call__(self, units: Sequence[WorkUnit], config: CorpusConfig, *, sink, loader, report, should_stop) -> None:
        store_path = self._store_path(sink)
        started_here = connect(self.address, notify=self.notify)
        import ray

        try:
            self._run(ray, units, config, store_path=store_path, sink=sink, report=report, should_stop=should_stop)
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, ray, units, config, *, store_path: Path, sink, report, should_stop) -> None:
        remote = ray.remote(self.task).options(
            num_cpus=self.cpus_per_task, num_gpus=self.gpus_per_task, max_retries=self.max_retries,
            retry_exceptions=False, runtime_env=_worker_environment())
        groups = [list(units[i : i + self.units_per_task]) for i in range(0, len(units), self.units_per_task)]
        resources = ray.cluster_resources()
        for name, wanted, flag in (("CPU", self.cpus_per_task, "--cpus-per-task"),
                                   ("GPU", self.gpus_per_task, "--gpus-per-task")):
            if wanted > resources.get(name, 0):  # such a task would wait for ever
                raise RayUnavailable(f"a task asks for {wanted:g} {name}(s) ({flag}) but the Ray cluster has "
                                     f"{resources.get(name, 0):g} in all; ask for less or add nodes.")
        self.notify(f"Ray: {len(groups)} task(s) of up to {self.units_per_task} prompts on a cluster of "
                    f"{resources.get('CPU', 0):g} CPU(s) and {resources.get('GPU', 0):g} GPU(s); result files "
                    + ("come back to this machine." if self.shards == "return" else f"go to {store_path}.shards/."))
        config_ref = ray.put(config)
        in_flight: dict = {}
        waiting: list[Path] = []  # landed shards not merged yet
        last_merge = time.monotonic()
        try:
            while groups or in_flight:
                if not should_stop():
                    while groups and len(in_flight) < self._slots(ray):
                        group = groups.pop(0)
                        ref = remote.remote(group, config_ref, store_path=str(store_path), shards=self.shards,
                                            device=self.device, threads=self.threads, batch_size=self.batch_size)
                        in_flight[ref] = (len(group), time.perf_counter())
                elif groups:
                    groups = []  # asked to stop: submit nothing more, let running tasks finish
                if not in_flight:
                    break
                done, _ = ray.wait(list(in_flight), num_returns=1, timeout=_POLL_SECONDS)
                for ref in done:
                    n_units, submitted = in_flight.pop(ref)
                    outcome: GroupOutcome = _result(ray, ref)
                    received = time.perf_counter()
                    waiting.append(land_shard(store_path, outcome))  # stored: a rerun finds its results
                    self.landed.append(waiting[-1])
                    if time.monotonic() - last_merge >= self.merge_seconds:
                        self._merge(sink, waiting)
                        waiting, last_merge = [], time.monotonic()
                    self.timings.append(TaskTiming(
                        units=n_units, wall_seconds=received - submitted, task_seconds=outcome.seconds,
                        load_seconds=outcome.load_seconds, merge_seconds=time.perf_counter() - received))
                    for result in outcome.results:
                        report(result)
        except BaseException:
            for ref in in_flight:  # Ctrl-C twice, an error: nothing keeps running for this run
                ray.cancel(ref)
            raise
        finally:
            if waiting:
                self._merge(sink, waiting)


def _result(ray, ref) -> GroupOutcome:
    """A finished task's outcome; a task that raised re-raises its own error here (an LMError when
    the model cannot be loaded on a worker, a StoreError...), a task whose workers kept dying
    raises :class:`RayTaskFailed`."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as error:
        cause = getattr(error, "cause", None)
        if isinstance(cause, Exception) and not isinstance(cause, ray.exceptions.RayError):
            raise cause from None
        raise RayTaskFailed(f"a Ray task failed: {error}") from None
    except ray.exceptions.RayError as error:  # worker died more than max_retries times, node lost...
        raise RayTaskFailed(f"a Ray task failed: {type(error).__name__}: {str(error).splitlines()[0]}") from None


def connect(address: str | None, *, notify: Callable[[str], None] = lambda text: None) -> bool:
    """Initialise Ray for a run; True if this call did it (the run shuts it down at its end), False
    if Ray was already initialised in this process (then it is left as it is). Ray's own log lines
    below ERROR are not shown (they would break the progress bar); ``notify`` says what happens."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable(RAY_INSTALL_HINT) from None
    if ray.is_initialized():
        return False
    notify(f"Connecting to the Ray cluster at {address}…" if address else
           "Starting a local Ray instance on this machine's cores (give --ray-address to use a cluster)…")
    # The job's environment too, not only the tasks': a Ray client's server unpickles the config.
    options = dict(address=address, log_to_driver=False, logging_level=logging.ERROR,
                   runtime_env=_worker_environment())
    if address is None:
        options["include_dashboard"] = False
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise RayUnavailable(f"cannot start or reach the Ray cluster at {address or 'a new local instance'}: "
                             f"{error}") from None
    return True


def _worker_environment() -> dict:
    """The tasks' runtime environment: this project on ``PYTHONPATH``, at the path it has here (on
    a cluster every node has the project at that path; see docs/scaling.md)."""
    root = str(Path(__file__).resolve().parents[1])
    paths = [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    # The driver's OpenMP wait policy (startup.configure_process), in place before a worker loads torch.
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(paths), "OMP_WAIT_POLICY": settings.current().omp_wait_policy}}
