"""Model-level analyses (no prompt): the comparison of two models on the tokens they share (Lee et al.
2025: global similarity, LLE weight transfer, Emb2Emb and steering-vector transfer), cached like
prompt analyses. The ID of one model's input-embedding matrix is in :mod:`pipeline.vocabulary`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Collection

import numpy as np

from cache import ResultStore, StoredResult, spec_key
from cache.memo import memoize, recall
from geometry.cross_model import global_similarity
from geometry.emb2emb import fit_emb2emb, steering_transfer
from geometry.lle import lle_transfer
from lm import ModelSpec, model_fingerprint, resolve_model
from lm.embeddings import input_embeddings, vocabulary
from pipeline.errors import ExperimentError
from pipeline.runner import ModelLoader, Progress, default_loader, no_progress
from prompts.words import english_words

CROSS_KIND = "cross_model"
CROSS_VERSION = 2  # 2: shared tokens are whole words of the bundled word list


@dataclass(frozen=True)
class CrossModelResult:
    """Two models compared on the tokens both vocabularies contain.

    tokens:          the shared token strings used (N).
    global_pearson:  Pearson of the upper triangles of the two cosine-similarity matrices.
    lle_*:           normalised reconstruction error in B with A's LLE weights / B's own /
                     uniform weights on A's neighbours / random neighbours (chance).
    r2_train, r2_test: Emb2Emb affine map A → B, pooled R² on fitting and held-out tokens.
    steering_cosine: cos(mapped steering vector of A, B's own); steering_pairs: word pairs used
                     (capitalised vs lower-case form of the same word).
    """

    model_a: str
    model_b: str
    tokens: tuple[str, ...]
    global_pearson: float
    lle_transfer: float
    lle_own: float
    lle_uniform: float
    lle_random: float
    r2_train: float
    r2_test: float
    steering_cosine: float
    steering_norm_ratio: float
    steering_pairs: int
    lle_k: int


def shared_tokens(vocabulary_a: list[str], vocabulary_b: list[str], *, limit: int,
                  words: Collection[str] | None = None) -> list[tuple[str, int, int]]:
    """Whole-word tokens present in both vocabularies, in model A's id order (BPE ids roughly follow
    merge order, i.e. frequency), at most ``limit``.

    A token is a whole word when it is " " + w, the word-start form (leading space) of w, with the
    same string in both vocabularies (so neither tokenizer splits the word), w ASCII letters only,
    at least 3 of them, and w (lower-cased) a word of ``words`` — by default
    :func:`prompts.words.english_words`, the words standing alone at least 20 times in the bundled
    English prose. That rule keeps " house" and " The" and drops word-start pieces such as " con",
    " pro" and " com", which BPE vocabularies hold as the beginnings of longer words.
    """
    known = english_words() if words is None else words
    index_b = {}
    for token_id, piece in enumerate(vocabulary_b):
        index_b.setdefault(piece, token_id)
    shared = []
    for token_id, piece in enumerate(vocabulary_a):
        word = piece[1:]
        if (piece.startswith(" ") and len(word) >= 3 and word.isascii() and word.isalpha()
                and word.lower() in known and piece in index_b):
            shared.append((piece, token_id, index_b[piece]))
            if len(shared) == limit:
                break
    return shared


def _steering_groups(tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of capitalised words whose lower-case form is also among ``tokens``, and those forms."""
    position = {token: i for i, token in enumerate(tokens)}
    upper = [i for i, token in enumerate(tokens) if token[1].isupper() and token.lower() in position]
    return np.array(upper, dtype=int), np.array([position[tokens[i].lower()] for i in upper], dtype=int)


def cross_model_analysis(model_a: str, model_b: str, *, store: ResultStore | None, n_tokens: int = 1500,
                         lle_k: int = 10, dtype: str = "float32", loader: ModelLoader = default_loader,
                         progress: Progress = no_progress, only_cached: bool = False) -> CrossModelResult | None:
    """Lee et al. 2025 on the input embeddings of two models, over their shared whole-word tokens.

    ``only_cached``: return None instead of computing when the store does not have it.
    """
    specs: list[ModelSpec] = [resolve_model(model_a), resolve_model(model_b)]
    key_spec = {"a": model_fingerprint(specs[0]), "b": model_fingerprint(specs[1]), "n_tokens": n_tokens,
                "lle_k": lle_k, "version": CROSS_VERSION}
    key = spec_key(key_spec)
    if only_cached:
        return recall(store, key, decode=_decode)[0]

    def encode(result: CrossModelResult) -> dict:
        return dict(kind=CROSS_KIND, spec=key_spec, meta=dataclasses.asdict(result) | {"tokens": list(result.tokens)},
                    arrays={})

    # A store that fails is not reported: the comparison is shown, and recomputed next time.
    return memoize(store, key, decode=_decode, compute=lambda: _compare(specs, n_tokens=n_tokens, lle_k=lle_k,
                                                                       dtype=dtype, loader=loader, progress=progress),
                   encode=encode).value


def _decode(record: StoredResult) -> CrossModelResult | None:
    if record.kind != CROSS_KIND:
        return None
    return CrossModelResult(**(dict(record.meta) | {"tokens": tuple(record.meta["tokens"])}))


def _compare(specs: list[ModelSpec], *, n_tokens: int, lle_k: int, dtype: str, loader: ModelLoader,
             progress: Progress) -> CrossModelResult:
    """The comparison itself (see :func:`cross_model_analysis`)."""
    matrices, vocabularies = [], []
    for index, spec in enumerate(specs):
        progress(0.1 + 0.35 * index, f"Loading {spec.name} and reading its embedding matrix")
        loaded = loader(spec, dtype)
        matrices.append(input_embeddings(loaded))
        vocabularies.append(vocabulary(loaded))
    progress(0.8, "Comparing the two geometries")
    shared = shared_tokens(vocabularies[0], vocabularies[1], limit=n_tokens)
    if len(shared) < 2 * lle_k + 2:
        raise ExperimentError(f"the two vocabularies share only {len(shared)} whole-word tokens; the comparison "
                            f"needs at least {2 * lle_k + 2}.")
    tokens = [token for token, _, _ in shared]
    a = matrices[0][[i for _, i, _ in shared]].astype(np.float64)
    b = matrices[1][[j for _, _, j in shared]].astype(np.float64)
    similarity = global_similarity(a, b)
    transfer = lle_transfer(a, b, k=lle_k)
    upper, lower = _steering_groups(tokens)
    # The map never sees the steering words, so their transfer is a genuine out-of-sample test.
    others = np.setdiff1d(np.arange(len(tokens)), np.concatenate([upper, lower]))
    linear_map = fit_emb2emb(a[others], b[others], ridge=1.0, test_fraction=0.2, seed=0)
    steering_cosine = steering_norm_ratio = float("nan")
    if upper.size:
        steering = steering_transfer(a, b, positive=upper, negative=lower, linear_map=linear_map)
        steering_cosine, steering_norm_ratio = steering.cosine, steering.norm_ratio
    result = CrossModelResult(
        model_a=specs[0].name, model_b=specs[1].name, tokens=tuple(tokens), global_pearson=similarity.pearson,
        lle_transfer=transfer.error_transfer, lle_own=transfer.error_own, lle_uniform=transfer.error_uniform,
        lle_random=transfer.error_random, r2_train=linear_map.r2_train, r2_test=linear_map.r2_test,
        steering_cosine=steering_cosine, steering_norm_ratio=steering_norm_ratio, steering_pairs=int(upper.size),
        lle_k=lle_k,
    )
    progress(1.0, "Done")
    return result
