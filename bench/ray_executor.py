"""Sequential versus Ray on this machine: prompts per minute and Ray's overhead per task.

Runs the same corpus plan twice through ``pipeline.corpus.run_corpus``, each into its own store in
a temporary folder: once with the SequentialExecutor (one process, ``--threads`` torch threads,
default 2), once with the RayExecutor on a local Ray instance of ``--workers`` CPUs (one task per
``--units-per-task`` prompts, one torch thread per task). For each it prints

    wall       seconds from the first unit submitted to the last result (model loads included)
    per min    prompts per minute over that wall time
    steady     prompts per minute without the model loads (sequential: wall − load; Ray: units ÷
               the seconds the tasks ran, less their loads, × workers)

and for Ray, per task: the seconds from submission to the result at the driver minus the seconds
the task itself ran (scheduling, worker start, moving the shard back) — the first task of each
worker (which starts a worker process and imports torch) apart from the others —, the seconds the
driver took to land and merge each shard, and the seconds ``ray.init`` took. The load average is printed before and after: on a shared
machine it says how much of the 2 cores the runs had.

    nice .venv/bin/python bench/ray_executor.py [--model SmolLM2-135M-Instruct] [--prompts python-stdlib]
                                                [--limit 12] [--tokens 256] [--units-per-task 3] [--workers 2]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import corpus_parser  # noqa: E402  (configures the process as the app and the CLI do)


def main() -> None:
    parser = corpus_parser(__doc__, count_option="--limit", count=12, tokens=256)
    parser.add_argument("--units-per-task", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the sequential run")
    args = parser.parse_args()

    import ray

    from cache.shards import ShardWriter
    from cli.run import make_loader
    from lm import BUNDLED_MODELS
    from pipeline.corpus import CorpusConfig, SequentialExecutor, plan_corpus, run_corpus
    from pipeline.ray_executor import RayExecutor
    from prompts import load_prompt_set

    print(f"load average before: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} logical CPUs")
    prompt_set = load_prompt_set(args.prompts, target_tokens=args.tokens, limit=args.limit)
    wants_bos = args.model in BUNDLED_MODELS and BUNDLED_MODELS[args.model].wants_bos
    config = CorpusConfig(model=args.model, max_tokens=args.tokens, add_special_tokens=wants_bos)
    units = plan_corpus(prompt_set, config, shuffles=[0], seeds=1)
    n = len(units)
    print(f"{n} prompts of ≤{args.tokens} tokens from {args.prompts}, {args.model}, logits ID included")

    with tempfile.TemporaryDirectory(prefix="bench-ray-") as folder:
        folder = Path(folder)
        loader = make_loader("cpu", args.threads)
        writer = ShardWriter(folder / "sequential.duckdb")
        summary = run_corpus(units, config, sink=writer, loader=loader, executor=SequentialExecutor())
        writer.close()
        sequential = (summary.seconds, loader.load_seconds)
        print(f"sequential done: {summary.computed} in {summary.seconds:.1f} s (load {loader.load_seconds:.1f} s); "
              f"load average {os.getloadavg()[0]:.1f}")

        started = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False, _temp_dir=str(folder / "ray"))
        init_seconds = time.perf_counter() - started
        try:
            # merge_seconds=0: every shard is merged as it lands, to time that too (a run merges every 10 s)
            executor = RayExecutor(units_per_task=args.units_per_task, device="cpu", threads=1, merge_seconds=0)
            writer = ShardWriter(folder / "ray.duckdb")
            summary = run_corpus(units, config, sink=writer, executor=executor)
            writer.close()
        finally:
            ray.shutdown()
        timings = executor.timings
        print(f"ray done: {summary.computed} in {summary.seconds:.1f} s; load average {os.getloadavg()[0]:.1f}")

    seq_wall, seq_load = sequential
    first, later = timings[: args.workers], timings[args.workers :]
    ray_loads = sum(t.load_seconds for t in timings)
    ray_compute = sum(t.task_seconds for t in timings) - ray_loads
    print()
    print("| run | wall s | prompts/min | prompts/min without model loads |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| sequential, 1 process, {args.threads} torch threads | {seq_wall:.1f} | {60 * n / seq_wall:.1f} | "
          f"{60 * n / (seq_wall - seq_load):.1f} |")
    print(f"| Ray, {args.workers} workers × 1 thread, {len(timings)} tasks of ≤{args.units_per_task} | "
          f"{summary.seconds:.1f} | {60 * n / summary.seconds:.1f} | {60 * n * args.workers / ray_compute:.1f} |")
    print()
    print(f"ray.init: {init_seconds:.1f} s; model load per worker: "
          f"{', '.join(f'{t.load_seconds:.1f}' for t in first)} s (sequential: {seq_load:.1f} s)")
    print(f"seconds per prompt in a task (loads excluded): {ray_compute / n:.2f}; sequential: "
          f"{(seq_wall - seq_load) / n:.2f}")
    overhead = lambda group: [t.wall_seconds - t.task_seconds for t in group]  # noqa: E731
    print(f"overhead per task, first task of each worker (worker start + imports): "
          f"{', '.join(f'{o:.2f}' for o in overhead(first))} s")
    if later:
        print(f"overhead per task, later tasks: median {statistics.median(overhead(later)):.2f} s, "
              f"max {max(overhead(later)):.2f} s over {len(later)} tasks")
    merges = [t.merge_seconds for t in timings]
    print(f"driver's landing + merge of a task's shard: median {statistics.median(merges):.2f} s, "
          f"max {max(merges):.2f} s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
