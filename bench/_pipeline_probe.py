"""Run by bench/app_latency.py in a fresh subprocess, so that peak memory is this work's alone.

    .venv/bin/python bench/_pipeline_probe.py PROMPTS.json STORE_DIR

PROMPTS.json: {"long": one 1024-token prompt, "short": [512-token prompts]}. Steps:
1. load the bundled model and analyse the 1024-token prompt into a fresh DuckDB file (peak RSS);
2. the same request again: a cache hit, timed, plus building and serialising the Layers figures
   (request → chart data);
3. the DuckDB file size: empty, after the 1024-token prompt, after each 512-token prompt.
Prints one JSON object.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import startup  # noqa: E402

startup.configure_process()  # as the app and the CLI do (settings.py), before torch loads


def status_kib(field: str) -> int:
    """VmHWM (peak resident set) or VmRSS of this process, in KiB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def store_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # the file and any WAL


def main() -> None:
    prompts = json.loads(Path(sys.argv[1]).read_text())
    store_path = Path(sys.argv[2]) / "results.duckdb"
    from cache import open_store
    from pipeline import Request, analyse
    from pipeline.runner import default_loader

    models = {}

    def loader(spec, dtype):
        if (spec, dtype) not in models:
            models[(spec, dtype)] = default_loader(spec, dtype)
        return models[(spec, dtype)]

    out: dict = {"rss_start_kib": status_kib("VmRSS")}
    store = open_store(str(store_path))
    store.close()
    out["store_empty_bytes"] = store_size(store_path)

    store = open_store(str(store_path))
    request = Request(model="SmolLM2-135M-Instruct", prompt=prompts["long"])
    started = time.perf_counter()
    outcome = analyse(request, store=store, loader=loader)
    out["long_seconds"] = time.perf_counter() - started
    out["long_tokens"] = outcome.analysis.n_tokens
    out["peak_rss_kib"] = status_kib("VmHWM")
    out["ru_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    # Cache hits: request → Analysis, then → the Layers page's figures serialised as Streamlit sends them.
    import plotly.io

    from ui.figures import layers as figures

    hits, to_chart, sizes = [], [], {}
    for _ in range(7):
        started = time.perf_counter()
        hit = analyse(request, store=store, loader=loader)
        hits.append(time.perf_counter() - started)
        assert hit.from_cache
        analysis = hit.analysis
        built = {"id": figures.id_curves(analysis), "overlap": figures.overlap_curve(analysis, k=1),
                 "cosine": figures.cosine_curve(analysis, include_diagonal=True),
                 "scale": figures.scale_analysis(analysis), "duplicates": figures.duplicates_bar(analysis)}
        sizes = {name: len(plotly.io.to_json(figure, validate=False)) for name, figure in built.items()}
        to_chart.append(time.perf_counter() - started)
    out["hit_seconds"] = statistics.median(hits)
    out["hit_to_chart_json_seconds"] = statistics.median(to_chart)
    out["layers_figure_json_bytes"] = sizes
    try:
        from ui.figures import tokens as token_figures

        out["tokens_heatmap_json_bytes"] = len(plotly.io.to_json(token_figures.local_id_heatmap(analysis), validate=False))
    except Exception as error:  # the figure module is another person's; a change there must not stop the probe
        out["tokens_heatmap_json_bytes"] = f"{type(error).__name__}: {error}"
    store.close()
    out["store_after_long_bytes"] = store_size(store_path)

    store = open_store(str(store_path))
    after = []
    for prompt in prompts["short"]:
        analyse(Request(model="SmolLM2-135M-Instruct", prompt=prompt), store=store, loader=loader)
        store.close()
        after.append(store_size(store_path))
        store = open_store(str(store_path))
    store.close()
    out["store_after_short_bytes"] = after
    out["peak_rss_final_kib"] = status_kib("VmHWM")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
