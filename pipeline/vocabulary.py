"""The geometry of a model's whole vocabulary: the ID of its input-embedding matrix (Kataiwa et al.
2025) and each token's local ID and nearest tokens in it (Lee et al. 2025), computed once per model,
exactly, on every row (reserved, zero and duplicate rows dropped, with counts), and cached.

The neighbour search runs by blocks of rows (:func:`geometry.neighbors.nearest_neighbors` with
``query_rows``); each finished block is saved in the store at once, so a long search (Gemma's
262,144 rows) shows its progress with an estimate from the blocks done, and an interrupted one
resumes where it stopped (in the app or with ``python -m cli embeddings``). A seeded sample of rows
is used only when asked for (``max_points``).

Reserved rows (:func:`reserved_rows`): the tokenizer's special tokens (control tokens such as
BOS/EOS and Gemma's 6,242 ``<unused…>`` placeholders, which the tokenizer marks special) and any
other entry named like a placeholder (``<unused12>``, ``[unused3]``, ``<|reserved_special_token_4|>``,
``<extra_id_5>``). Placeholders are rows never (or barely) trained, not tokens of the language.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass

import numpy as np

from cache import ResultStore, StoredResult, spec_key
from cache.memo import memoize, recall
from geometry.embedding_id import (EMBEDDING_ID_VERSION, CleanRows, EmbeddingID, RowSummary, check_enough_rows,
                                   clean_embedding_rows, embedding_id_from_rows, row_summary, sample_rows)
from geometry.neighbors import nearest_neighbors
from lm import ModelSpec, model_fingerprint, resolve_model
from lm.embeddings import input_embeddings, vocabulary
from pipeline.runner import ModelLoader, Progress, default_loader, no_progress

EMBEDDING_KIND = "embedding_id"
BLOCK_KIND = "embedding_rows"
K_LOCAL = 20
K_SHOW = 10
BLOCK_ROWS = 4096
_PLACEHOLDER = re.compile(r"<unused\d+>|\[unused\d+\]|<\|reserved_special_token_\d+\|>|<extra_id_\d+>|<reserved_?\d+>")


@dataclass(frozen=True)
class VocabularyGeometry:
    """A model's embedding-matrix ID and the per-token numbers behind it.

    rows:       (n,) vocabulary ids of the rows used (ascending).
    local_ids:  (n,) Levina–Bickel local ID of each (k = result.k_local neighbours among the rows).
    neighbors:  (n, 10) vocabulary ids of each row's nearest rows, nearest first.
    tokens:     the surface string of every vocabulary id.
    dropped:    rows left out, by reason (reserved split into placeholders and control tokens).
    """

    model_name: str
    fingerprint: str
    result: EmbeddingID
    rows: np.ndarray
    local_ids: np.ndarray
    neighbors: np.ndarray
    tokens: tuple[str, ...]
    dropped: dict
    from_cache: bool
    seconds: float


def reserved_rows(tokens: list[str], special_ids) -> tuple[np.ndarray, int, int]:
    """(mask of reserved rows, placeholders, other control tokens) — see the module docstring."""
    mask = np.zeros(len(tokens), dtype=bool)
    placeholder = np.array([bool(_PLACEHOLDER.fullmatch(token)) for token in tokens], dtype=bool)
    special = np.zeros(len(tokens), dtype=bool)
    special[[i for i in special_ids if 0 <= i < len(tokens)]] = True
    mask = placeholder | special
    return mask, int(placeholder.sum()), int((special & ~placeholder).sum())


def special_token_ids(loaded) -> list[int]:
    """Ids of the tokenizer's special tokens (its named ones and every added token marked special)."""
    tokenizer = loaded.tokenizer
    ids = set(tokenizer.all_special_ids)
    for token_id, added in getattr(tokenizer, "added_tokens_decoder", {}).items():
        if getattr(added, "special", False):
            ids.add(int(token_id))
    return sorted(ids)


def result_spec(fingerprint: str, max_points: int | None) -> dict:
    return {"model": fingerprint, "max_points": max_points, "version": EMBEDDING_ID_VERSION}


def _from_record(record: StoredResult, *, fingerprint: str, started: float) -> VocabularyGeometry | None:
    if record.kind != EMBEDDING_KIND or "rows" not in record.arrays:
        return None
    meta, arrays = record.meta, record.arrays
    return VocabularyGeometry(
        model_name=meta["model_name"], fingerprint=fingerprint, result=EmbeddingID(**meta["result"]),
        rows=arrays["rows"], local_ids=arrays["local_ids"], neighbors=arrays["neighbors"],
        tokens=tuple(meta["tokens"]), dropped=dict(meta["dropped"]), from_cache=True,
        seconds=time.perf_counter() - started)


def _block_from_record(record: StoredResult) -> RowSummary | None:
    if record.kind != BLOCK_KIND:
        return None
    return RowSummary(**{name: record.arrays[name] for name in ("r1", "r2", "local_ids", "indices")})


