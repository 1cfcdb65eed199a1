"""Statistics over a corpus of analyses, as pandas DataFrames for the corpus page and export.

Pure functions: a sequence of analyses in (bare :class:`~pipeline.analysis.Analysis` objects or
:class:`CorpusItem` s from :func:`pipeline.corpus.load_corpus`, which add the passage id), a
DataFrame out. Nothing is read from the store or computed by a model here. What a function
leaves out (NaN values, prompts without a loss, …) is counted in ``frame.attrs["notes"]``.

Statistic names are those of the store's ``layer_values`` table (:func:`pipeline.analysis.layer_series`):
the columns of every registered statistic (:mod:`geometry.registry`: ``twonn_linear``,
``twonn_mle``, ``gride_<r>`` (r = 2, 4, 8, …; ``gride_2`` is the TwoNN MLE on the ratios left after
DADApy's outlier rule, so it can differ from ``twonn_mle``), ``overlap_k<k>`` (layer l compares l and
l + 1), ``cosine`` / ``cosine_offdiagonal`` (layers 0..L), …), then ``n_duplicates`` and ``mean_angle``.

Conventions: mean and standard deviation (``ddof=1``, NaN for a single value) are taken over
every analysis of a shuffle index — each (passage, seed) is one observation — using the finite
values only; ``n`` counts those values and ``n_prompts`` the distinct passages behind them.
Profiles that compare shuffle indices are *paired* (:func:`paired_items`): only passages analysed
at every shuffle index shown are used, so every S averages the same passages; the paired test
(:func:`paired_shuffle_test`) compares each passage's shuffled value (mean over its seeds) with its
own structured value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence, Union

import numpy as np
import pandas as pd

from geometry.errors import GeometryError
from geometry.id_loss import id_loss_correlation
from geometry.registry import owner
from pipeline.analysis import Analysis, layer_series, statistic_label
from pipeline.errors import StatisticError
from pipeline.spec import text_hash

START_TEXT_CHARS = 80
PROFILE_COLUMNS = ["statistic", "shuffle_index", "layer", "mean", "std", "sem", "n", "n_prompts"]


@dataclass(frozen=True)
class CorpusItem:
    """One analysis of a corpus: passage ``passage_id`` (at ``position`` in its prompt set),
    analysed under store key ``key``. ``analysis`` may lack its neighbour arrays (see
    :func:`pipeline.corpus.load_corpus`)."""

    corpus: str
    passage_id: str
    position: int
    key: str
    analysis: Analysis


Item = Union[Analysis, CorpusItem]


def _analysis(item: Item) -> Analysis:
    return item.analysis if isinstance(item, CorpusItem) else item


def _passage_id(item: Item) -> str:
    """The passage id, or for a bare analysis a stable stand-in: ``sha256:<first 12 hex>``."""
    return item.passage_id if isinstance(item, CorpusItem) else f"sha256:{text_hash(item.prompt)[:12]}"


def start_text(text: str, *, chars: int = START_TEXT_CHARS) -> str:
    """The first ``chars`` characters with runs of whitespace shown as one space."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= chars else flat[: chars - 1] + "…"


def available_statistics(items: Sequence[Item]) -> list[str]:
    """Statistic names present in every analysis, in ``layer_series`` order."""
    names = None
    for item in items:
        found = list(layer_series(_analysis(item)))
        names = found if names is None else [name for name in names if name in found]
    return names or []


def registered_statistics(items: Sequence[Item], *, dimension: bool = False) -> list[str]:
    """:func:`available_statistics` that a registered statistic yields (in registry order); with
    ``dimension``, only the estimates of dimension (the ID estimators: TwoNN, GRIDE, …)."""
    return [name for name in available_statistics(items)
            if (found := owner(name)) is not None and (found.dimension or not dimension)]


