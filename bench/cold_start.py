"""What a cold start is made of: a fresh process from the first import to the first analysis.

    .venv/bin/python bench/cold_start.py [--tokens 512] [--repeats 3]

Each repeat runs ``bench/cold_start.py --probe`` in a new interpreter (as the Streamlit server is a
new process), which times, in the order the app meets them: the interpreter itself, ``import
streamlit``, ``import torch``, ``import transformers``, the rest of what the Layers page imports
(``pipeline``, ``lm``, ``geometry``, ``cache``, ``ui``), loading the bundled model (converted
before), then the first analysis of a prompt of ``--tokens`` tokens (store=None), split into the
forward pass, the geometry, and within the geometry the first use of the exact-distance kernels
(``import numba`` and loading the compiled kernels from numba's disk cache), and a second
analysis of another prompt (warm), each followed by the Layers page's open chart (the ID chart)
built and serialised as Streamlit sends it. Prints each phase's median over the repeats, the two
totals against issue 14's targets (cold start → first Layers chart ≤ 8 s, warm Run → chart ≤ 2 s;
here without the server and the browser) and the load average. The browser's share (server start, first paint, the websocket round trips) is measured
by bench/app_latency.py (a).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLD_GOAL, WARM_GOAL = 8.0, 2.0  # issue 14: cold start → first Layers chart; warm Run → chart (512 tokens)
STARTED = time.perf_counter()


def probe(tokens: int) -> dict:
    sys.path.insert(0, str(ROOT))
    phases: dict[str, float] = {}

    def timed(name, function):
        started = time.perf_counter()
        result = function()
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - started
        return result

    timed("import streamlit", lambda: __import__("streamlit"))
    timed("import torch", lambda: __import__("torch"))
    timed("import transformers", lambda: __import__("transformers"))
    timed("import numba (exact-distance kernels, UMAP)", lambda: __import__("numba"))

    def app_modules():
        import cache  # noqa: F401
        import geometry.suite  # noqa: F401
        import lm  # noqa: F401
        import pipeline  # noqa: F401
        import ui.figures.layers  # noqa: F401
        import ui.run  # noqa: F401

    timed("import the app's modules", app_modules)
    import geometry.exact_distances as exact_distances
    import pipeline.runner as runner
    from lm import load_model, resolve_model

    sys.path.insert(0, str(ROOT / "bench"))
    from _common import bundled_tokenizer, exact_prompts, timing

    prompts = exact_prompts(tokens, 2, tokenizer=bundled_tokenizer())
    spec = resolve_model(None)
    loaded = timed("load the model", lambda: load_model(spec))

    real_extract, real_statistics, real_kernel = runner.extract_batch, runner._layer_statistics, exact_distances._certified_rows

    def wrap(name, function):
        return timing(function, lambda seconds: phases.__setitem__(name, phases.get(name, 0.0) + seconds))

    first_kernel = {"done": False}

    def kernel(*args, **kwargs):
        if first_kernel["done"]:
            return real_kernel(*args, **kwargs)
        first_kernel["done"] = True
        return wrap("  of which the first exact-distance kernel call (numba cache load)", real_kernel)(*args, **kwargs)

    runner.extract_batch = wrap("first analysis: forward", real_extract)
    runner._layer_statistics = wrap("first analysis: geometry", real_statistics)
    exact_distances._certified_rows = kernel
    request = runner.Request(model=spec.name, prompt=prompts[0])
    first = timed("first analysis (total)", lambda: runner.analyse(request, store=None, loader=lambda *a, **k: loaded))
    timed("first Layers chart built and serialised (plotly JSON)", lambda: layers_chart_json(first.analysis))
    runner.extract_batch, runner._layer_statistics = real_extract, real_statistics
    second = runner.Request(model=spec.name, prompt=prompts[1])
    warm = timed("second analysis (warm)", lambda: runner.analyse(second, store=None, loader=lambda *a, **k: loaded))
    timed("second Layers chart built and serialised", lambda: layers_chart_json(warm.analysis))
    return phases


def layers_chart_json(analysis) -> int:
    """The Layers page's open tab (the ID chart) as Streamlit sends it: the figure, then its JSON."""
    import plotly.io

    from ui.figures import layers as figures

    return len(plotly.io.to_json(figures.id_curves(analysis), validate=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        phases = {"interpreter start": STARTED - float(os.environ["COLD_START_LAUNCHED"])}
        phases.update(probe(args.tokens))
        print(json.dumps(phases))
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import machine

    print(f"machine: {machine()}")
    runs = []
    for _ in range(args.repeats):
        environment = dict(os.environ, COLD_START_LAUNCHED=repr(time.perf_counter()))
        completed = subprocess.run([sys.executable, __file__, "--probe", "--tokens", str(args.tokens)],
                                   capture_output=True, text=True, env=environment, check=False)
        if completed.returncode != 0:
            raise SystemExit(completed.stderr)
        runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    for name in runs[0]:
        values = [run[name] for run in runs]
        print(f"{name:70s} {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})")
    before_first = sum(statistics.median([run[name] for run in runs]) for name in runs[0]
                       if not name.startswith(("first analysis:", "  of which", "second")))
    warm = sum(statistics.median([run[name] for run in runs]) for name in runs[0] if name.startswith("second"))
    print(f"{'process start → first Layers chart data (no server, no browser)':70s} {before_first:6.2f} s  "
          f"goal ≤ {COLD_GOAL:g} s: {'met' if before_first <= COLD_GOAL else 'NOT met'} (without the server's start, "
          "the page's first paint and the browser's drawing, which bench/app_latency.py (a) adds)")
    print(f"{'warm Run → Layers chart data, ' + str(args.tokens) + ' tokens (no server, no browser)':70s} {warm:6.2f} s  "
          f"goal ≤ {WARM_GOAL:g} s: {'met' if warm <= WARM_GOAL else 'NOT met'} (bench/app_latency.py (b) adds the "
          "browser round trip)")
    print(f"load average now {machine().rsplit('load average ', 1)[1]}")


if __name__ == "__main__":
    main()