def search_by_blocks(points: np.ndarray, *, store: ResultStore | None, block_spec: dict, k_local: int = K_LOCAL,
                     block_rows: int = BLOCK_ROWS, progress: Progress = no_progress) -> RowSummary:
    """Row summaries of every row of ``points`` (neighbours among all rows), block by block; blocks
    found in the store (same ``block_spec``) are reused, each new one is saved as soon as it is done.
    Progress reports rows done and an estimate of the time left from the blocks computed here."""
    n = points.shape[0]
    bounds = [(start, min(n, start + block_rows)) for start in range(0, n, block_rows)]
    parts, computed_rows, computed_seconds = [], 0, 0.0
    for index, (start, stop) in enumerate(bounds):
        key = spec_key({**block_spec, "rows": [start, stop], "n": n, "k_local": k_local})
        block = memoize(
            store, key, decode=_block_from_record,
            compute=lambda: row_summary(nearest_neighbors(points, k=k_local, query_rows=(start, stop)),
                                        k_local=k_local, k_show=K_SHOW),
            encode=lambda summary: dict(kind=BLOCK_KIND, spec={**block_spec, "rows": [start, stop], "n": n}, meta={},
                                        arrays=dataclasses.asdict(summary)))
        parts.append(block.value)
        if not block.from_cache:
            computed_rows += stop - start
            computed_seconds += block.seconds
        left = n - stop
        eta = f", about {left * computed_seconds / computed_rows:.0f} s left" if computed_rows and left else ""
        progress(0.1 + 0.85 * stop / n, f"Nearest neighbours: {stop:,} of {n:,} rows{eta}")
    return RowSummary(**{name: np.concatenate([getattr(part, name) for part in parts])
                         for name in ("r1", "r2", "local_ids", "indices")})


def vocabulary_geometry(model: str, *, store: ResultStore | None, max_points: int | None = None, seed: int = 0,
                        dtype: str = "float32", loader: ModelLoader = default_loader, progress: Progress = no_progress,
                        only_cached: bool = False, block_rows: int | None = None) -> VocabularyGeometry | None:
    """The embedding-matrix ID of ``model`` on every cleaned row (or a seeded sample of
    ``max_points`` rows when asked), with each row's local ID and nearest tokens.

    ``only_cached``: return None instead of computing when the store does not have the result.
    """
    started = time.perf_counter()
    spec = resolve_model(model)
    fingerprint = model_fingerprint(spec)
    key_spec = result_spec(fingerprint, max_points)
    key = spec_key(key_spec)

    def decode(record: StoredResult) -> VocabularyGeometry | None:
        return _from_record(record, fingerprint=fingerprint, started=started)

    if only_cached:
        return recall(store, key, decode=decode)[0]

    def compute() -> VocabularyGeometry:
        return _measure(spec, fingerprint=fingerprint, store=store, max_points=max_points, seed=seed, dtype=dtype,
                        loader=loader, progress=progress, block_rows=block_rows, started=started)

    def encode(found: VocabularyGeometry) -> dict:
        meta = {"model_name": found.model_name, "result": dataclasses.asdict(found.result), "tokens": list(found.tokens),
                "dropped": found.dropped}
        return dict(kind=EMBEDDING_KIND, spec=key_spec, meta=meta, seconds=found.seconds,
                    arrays={"rows": found.rows, "local_ids": found.local_ids, "neighbors": found.neighbors})

    # A store that fails is not reported: the result is shown, and recomputed next time.
    return memoize(store, key, decode=decode, compute=compute, encode=encode).value


def _measure(spec: ModelSpec, *, fingerprint: str, store: ResultStore | None, max_points: int | None, seed: int,
             dtype: str, loader: ModelLoader, progress: Progress, block_rows: int | None,
             started: float) -> VocabularyGeometry:
    """The computation of :func:`vocabulary_geometry` (its blocks of neighbours are stored as they are done)."""
    progress(0.02, f"Loading {spec.name}")
    loaded = loader(spec, dtype)
    matrix = input_embeddings(loaded).astype(np.float64)
    tokens = vocabulary(loaded)[: matrix.shape[0]]
    tokens += [""] * (matrix.shape[0] - len(tokens))
    reserved, n_placeholders, n_control = reserved_rows(tokens, special_token_ids(loaded))
    progress(0.06, "Dropping reserved, zero and duplicate rows")
    clean: CleanRows = clean_embedding_rows(matrix, exclude=reserved)
    rows = sample_rows(clean.rows, max_points=max_points, seed=seed, minimum=K_LOCAL + 1)
    check_enough_rows(rows.size, k_local=K_LOCAL, clean=clean)
    block_spec = {"model": fingerprint, "max_points": max_points, "seed": seed, "version": EMBEDDING_ID_VERSION}
    summary = search_by_blocks(matrix[rows], store=store, block_spec=block_spec, block_rows=block_rows or BLOCK_ROWS,
                               progress=progress)
    result = embedding_id_from_rows(summary, clean=clean, n_features=matrix.shape[1], k_local=K_LOCAL, seed=seed,
                                    n_subsampled_out=clean.rows.size - rows.size)
    dropped = {"unused placeholders": n_placeholders, "control tokens": n_control, "zero rows": clean.n_zero,
               "exact duplicates": clean.n_exact_duplicates, "near duplicates": clean.n_near_duplicates,
               "left out by the sample": clean.rows.size - rows.size}
    arrays = {"rows": rows.astype(np.int64), "local_ids": summary.local_ids,
              "neighbors": rows[summary.indices].astype(np.int32)}
    progress(1.0, "Done")
    return VocabularyGeometry(model_name=spec.name, fingerprint=fingerprint, result=result, rows=arrays["rows"],
                              local_ids=summary.local_ids, neighbors=arrays["neighbors"], tokens=tuple(tokens),
                              dropped=dropped, from_cache=False, seconds=time.perf_counter() - started)


def stored_embedding_results(store: ResultStore | None) -> list[dict]:
    """Every embedding-matrix result in the store (one per model and setting), for the bar chart."""
    if store is None:
        return []
    rows = []
    for key in store.keys(kind=EMBEDDING_KIND):
        record, _ = recall(store, key, decode=lambda found: found, arrays=())
        if record is not None and "result" in record.meta:
            result = {name: value for name, value in record.meta["result"].items()}
            sample = record.spec.get("max_points")
            rows.append({**result, "model": record.meta["model_name"] + ("" if sample is None else f" (sample of {sample:,})"),
                         "max_points": sample})
    return rows