def _series(analysis: Analysis, statistic: str) -> tuple[np.ndarray, np.ndarray]:
    series = layer_series(analysis)
    if statistic not in series:
        raise StatisticError(f"unknown statistic {statistic!r}; choose one of {', '.join(series)}.")
    layers, values = series[statistic]
    return np.asarray(layers, dtype=np.int64), np.asarray(values, dtype=np.float64)


def _by_shuffle(items: Sequence[Item], shuffle_index: int | None) -> list[Item]:
    return [item for item in items if shuffle_index is None or _analysis(item).shuffle_index == shuffle_index]


def paired_items(items: Sequence[Item]) -> list[Item]:
    """The items of the passages that were analysed at every shuffle index present (the others
    are left out and counted in the ``notes`` attribute of the profiles built from them)."""
    by_passage: dict[str, set[int]] = {}
    for item in items:
        by_passage.setdefault(_passage_id(item), set()).add(_analysis(item).shuffle_index)
    every = set().union(*by_passage.values()) if by_passage else set()
    complete = {passage for passage, shuffles in by_passage.items() if shuffles == every}
    return [item for item in items if _passage_id(item) in complete]


def _pairing_note(items: Sequence[Item], paired: Sequence[Item]) -> list[str]:
    passages = {_passage_id(item) for item in items}
    kept = {_passage_id(item) for item in paired}
    if len(kept) == len(passages):
        return []
    return [f"{len(passages) - len(kept)} of {len(passages)} passages were not analysed at every shuffle index "
            f"and were left out, so that every S averages the same {len(kept)} passages."]


def layer_profile(items: Sequence[Item], *, statistic: str, paired: bool = True) -> pd.DataFrame:
    """Mean ± std of one per-layer statistic across the corpus, per shuffle index and layer.

    Columns: statistic (its human-readable name, e.g. "GRIDE r=2"), shuffle_index, layer, mean,
    std (ddof=1), sem (std/√n), n (finite values), n_prompts (distinct passages behind them). Sorted by shuffle index, then layer. ``paired``
    (default): over :func:`paired_items` only, so that every S averages the same passages.
    """
    chosen = paired_items(items) if paired else list(items)
    pairing = _pairing_note(items, chosen) if paired else []
    items = chosen
    rows = []
    for item in items:
        analysis = _analysis(item)
        layers, values = _series(analysis, statistic)
        passage = _passage_id(item)
        rows += [(analysis.shuffle_index, int(layer), float(value), passage) for layer, value in zip(layers, values)]
    long = pd.DataFrame(rows, columns=["shuffle_index", "layer", "value", "passage_id"])
    finite = long[np.isfinite(long["value"])]
    if long.empty:
        frame = pd.DataFrame(columns=PROFILE_COLUMNS)
    else:
        grouped = finite.groupby(["shuffle_index", "layer"])
        frame = grouped["value"].agg(mean="mean", std="std", n="count").join(
            grouped["passage_id"].nunique().rename("n_prompts"))
        frame = frame.reindex(pd.MultiIndex.from_frame(long[["shuffle_index", "layer"]].drop_duplicates()
                                                        .sort_values(["shuffle_index", "layer"])))
        frame = frame.reset_index()
        frame[["n", "n_prompts"]] = frame[["n", "n_prompts"]].fillna(0).astype(int)
        frame["sem"] = frame["std"] / np.sqrt(frame["n"].where(frame["n"] > 0))
        frame.insert(0, "statistic", statistic_label(statistic))
        frame = frame[PROFILE_COLUMNS]
    frame.attrs["notes"] = pairing + ([f"{len(long) - len(finite)} non-finite values of {statistic} were left out "
                                       "(layers with too few distinct points for that estimator)."]
                                      if len(finite) < len(long) else [])
    return frame


PAIRED_COLUMNS = ["statistic", "shuffle_index", "layer", "mean_difference", "t", "p", "significant", "n_passages"]


