"""Structured vs shuffled: the same prompt at several shuffle indices S, several seeds each.

Each (S, seed) is an ordinary cached analysis (the shuffle is part of its key), so a sweep that was
run once is served from the cache afterwards. S = 0 is the prompt as written and needs one seed.
The papers compare S = 0 with the full shuffle (every token on its own); intermediate S show the
way between them.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from cache import ResultStore
from geometry.shuffle import shuffle_tokens
from pipeline.analysis import Outcome, estimator_label  # noqa: F401 (re-exported)
from pipeline.errors import StatisticError
from pipeline.runner import ModelLoader, Progress, Request, default_loader, no_progress, analyse


def sweep_requests(request: Request, *, shuffles: Sequence[int], seeds: int) -> list[Request]:
    """The requests of a sweep over the shuffle indices ``shuffles`` (sorted, S = 0 first with one seed)."""
    requests = []
    for shuffle_index in sorted(set(int(s) for s in shuffles)):
        for seed in range(1 if shuffle_index == 0 else seeds):
            requests.append(dataclasses.replace(request, shuffle_index=shuffle_index, seed=seed))
    return requests


def shuffle_sweep(
    request: Request,
    *,
    shuffles: Sequence[int],
    seeds: int,
    store: ResultStore | None,
    loader: ModelLoader = default_loader,
    progress: Progress = no_progress,
) -> list[Outcome]:
    """Analyse every (S, seed) of the sweep, cache first; progress spans the whole sweep."""
    requests = sweep_requests(request, shuffles=shuffles, seeds=seeds)
    outcomes = []
    for index, item in enumerate(requests):
        label = f"S={item.shuffle_index}, seed {item.seed} ({index + 1} of {len(requests)})"

        def step(fraction: float, message: str, *, index=index, label=label) -> None:
            progress((index + fraction) / len(requests), f"{label}: {message}")

        outcomes.append(analyse(item, store=store, loader=loader, progress=step))
    return outcomes


# --- what a sweep shows -------------------------------------------------------------------------



def estimator_values(analysis, estimator: str):
    """(ID per layer, standard error per layer) of ``estimator`` (a store name, e.g. ``gride_2``)."""
    if estimator.startswith("gride_"):
        return analysis.gride_at(int(estimator.split("_", 1)[1]))
    if estimator in ("twonn_linear", "twonn_mle"):
        return analysis.series(estimator)[1:]
    raise StatisticError(f"unknown estimator {estimator!r}; use twonn_linear, twonn_mle or gride_<r>.")


def sweep_summary(analyses, *, estimator: str):
    """Per shuffle index: the peak ID (the largest over layers of ``estimator``) and the mean loss,
    as mean, min and max over seeds. A pandas DataFrame with columns shuffle_index, seeds,
    peak_mean, peak_min, peak_max, peak_layers (the layer of each seed's peak), loss_mean,
    loss_min, loss_max; sorted by S."""
    import pandas as pd

    rows = []
    for analysis in analyses:
        values, _ = estimator_values(analysis, estimator)
        finite = np.isfinite(values)
        rows.append(dict(shuffle_index=analysis.shuffle_index, seed=analysis.seed,
                         peak=float(np.nanmax(values)) if finite.any() else np.nan,
                         peak_layer=analysis.peak_layer_of(values), loss=float(analysis.mean_loss)))
    frame = pd.DataFrame(rows)
    grouped = frame.groupby("shuffle_index")
    summary = pd.DataFrame({
        "seeds": grouped.seed.nunique(), "peak_mean": grouped.peak.mean(), "peak_min": grouped.peak.min(),
        "peak_max": grouped.peak.max(), "peak_layers": grouped.peak_layer.agg(lambda s: ", ".join(map(str, s))),
        "loss_mean": grouped.loss.mean(), "loss_min": grouped.loss.min(), "loss_max": grouped.loss.max()})
    return summary.reset_index().sort_values("shuffle_index").reset_index(drop=True)


def _range(low: float, high: float, digits: int = 2) -> str:
    return f"{low:.{digits}f}" if round(low, digits) == round(high, digits) else f"{low:.{digits}f}–{high:.{digits}f}"


def sweep_sentence(summary, *, estimator: str) -> str:
    """What the sweep shows, in words, from its numbers: the most shuffled S against S = 0."""
    if summary.empty or 0 not in set(summary.shuffle_index) or len(summary) < 2:
        return "Run S = 0 and at least one shuffled S to compare them."
    structured, shuffled = summary.iloc[0], summary.iloc[-1]
    s, seeds = int(shuffled.shuffle_index), int(shuffled.seeds)
    name = estimator_label(estimator)
    if shuffled.peak_min > structured.peak_max:
        peak_words = "higher on every seed than"
    elif shuffled.peak_max < structured.peak_min:
        peak_words = "lower on every seed than"
    else:
        peak_words = "not consistently above or below"
    loss_words = ("higher" if shuffled.loss_min > structured.loss_max else
                  "lower" if shuffled.loss_max < structured.loss_min else "mixed")
    agree = peak_words.startswith("higher") and loss_words == "higher"
    return (f"On this prompt, the shuffled text (S={s}, {seeds} seed{'s' if seeds > 1 else ''}) peaks at "
            f"{_range(shuffled.peak_min, shuffled.peak_max)} ({name}), {peak_words} the structured text's "
            f"{structured.peak_mean:.2f}; its mean loss is {_range(shuffled.loss_min, shuffled.loss_max)} nats "
            f"against {structured.loss_mean:.2f} ({loss_words}). "
            + ("This is the direction Viswanathan et al. report (shuffling raises the ID peak and the loss)."
               if agree else "This is not the direction Viswanathan et al. report (shuffling raises both) "
               "on this prompt."))


def shuffled_order(analysis) -> np.ndarray:
    """The original position of each analysed token (the block shuffle redone from S and the seed,
    special tokens in place): ``order[i]`` is where token i of the shuffled prompt stood."""
    n = analysis.n_tokens
    fixed = np.zeros(n, dtype=bool)
    fixed[np.asarray(analysis.special_positions, dtype=np.int64)] = True
    if analysis.shuffle_index == 0:
        return np.arange(n)
    return shuffle_tokens(np.zeros(n), shuffle_index=analysis.shuffle_index,
                          rng=np.random.default_rng(analysis.seed), fixed=fixed)


def shuffled_text(analysis, *, marker: str = " ┃ ", limit: int | None = None) -> str:
    """The analysed (shuffled) prompt as text, with ``marker`` at each block boundary (where two
    neighbouring tokens were not neighbours in the original); the first ``limit`` tokens if given."""
    order = shuffled_order(analysis)
    tokens = analysis.tokens if limit is None else analysis.tokens[:limit]
    pieces = []
    for i, token in enumerate(tokens):
        if i and analysis.shuffle_index and order[i] != order[i - 1] + 1:
            pieces.append(marker)
        pieces.append(token)
    return "".join(pieces) + ("…" if limit is not None and analysis.n_tokens > limit else "")
