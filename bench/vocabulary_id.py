"""Full-vocabulary embedding-matrix ID (issue 14's target: SmolLM2's 49,152 rows in ≤ 60 s, exact).

    .venv/bin/python bench/vocabulary_id.py                      # SmolLM2-135M-Instruct (~1-3 min)
    .venv/bin/python bench/vocabulary_id.py --model Gemma-3-270M --blocks 2   # time 2 blocks, extrapolate

Prints the wall time of :func:`pipeline.vocabulary.vocabulary_geometry` on every cleaned row
(no store, nothing cached), the ratio to the 60 s target, and, as the reference made in the same
process, the time of the bare float64 matrix products the exact search cannot avoid (one block
of rows against every row, times the number of blocks). ``--blocks N`` times only the first N
blocks of the search and extrapolates (for Gemma's 262,144 rows); ``--store PATH`` keeps the
result (and its blocks) in a result store, e.g. to prepare the screenshots.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _common import ROOT, cpu_model, load_average  # noqa: F401  (puts the repository on sys.path)
from cache import open_store
from geometry.embedding_id import clean_embedding_rows
from geometry.neighbors import nearest_neighbors
from lm import load_model, resolve_model
from lm.embeddings import input_embeddings, vocabulary
from pipeline.vocabulary import BLOCK_ROWS, K_LOCAL, special_token_ids, reserved_rows, vocabulary_geometry

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="SmolLM2-135M-Instruct")
    parser.add_argument("--blocks", type=int, default=None, help="time only the first N blocks and extrapolate")
    parser.add_argument("--store", default=None, help="keep the result in this result store")
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}; load average {load_average()}")
    loaded = load_model(resolve_model(args.model))
    matrix = input_embeddings(loaded).astype(np.float64)
    tokens = vocabulary(loaded)[: matrix.shape[0]]
    reserved, _, _ = reserved_rows(tokens + [""] * (matrix.shape[0] - len(tokens)), special_token_ids(loaded))
    rows = clean_embedding_rows(matrix, exclude=reserved).rows
    n_blocks = -(-rows.size // BLOCK_ROWS)
    print(f"{args.model}: {matrix.shape[0]:,} × {matrix.shape[1]} matrix, {rows.size:,} rows after cleaning, "
          f"{n_blocks} blocks of {BLOCK_ROWS:,}")

    points = matrix[rows] - matrix[rows].mean(axis=0)
    started = time.perf_counter()
    for start in range(0, min(rows.size, BLOCK_ROWS), BLOCK_ROWS):
        _ = points[start : start + BLOCK_ROWS] @ points.T
    floor = (time.perf_counter() - started) * n_blocks
    print(f"reference: bare float64 products, one block × all rows, × {n_blocks} blocks: {floor:.1f} s")

    if args.blocks is not None:
        started = time.perf_counter()
        done = min(rows.size, args.blocks * BLOCK_ROWS)
        for start in range(0, done, BLOCK_ROWS):
            nearest_neighbors(points, k=K_LOCAL, query_rows=(start, min(done, start + BLOCK_ROWS)))
        seconds = (time.perf_counter() - started) * rows.size / done
        print(f"search of {done:,} rows extrapolated to all {rows.size:,}: {seconds:.0f} s "
              f"({seconds / 60:.1f} min; {seconds / floor:.2f} × the bare products; the search alone, "
              f"{'within' if seconds <= TARGET_SECONDS else 'over'} the {TARGET_SECONDS:.0f} s of the SmolLM2 target)")
        return

    store = open_store(args.store) if args.store else None
    last = {"t": time.perf_counter()}

    def progress(fraction: float, message: str) -> None:
        if time.perf_counter() - last["t"] > 10 or fraction >= 1:
            print(f"  {fraction:4.0%} {message}", flush=True)
            last["t"] = time.perf_counter()

    started = time.perf_counter()
    geometry = vocabulary_geometry(args.model, store=store, loader=lambda spec, dtype: loaded, progress=progress)
    seconds = time.perf_counter() - started
    result = geometry.result
    print(f"full-vocabulary embedding ID, {result.n_used:,} rows: {seconds:.1f} s "
          f"({seconds / TARGET_SECONDS:.2f} × the {TARGET_SECONDS:.0f} s target; {seconds / floor:.2f} × the bare products); "
          f"goal ≤ {TARGET_SECONDS:.0f} s, exact: {'met' if seconds <= TARGET_SECONDS else 'NOT met'}; "
          f"load average now {load_average()}")
    print(f"TwoNN {result.id_twonn:.2f} ± {result.error_twonn:.2f} (MLE {result.id_twonn_mle:.2f}), "
          f"local-MLE harmonic mean {result.id_local_mle:.2f}; dropped: {geometry.dropped}")


if __name__ == "__main__":
    main()