def paired_shuffle_test(items: Sequence[Item], *, statistic: str, alpha: float = 0.05) -> pd.DataFrame:
    """Per shuffled S and layer: the paired t-test (``scipy.stats.ttest_rel``) of shuffled minus
    structured, over the passages analysed at S = 0 and at that S (each passage's shuffled value is
    the mean over its seeds). Columns: statistic (human-readable name), shuffle_index, layer,
    mean_difference, t, p (two-sided), significant (p < ``alpha``), n_passages. Layers with fewer than 2 pairs get NaN."""
    from scipy import stats

    values: dict[tuple[int, str], dict[int, list[float]]] = {}
    for item in items:
        analysis = _analysis(item)
        layers, series = _series(analysis, statistic)
        per_layer = values.setdefault((analysis.shuffle_index, _passage_id(item)), {})
        for layer, value in zip(layers, series):
            per_layer.setdefault(int(layer), []).append(float(value))
    structured = {passage: layers for (s, passage), layers in values.items() if s == 0}
    rows = []
    for s in sorted({s for s, _ in values if s > 0}):
        shuffled = {passage: layers for (t, passage), layers in values.items() if t == s}
        passages = sorted(set(shuffled) & set(structured))
        all_layers = sorted({layer for passage in passages for layer in structured[passage]})
        for layer in all_layers:
            pairs = [(np.nanmean(shuffled[p].get(layer, [np.nan])), np.nanmean(structured[p].get(layer, [np.nan])))
                     for p in passages]
            pairs = np.array([pair for pair in pairs if np.isfinite(pair).all()]).reshape(-1, 2)
            row = dict(statistic=statistic_label(statistic), shuffle_index=s, layer=layer, mean_difference=np.nan, t=np.nan, p=np.nan,
                       significant=False, n_passages=len(pairs))
            if len(pairs) >= 2:
                difference = pairs[:, 0] - pairs[:, 1]
                row["mean_difference"] = float(difference.mean())
                if np.ptp(difference) > 0:
                    result = stats.ttest_rel(pairs[:, 0], pairs[:, 1])
                    row.update(t=float(result.statistic), p=float(result.pvalue), significant=bool(result.pvalue < alpha))
            rows.append(row)
    return pd.DataFrame(rows, columns=PAIRED_COLUMNS)


def logits_entropy_table(items: Sequence[Item], *, shuffle_index: int | None = 0) -> pd.DataFrame:
    """Across analyses, at each range scaling of the logits ID: Pearson r of log logits ID with
    contextual entropy and Spearman ρ of logits ID with it, with two-sided p-values (Viswanathan
    et al. report Pearson 0.43 at range scaling 2 and 0.60 at 4 for Llama-3-8B). Columns:
    range_scaling, pearson_r, pearson_p, spearman_rho, spearman_p, n. Rows with fewer than 3
    usable analyses get NaN."""
    chosen = [_analysis(item) for item in _by_shuffle(items, shuffle_index)]
    chosen = [a for a in chosen if getattr(a, "logits_ids", None) is not None and np.isfinite(a.logits_ids).any()]
    columns = ["range_scaling", "pearson_r", "pearson_p", "spearman_rho", "spearman_p", "n"]
    if not chosen:
        return pd.DataFrame(columns=columns)
    scalings = chosen[0].range_scalings
    entropy = np.array([a.contextual_entropy for a in chosen], dtype=np.float64)
    rows = []
    for index, scaling in enumerate(scalings):
        ids = np.array([a.logits_ids[index] if a.logits_ids.size > index else np.nan for a in chosen])
        row = dict(range_scaling=int(scaling), **_correlation(ids, entropy))
        if row["n"]:
            rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def id_profile(items: Sequence[Item], *, estimator: str = "gride_2") -> pd.DataFrame:
    """:func:`layer_profile` (paired) of an ID estimator: a column of a registered statistic that
    estimates dimension (``twonn_linear``, ``twonn_mle``, ``gride_<r>``, …)."""
    found = owner(estimator)
    if found is None or not found.dimension:
        raise StatisticError(f"estimator must be a column of an ID estimator (e.g. twonn_linear, twonn_mle, gride_2); "
                         f"got {estimator!r}.")
    return layer_profile(items, statistic=estimator)


