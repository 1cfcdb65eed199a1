"""The per-layer geometry suite against its bare lower bounds, on a 31 × 1024 × 576 cloud.

    .venv/bin/python bench/geometry_suite.py [--runs 5] [--synthetic] [--fresh] [--profile] [--umap-runs 3]
                                             [--aligned]

Suite: exactly what the pipeline runs on a prompt (``pipeline.runner._layer_statistics``): for
every layer 1..L one ``prepare_layer`` (exact-duplicate removal + one certified exact neighbour search
with k = 64) and ``layer_suite`` (the registered statistics of ``geometry.registry``: TwoNN
linear + MLE, GRIDE scan r = 2..64, cosine with/without diagonal, participation ratio; then local
ID, angles, the token neighbour lists and LLE weights), and ``pair_statistics`` (overlap
k = 1..6) between successive layers — two layers at a time on two threads
(``geometry.suite.suites_over_layers``).

Bare lower bounds, on the same layers: one pairwise squared distance matrix ‖x_i‖² + ‖x_j‖² −
2·X Xᵀ per layer plus a top-k (argpartition to the 64 nearest, self excluded, then those 64
sorted) — the least work that yields (approximately) the neighbours every statistic is computed
from — in float64 and in float32, run the same way, two layers at a time with BLAS on one thread
each (the same cores as the suite). *Search*: the certified exact search alone
(``geometry.neighbors.nearest_neighbors``, k = 64), run the same way, and the previous float64
search (``bench/_float64_search.py``) alone and inside the suite. All are timed alternately in
one process; ratios of the medians are printed (goal: suite ÷ float32 bound ≤ 1.3).
``--profile`` prints a pyinstrument profile of one suite run.

UMAP: a seeded 2-D ``umap_projection`` of single layers after ``warm_up_umap`` (numba compiled),
as the UMAP page computes it (fed our neighbours), alternated with the same UMAP searching its
neighbours itself (umap-learn's default). ``--aligned``: ``aligned_projections`` of all layers
(the UMAP page's *Align layers*, goal ≤ 20 s for 30 layers of 1024 tokens).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from _common import benchmark_cloud, interleaved, machine, summary  # noqa: E402  (puts the repo on sys.path)

from geometry.projection import aligned_projections, umap_projection, warm_up_umap  # noqa: E402
from geometry.blas import one_blas_thread  # noqa: E402
from geometry.neighbors import nearest_neighbors  # noqa: E402
from _float64_search import float64_nearest_neighbors  # noqa: E402
from geometry.suite import SuiteSettings  # noqa: E402
from pipeline.runner import _layer_statistics, no_progress  # noqa: E402

SETTINGS = SuiteSettings()


def suite(hidden: np.ndarray, search=None) -> None:
    _layer_statistics(hidden, SETTINGS, no_progress, [], search=search)


def previous_search(points: np.ndarray, k: int):
    return float64_nearest_neighbors(points, k=k)


def bare_layer(x: np.ndarray, k: int = SETTINGS.k_distinct, dtype=np.float64) -> None:
    x = x.astype(dtype)
    squared = np.einsum("ij,ij->i", x, x)
    d2 = squared[:, None] + squared[None, :] - 2.0 * (x @ x.T)
    np.fill_diagonal(d2, np.inf)
    nearest = np.argpartition(d2, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(d2, nearest, axis=1), axis=1)
    np.take_along_axis(nearest, order, axis=1)


def bare(hidden: np.ndarray, dtype=np.float64) -> None:
    with one_blas_thread(), ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda x: bare_layer(x, dtype=dtype), hidden[1:]))


def search(hidden: np.ndarray, function=nearest_neighbors) -> None:
    with one_blas_thread(), ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda x: function(x.astype(np.float64), k=SETTINGS.k_distinct), hidden[1:]))


def search_sizes(hidden: np.ndarray, *, runs: int) -> None:
    """Certified search ÷ previous float64 search (k = 64, BLAS on every core) on clouds of 512 … 4096
    points: single layers below 1024, layers stacked above (the search's cost is n²·d for the product
    but n·k·d for the float64 distances of the candidates, so the float32 product pays off with n)."""
    for n in (512, 1024, 2048, 4096):
        stacked = np.concatenate(list(hidden[1:]))
        clouds = [np.ascontiguousarray(stacked[start:start + n], dtype=np.float64)
                  for start in np.linspace(0, stacked.shape[0] - n, 4).astype(int)]
        times = interleaved({"certified": lambda: [nearest_neighbors(c, k=SETTINGS.k_distinct) for c in clouds],
                             "previous": lambda: [float64_nearest_neighbors(c, k=SETTINGS.k_distinct) for c in clouds]},
                            runs=runs)
        certified, previous = statistics.median(times["certified"]) / 4, statistics.median(times["previous"]) / 4
        print(f"search n = {n:4d}: certified {1000 * certified:7.1f} ms, previous float64 {1000 * previous:7.1f} ms, "
              f"ratio {certified / previous:.2f}; load average now {machine().rsplit('load average ', 1)[1]}")


def umap_searching_itself(x: np.ndarray) -> None:
    import warnings

    import umap

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_jobs value .* overridden")
        umap.UMAP(n_components=2, n_neighbors=15, min_dist=0.1, random_state=0).fit_transform(x)


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
    parser.add_argument("--aligned", action="store_true", help="also time the aligned UMAP of every layer")
    parser.add_argument("--sizes", action="store_true",
                        help="the certified search against the previous float64 search at 512 … 4096 points")
    args = parser.parse_args()

    hidden, source, _ = benchmark_cloud(synthetic=args.synthetic, fresh=args.fresh)
    n_layers = hidden.shape[0] - 1
    print(f"machine: {machine()}")
    print(f"cloud:   {source}: {hidden.shape[0]} × {hidden.shape[1]} × {hidden.shape[2]} "
          f"(suite on layers 1..{n_layers})")

    times = interleaved({"suite": lambda: suite(hidden), "suite64": lambda: suite(hidden, previous_search),
                         "bare": lambda: bare(hidden), "bare32": lambda: bare(hidden, np.float32),
                         "search": lambda: search(hidden), "search64": lambda: search(hidden, float64_nearest_neighbors),
                         "serial": lambda: bare_serial(hidden)}, runs=args.runs)
    median = {name: statistics.median(values) for name, values in times.items()}
    ratio, ratio32 = median["suite"] / median["bare"], median["suite"] / median["bare32"]
    paired = statistics.median(s / b for s, b in zip(times["suite"], times["bare32"]))
    print(f"suite  (pipeline, {n_layers} layers):            {summary(times['suite'])}")
    print(f"suite  with the previous float64 search:          {summary(times['suite64'])}")
    print(f"search (certified exact k={SETTINGS.k_distinct} search alone):     {summary(times['search'])}")
    print(f"search the previous float64 search alone:         {summary(times['search64'])}")
    print(f"bare   (float64 distances + top-{SETTINGS.k_distinct}, {n_layers} layers, 2 at a time): {summary(times['bare'])}")
    print(f"bare32 (float32 distances + top-{SETTINGS.k_distinct}, {n_layers} layers, 2 at a time): {summary(times['bare32'])}")
    print(f"bare   one layer at a time (BLAS on every core): {summary(times['serial'])}")
    print(f"ratio  suite / float32 bare: {ratio32:.2f} (median of paired ratios {paired:.2f}); goal ≤ 1.3: "
          f"{'met' if ratio32 <= 1.3 else 'NOT met'}")
    print(f"ratio  suite / suite with the previous search: {median['suite'] / median['suite64']:.2f}; "
          f"search / previous search: {median['search'] / median['search64']:.2f}")
    print(f"ratio  suite / float64 bare: {ratio:.2f}; search / float32 bare: {median['search'] / median['bare32']:.2f}; "
          f"search / float64 bare: {median['search'] / median['bare']:.2f}")
    print(f"       per layer: suite {1000 * median['suite'] / n_layers:.1f} ms, search {1000 * median['search'] / n_layers:.1f} ms, "
          f"bare {1000 * median['bare'] / n_layers:.1f} ms, bare32 {1000 * median['bare32'] / n_layers:.1f} ms; "
          f"load average now {machine().rsplit('load average ', 1)[1]}")

    if args.sizes:
        search_sizes(hidden, runs=args.runs)

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
        ours_times, itself_times = [], []
        for layer in layers:  # alternated: ours, then umap-learn searching its own neighbours
            started = time.perf_counter()
            umap_projection(hidden[layer], n_components=2, random_state=0)
            ours_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            umap_searching_itself(hidden[layer])
            itself_times.append(time.perf_counter() - started)
        print(f"UMAP   warm-up (import + numba compilation, once per process): {compile_seconds:.1f} s")
        print(f"UMAP   one layer, {hidden.shape[1]} points, 2-D, seeded (layers {', '.join(map(str, layers))}): "
              f"{summary(ours_times)}; goal ~2–3 s: {'met' if statistics.median(ours_times) <= 3 else 'NOT met'}")
        print(f"UMAP   the same, umap-learn searching its own neighbours: {summary(itself_times)}; ours saves "
              f"{statistics.median(i - o for i, o in zip(itself_times, ours_times)):.2f} s per layer "
              f"({statistics.median(itself_times) / statistics.median(ours_times):.2f}×)")
    if args.aligned:
        started = time.perf_counter()
        aligned_projections(list(hidden[1:]), n_components=2, mode="init", random_state=0)
        seconds = time.perf_counter() - started
        print(f"UMAP   aligned, all {n_layers} layers (mode 'init', as the UMAP page): {seconds:.1f} s "
              f"({seconds / n_layers:.2f} s per layer); goal ≤ 20 s: {'met' if seconds <= 20 else 'NOT met'}; "
              f"load average now {machine().rsplit('load average ', 1)[1]}")

if __name__ == "__main__":
    main()
