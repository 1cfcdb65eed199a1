"""The per-layer geometry suite against its bare lower bound, on a 31 × 1024 × 576 cloud.

    .venv/bin/python bench/geometry_suite.py [--runs 5] [--synthetic] [--fresh] [--profile] [--umap-runs 3]

Suite: exactly what the pipeline runs on a prompt (``pipeline.runner._layer_statistics``): for
every layer 1..L one ``prepare_layer`` (exact-duplicate removal + one float64 neighbour search
with k = 64) and ``layer_suite`` (TwoNN linear + MLE, GRIDE scan r = 2..64, local ID, angles,
cosine with/without diagonal, the token neighbour lists and LLE weights), and
``consecutive_overlap`` (k = 1..6) between successive layers — two layers at a time on two
threads (``geometry.suite.suites_over_layers``).

Bare lower bound, on the same layers and in the same dtype (float64): one pairwise squared
distance matrix ‖x_i‖² + ‖x_j‖² − 2·X Xᵀ per layer plus a top-k (argpartition to the 64 nearest,
self excluded, then those 64 sorted) — the least work that yields the neighbours every
statistic is computed from — run the same way, two layers at a time with BLAS on one thread each
(the same cores as the suite). It is also timed one layer at a time (BLAS on every core), as it
was before the suite used threads. All are timed alternately in one process; the ratio of the
medians is printed (goal ≤ 2). ``--profile`` prints a pyinstrument profile of one suite run.

UMAP: a seeded 2-D ``umap_projection`` of single layers after ``warm_up_umap`` (numba compiled),
as the UMAP page computes it (goal ~2–3 s for 1024 points).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from _common import benchmark_cloud, interleaved, machine, summary  # noqa: E402  (puts the repo on sys.path)

from geometry.projection import umap_projection, warm_up_umap  # noqa: E402
from geometry.blas import one_blas_thread  # noqa: E402
from geometry.suite import SuiteSettings  # noqa: E402
from pipeline.runner import _layer_statistics, no_progress  # noqa: E402

SETTINGS = SuiteSettings()


def suite(hidden: np.ndarray) -> None:
    _layer_statistics(hidden, SETTINGS, no_progress, [])


def bare_layer(x: np.ndarray, k: int = SETTINGS.k_distinct) -> None:
    x = x.astype(np.float64)
    squared = np.einsum("ij,ij->i", x, x)
    d2 = squared[:, None] + squared[None, :] - 2.0 * (x @ x.T)
    np.fill_diagonal(d2, np.inf)
    nearest = np.argpartition(d2, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(d2, nearest, axis=1), axis=1)
    np.take_along_axis(nearest, order, axis=1)


def bare(hidden: np.ndarray) -> None:
    with one_blas_thread(), ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(bare_layer, hidden[1:]))


def bare_serial(hidden: np.ndarray) -> None:
    for layer in range(1, hidden.shape[0]):
        bare_layer(hidden[layer])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (after one warm-up run)")
    parser.add_argument("--synthetic", action="store_true", help="use a synthetic cloud instead of the model's")
    parser.add_argument("--fresh", action="store_true", help="recompute the cached benchmark cloud")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of one suite run")
    parser.add_argument("--umap-runs", type=int, default=3, help="UMAP fits timed (0 skips UMAP)")
    args = parser.parse_args()

    hidden, source, _ = benchmark_cloud(synthetic=args.synthetic, fresh=args.fresh)
    n_layers = hidden.shape[0] - 1
    print(f"machine: {machine()}")
    print(f"cloud:   {source}: {hidden.shape[0]} × {hidden.shape[1]} × {hidden.shape[2]} "
          f"(suite on layers 1..{n_layers})")

    times = interleaved({"suite": lambda: suite(hidden), "bare": lambda: bare(hidden),
                         "serial": lambda: bare_serial(hidden)}, runs=args.runs)
    ratio = statistics.median(times["suite"]) / statistics.median(times["bare"])
    paired = statistics.median(s / b for s, b in zip(times["suite"], times["bare"]))
    print(f"suite  (pipeline, {n_layers} layers):            {summary(times['suite'])}")
    print(f"bare   (float64 distances + top-{SETTINGS.k_distinct}, {n_layers} layers, 2 at a time): {summary(times['bare'])}")
    print(f"bare   one layer at a time (BLAS on every core): {summary(times['serial'])}")
    print(f"ratio  suite / bare: {ratio:.2f} (median of paired ratios {paired:.2f}); goal ≤ 2: "
          f"{'met' if ratio <= 2 else 'NOT met'}")
    print(f"       per layer: suite {1000 * statistics.median(times['suite']) / n_layers:.1f} ms, "
          f"bare {1000 * statistics.median(times['bare']) / n_layers:.1f} ms; load average now {machine().rsplit('load average ', 1)[1]}")

    if args.profile:
        from pyinstrument import Profiler  # pip install pyinstrument (see bench/README.md)

        profiler = Profiler(interval=0.0005)
        profiler.start()
        suite(hidden)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))

    if args.umap_runs > 0:
        started = time.perf_counter()
        warm_up_umap()
        compile_seconds = time.perf_counter() - started
        layers = np.linspace(1, n_layers, args.umap_runs + 2).round().astype(int)[1:-1]
        umap_times = []
        for layer in layers:
            started = time.perf_counter()
            umap_projection(hidden[layer], n_components=2, random_state=0)
            umap_times.append(time.perf_counter() - started)
        print(f"UMAP   warm-up (import + numba compilation, once per process): {compile_seconds:.1f} s")
        print(f"UMAP   one layer, {hidden.shape[1]} points, 2-D, seeded (layers {', '.join(map(str, layers))}): "
              f"{summary(umap_times)}; goal ~2–3 s: {'met' if statistics.median(umap_times) <= 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
