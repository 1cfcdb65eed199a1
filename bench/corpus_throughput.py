"""Corpus throughput and where the time goes: forward pass versus geometry.

Runs the bundled SmolLM2-135M-Instruct over passages of the ``python-stdlib`` prompt set
truncated to exactly 512 tokens, through the real corpus path (``pipeline.corpus.run_corpus`` into an in-memory store,
logits ID included, as ``python -m cli run`` does), and times each step of every analysis by
wrapping the functions that ``pipeline.runner`` calls:

    forward   lm.extract_batch: the model with hidden states, per-token loss and entropy, and the N
              points with the logits' pairwise distances (lm.logit_space); with --batch-size B,
              B prompts per forward pass, each charged a B-th of it
    geometry  the per-layer suite at layers 1..L as a corpus run makes it (neighbours, TwoNN, GRIDE
              scan, local ID, angles, cosine, overlap; no per-token neighbour lists or LLE weights
              unless --token-neighbours) + the layer-0 cosine
    logits    the GRIDE ID of those N points (the logits ID)
    store     writing the result

Prints per-prompt medians, the ratio geometry / forward (issue 14's goal ≤ 0.10) with and without the logits
ID, and the throughput in prompts per minute (model load excluded; one warm-up prompt first).

    .venv/bin/python bench/corpus_throughput.py [--passages 8] [--tokens 512] [--device cpu] [--threads N]
                                                [--batch-size B] [--token-neighbours]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
GOAL = 0.10  # issue 14: geometry ÷ forward time per 512-token prompt in a corpus run

from _common import corpus_parser, timing  # noqa: E402  (configures the process as the app and the CLI do)


def main() -> None:
    parser = corpus_parser(__doc__, count_option="--passages", count=8, tokens=512)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--token-neighbors", "--token-neighbours", action="store_true", help="also the per-token neighbour lists and LLE")
    parser.add_argument("--batch-size", type=int, default=1, help="prompts per forward pass (as cli run --batch-size)")
    args = parser.parse_args()

    import torch

    import geometry.id_loss as id_loss
    import pipeline.runner as runner
    from cache import ResultStore, open_store
    from lm import resolve_model
    from pipeline.corpus import CachedLoader, CorpusConfig, SequentialExecutor, plan_corpus, run_corpus
    from prompts import load_prompt_set

    timings: dict[str, list[float]] = defaultdict(list)

    def timed(name, function):
        return timing(function, lambda seconds: timings[name].append(seconds))  # timings is cleared after the warm-up

    real_batch = runner.extract_batch

    def forward(*a, **k):  # one entry per prompt: the batch's time shared among its prompts
        started = time.perf_counter()
        runs = real_batch(*a, **k)
        timings["forward"].extend([(time.perf_counter() - started) / len(runs)] * len(runs))
        return runs

    runner.extract_batch = forward
    runner._layer_statistics = timed("geometry", runner._layer_statistics)
    runner.embedding_statistics = timed("cosine0", runner.embedding_statistics)  # the layer-0 statistics (cosine)
    id_loss.logits_id_scan = timed("logits", id_loss.logits_id_scan)  # runner imports it when it first needs it
    ResultStore.put = timed("store", ResultStore.put)

    # Passages cut a quarter longer than the limit, so that every prompt is truncated to exactly --tokens.
    prompt_set = load_prompt_set(args.prompts, target_tokens=args.tokens * 5 // 4, limit=args.passages + 1)
    config = CorpusConfig(model=args.model, dtype=args.dtype, max_tokens=args.tokens, with_logits_id=True,
                          with_token_neighbors=args.token_neighbors)
    loader = CachedLoader(device=args.device, threads=args.threads)
    started = time.perf_counter()
    loaded = loader(resolve_model(args.model), args.dtype)
    load_seconds = time.perf_counter() - started
    folder = tempfile.TemporaryDirectory(prefix="corpus-bench-")
    store_path = Path(folder.name) / "results.duckdb"
    store = open_store(str(store_path))
    empty_bytes = _file_bytes(store_path)

    warm_up, measured = prompt_set.passages[:1], prompt_set.passages[1 : args.passages + 1]
    run_corpus(plan_corpus(warm_up, config, corpus="warm-up"), config, sink=store, loader=loader)
    timings.clear()
    units = plan_corpus(measured, config, corpus=args.prompts)
    started = time.perf_counter()
    summary = run_corpus(units, config, sink=store, loader=loader, executor=SequentialExecutor(batch_size=args.batch_size))
    wall = time.perf_counter() - started
    tokens = [store.get(unit.key, arrays=["token_ids"]).arrays["token_ids"].size for unit in units]
    store.close()
    per_prompt_mib = (_file_bytes(store_path) - empty_bytes) / (summary.computed + 1) / 2**20

    med = {name: statistics.median(values) for name, values in timings.items()}
    mean = {name: statistics.fmean(values) for name, values in timings.items()}
    geometry = med["geometry"] + med.get("cosine0", 0.0)
    print(f"model {args.model} ({args.dtype}, {loaded.device}, torch threads {torch.get_num_threads()}), "
          f"{loaded.n_layers} layers, width {loaded.hidden_size}; load {load_seconds:.1f} s (excluded)")
    print(f"{summary.computed} passages of {args.prompts}, tokens per prompt: median {statistics.median(tokens):.0f} "
          f"(min {min(tokens)}, max {max(tokens)})")
    print(f"per prompt, seconds:{'median':>40} {'mean':>7}")
    rows = (("forward", "forward pass (hidden states, loss, entropy, logits)"),
            ("geometry", "geometry, layers 1..L (+ layer-0 cosine)"),
            ("logits", "logits ID (GRIDE on the N logit-space points)"),
            ("store", "store write"))
    for name, label in rows:
        middle = geometry if name == "geometry" else med.get(name, float("nan"))
        average = mean[name] + (mean.get("cosine0", 0.0) if name == "geometry" else 0.0)
        print(f"  {label:<52} {middle:7.3f} {average:7.3f}")
    accounted = sum(mean.values())
    print(f"  {'everything else (tokenising, bookkeeping, ...)':<52} {'':7} {wall / summary.computed - accounted:7.3f}")
    ratio = geometry / med["forward"]
    print(f"ratio geometry / forward: {ratio:.2f} (goal ≤ {GOAL:.2f}: {'met' if ratio <= GOAL else 'NOT met'}); "
          f"with the logits ID: {(geometry + med['logits']) / med['forward']:.2f}")
    per_prompt = geometry + med["forward"] + med["logits"] + med["store"] + max(0.0, wall / summary.computed - accounted)
    print(f"throughput: {summary.computed / wall * 60:.1f} prompts/min by the wall clock ({wall / summary.computed:.2f} s "
          f"per prompt, model already loaded); {60 / per_prompt:.1f} prompts/min from the medians "
          "(robust to other load on the machine)")
    print(f"DuckDB file: {per_prompt_mib:.2f} MiB per prompt "
          f"({'with' if args.token_neighbors else 'without'} the per-token neighbour lists and LLE weights)")
    folder.cleanup()


def _file_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


if __name__ == "__main__":
    main()
