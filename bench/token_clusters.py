"""Largest semantic cluster on the Tokens page, before and after issue 11's fix (finding 5).

    .venv/bin/python bench/token_clusters.py                         # SmolLM2, 2 passages of each prose/code set
    .venv/bin/python bench/token_clusters.py --model Gemma-3-270M

For each bundled passage (≤ 512 tokens, 2 from each of sotu, bible-web and python-stdlib) and every
layer, the share of the prompt's tokens in its largest cluster (8 clusters) with

* before: raw cosine distance, average linkage, every token (the page's old method);
* after:  :func:`geometry.clusters.semantic_clusters` defaults (the page's method): the half of
  the tokens with the lowest local ID, centred states, cosine-Ward.

Prints the median and the maximum over passages per layer, and over all (passage, layer) pairs.
The prompts run as the app runs them (Gemma with BOS); every token is kept.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from geometry.clusters import semantic_clusters
from geometry.local_id import local_id
from lm import resolve_model
from lm.bundled import BUNDLED_MODELS
from pipeline.runner import Request, default_loader, run_model
from prompts import load_prompt_set

SETS = ("sotu", "bible-web", "python-stdlib")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="SmolLM2-135M-Instruct")
    parser.add_argument("--per-set", type=int, default=2)
    parser.add_argument("--clusters", type=int, default=8)
    args = parser.parse_args()
    spec = resolve_model(args.model)
    bos = args.model in BUNDLED_MODELS and BUNDLED_MODELS[args.model].wants_bos
    before, after = [], []
    for name in SETS:
        for passage in load_prompt_set(name, target_tokens=512, limit=args.per_set, seed=0).passages:
            run = run_model(Request(model=args.model, prompt=passage.text, add_special_tokens=bos), spec,
                            loader=default_loader, with_losses=False)
            hidden = run.hidden.astype(np.float64)
            old_row, new_row = [], []
            for layer in range(1, hidden.shape[0]):
                x = hidden[layer]
                ids = local_id(x, k=10).ids
                old = AgglomerativeClustering(n_clusters=args.clusters, metric="cosine", linkage="average").fit_predict(x)
                new = semantic_clusters(x, n_clusters=args.clusters, local_ids=ids)
                old_row.append(np.bincount(old).max() / x.shape[0])
                new_row.append(new.cluster_sizes.max() / x.shape[0])
            before.append(old_row)
            after.append(new_row)
            print(f"{name}: {x.shape[0]} tokens, largest cluster before {np.median(old_row):.0%} (median over layers), "
                  f"after {np.median(new_row):.0%}", flush=True)
    for label, table in (("before", np.array(before)), ("after", np.array(after))):
        print(f"{label}: largest cluster, share of the prompt — median {np.median(table):.0%}, max {table.max():.0%} "
              f"over {table.shape[0]} passages × {table.shape[1]} layers")
        print(f"  per layer (max over passages): " + " ".join(f"{v:.0%}" for v in table.max(axis=0)))


if __name__ == "__main__":
    main()
