"""Structured vs shuffled: the same prompt at shuffle indices S = 0..S_max, several seeds each.

Each (S, seed) is an ordinary cached analysis (the shuffle is part of its key), so a sweep that was
run once is served from the cache afterwards. S = 0 is the prompt as written and needs one seed.
"""

from __future__ import annotations

import dataclasses

from cache import ResultStore
from pipeline.analysis import Outcome
from pipeline.runner import ModelLoader, Progress, Request, default_loader, no_progress, analyse


def sweep_requests(request: Request, *, max_shuffle: int, seeds: int) -> list[Request]:
    """The requests of a sweep, S = 0 first."""
    requests = [dataclasses.replace(request, shuffle_index=0, seed=0)]
    for shuffle_index in range(1, max_shuffle + 1):
        requests += [dataclasses.replace(request, shuffle_index=shuffle_index, seed=seed) for seed in range(seeds)]
    return requests


def shuffle_sweep(
    request: Request,
    *,
    max_shuffle: int,
    seeds: int,
    store: ResultStore | None,
    loader: ModelLoader = default_loader,
    progress: Progress = no_progress,
) -> list[Outcome]:
    """Analyse every (S, seed) of the sweep, cache first; progress spans the whole sweep."""
    requests = sweep_requests(request, max_shuffle=max_shuffle, seeds=seeds)
    outcomes = []
    for index, item in enumerate(requests):
        label = f"S={item.shuffle_index}, seed {item.seed} ({index + 1} of {len(requests)})"

        def step(fraction: float, message: str, *, index=index, label=label) -> None:
            progress((index + fraction) / len(requests), f"{label}: {message}")

        outcomes.append(analyse(item, store=store, loader=loader, progress=step))
    return outcomes