def overlap_profile(items: Sequence[Item], *, k: int = 1) -> pd.DataFrame:
    """:func:`layer_profile` of the neighbourhood overlap χ_k between layers l and l + 1 (row ``layer`` = l)."""
    return layer_profile(items, statistic=f"overlap_k{int(k)}")


def cosine_profile(items: Sequence[Item], *, off_diagonal: bool = False) -> pd.DataFrame:
    """:func:`layer_profile` of the mean cosine similarity at layers 0..L (with or without the diagonal)."""
    return layer_profile(items, statistic="cosine_offdiagonal" if off_diagonal else "cosine")


def _id_matrix(items: Sequence[Item], estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """(P, L) IDs and the layers, for analyses that share one layer count."""
    series = [_series(_analysis(item), estimator) for item in items]
    layer_sets = {tuple(layers) for layers, _ in series}
    if len(layer_sets) > 1:
        raise StatisticError("the analyses have different numbers of layers (more than one model?); select one model.")
    layers = np.array(next(iter(layer_sets)), dtype=np.int64) if series else np.zeros(0, np.int64)
    return np.array([values for _, values in series]).reshape(len(series), layers.size), layers


def _correlation(ids: np.ndarray, target: np.ndarray) -> dict:
    """Pearson r of log ID and Spearman ρ of ID with ``target`` (p-values, and ``n`` used) over the
    observations with a finite positive ID and a finite target; NaN with fewer than 3 or constant values."""
    usable = np.isfinite(ids) & (ids > 0) & np.isfinite(target)
    row = dict(pearson_r=np.nan, pearson_p=np.nan, spearman_rho=np.nan, spearman_p=np.nan, n=int(usable.sum()))
    if usable.sum() >= 3:
        try:
            result = id_loss_correlation(ids[usable], target[usable])
        except GeometryError:
            return row
        row.update(pearson_r=result.pearson_r[0], pearson_p=result.pearson_p[0],
                   spearman_rho=result.spearman_rho[0], spearman_p=result.spearman_p[0])
    return row


def id_loss_table(items: Sequence[Item], *, estimator: str = "gride_2", shuffle_index: int | None = 0) -> pd.DataFrame:
    """Per layer, across the corpus: Pearson r of log ID with mean loss and Spearman ρ of ID with
    it, with two-sided p-values (:func:`geometry.id_loss.id_loss_correlation`).

    Each analysis of ``shuffle_index`` (None: all) is one observation. At each layer, analyses with
    a non-finite or non-positive ID or a non-finite mean loss are left out; ``n`` says how many
    remained. Layers with fewer than 3, or with constant values, get NaN.
    Columns: layer, pearson_r, pearson_p, spearman_rho, spearman_p, n.
    """
    chosen = _by_shuffle(items, shuffle_index)
    ids, layers = _id_matrix(chosen, estimator)
    losses = np.array([_analysis(item).mean_loss for item in chosen], dtype=np.float64)
    rows = []
    for column, layer in enumerate(layers):
        rows.append(dict(layer=int(layer), **_correlation(ids[:, column], losses)))
    frame = pd.DataFrame(rows, columns=["layer", "pearson_r", "pearson_p", "spearman_rho", "spearman_p", "n"])
    no_loss = int((~np.isfinite(losses)).sum())
    frame.attrs["notes"] = [f"{no_loss} analyses without a mean loss (encoder models) were left out."] if no_loss else []
    return frame


def prompt_scatter(items: Sequence[Item], *, layer: int, estimator: str = "gride_2",
                   shuffle_index: int | None = 0) -> pd.DataFrame:
    """One row per analysis: its ID at ``layer`` and its mean loss (the ID–loss scatter).

    Columns: passage_id, shuffle_index, seed, layer, id, mean_loss, n_tokens, start_text.
    Values may be NaN (the page decides what to draw).
    """
    rows = []
    for item in _by_shuffle(items, shuffle_index):
        analysis = _analysis(item)
        layers, values = _series(analysis, estimator)
        where = np.flatnonzero(layers == layer)
        if where.size == 0:
            raise StatisticError(f"layer {layer} is not among the layers of {estimator} ({layers.min()}..{layers.max()}).")
        rows.append(dict(passage_id=_passage_id(item), shuffle_index=analysis.shuffle_index, seed=analysis.seed,
                         layer=int(layer), id=float(values[where[0]]), mean_loss=float(analysis.mean_loss),
                         n_tokens=analysis.n_tokens, start_text=start_text(analysis.prompt)))
    return pd.DataFrame(rows, columns=["passage_id", "shuffle_index", "seed", "layer", "id", "mean_loss", "n_tokens",
                                       "start_text"])


def logits_table(items: Sequence[Item], *, shuffle_index: int | None = None) -> pd.DataFrame:
    """Logits ID against contextual entropy, one row per analysis that has a logits ID.

    Columns: passage_id, shuffle_index, seed, logits_id, logits_id_error, contextual_entropy,
    mean_loss, n_tokens, start_text. Analyses without a logits ID are left out (counted in notes).
    """
    rows, missing = [], 0
    for item in _by_shuffle(items, shuffle_index):
        analysis = _analysis(item)
        if not np.isfinite(analysis.logits_id):
            missing += 1
            continue
        rows.append(dict(passage_id=_passage_id(item), shuffle_index=analysis.shuffle_index, seed=analysis.seed,
                         logits_id=float(analysis.logits_id), logits_id_error=float(analysis.logits_id_error),
                         contextual_entropy=float(analysis.contextual_entropy), mean_loss=float(analysis.mean_loss),
                         n_tokens=analysis.n_tokens, start_text=start_text(analysis.prompt)))
    frame = pd.DataFrame(rows, columns=["passage_id", "shuffle_index", "seed", "logits_id", "logits_id_error",
                                        "contextual_entropy", "mean_loss", "n_tokens", "start_text"])
    frame.attrs["notes"] = [f"{missing} analyses have no logits ID and were left out."] if missing else []
    return frame


def token_table(items: Sequence[Item], *, layer: int, shuffle_index: int | None = 0) -> pd.DataFrame:
    """Per token: local ID at ``layer`` against surprisal, for every token in the geometry.

    Columns: passage_id, shuffle_index, seed, position (in the analysed, possibly shuffled, order),
    token, local_id (Levina–Bickel MLE with the analysis's ``local_k`` neighbours), surprisal
    (−log p(token | tokens before it), nats; NaN for the first token), next_loss (−log p(next token
    | tokens up to this one), the loss of the prediction made at this position; NaN for the last).
    """
    frames = []
    for item in _by_shuffle(items, shuffle_index):
        analysis = _analysis(item)
        if not 1 <= layer <= analysis.layers.size:
            raise StatisticError(f"layer must be from 1 to {analysis.layers.size}; got {layer}.")
        positions = np.asarray(analysis.kept, dtype=np.int64)
        losses = np.asarray(analysis.losses, dtype=np.float64)
        padded = np.concatenate([[np.nan], losses, [np.nan]]) if losses.size else np.full(analysis.n_tokens + 1, np.nan)
        frames.append(pd.DataFrame(dict(
            passage_id=_passage_id(item), shuffle_index=analysis.shuffle_index, seed=analysis.seed,
            position=positions, token=list(analysis.kept_tokens),
            local_id=np.asarray(analysis.local_id[layer - 1], dtype=np.float64),
            surprisal=padded[positions], next_loss=padded[positions + 1])))
    columns = ["passage_id", "shuffle_index", "seed", "position", "token", "local_id", "surprisal", "next_loss"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
