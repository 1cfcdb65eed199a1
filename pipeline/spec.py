"""The frozen spec of one analysis; its hash is the cache key."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
from dataclasses import dataclass, field

from geometry import registry
from geometry.suite import SuiteSettings

# Bump when the pipeline changes what it stores (each statistic's own version is listed below).
# 2: special tokens keep their place under a shuffle; special tokens and sinks leave the cloud.
# 3: the per-layer statistics are stored as the registry declares them (geometry.registry).
PIPELINE_VERSION = 3
DEFAULT_MAX_TOKENS = 1024

# The parts of an analysis that are not registered per-layer statistics (per-token values, the
# shuffle, the sink rule, the logits ID): (name, module, version constant).
_OTHER_PARTS = (("angles", "geometry.angles", "ANGLES_VERSION"), ("lle", "geometry.lle", "LLE_VERSION"),
                ("local_id", "geometry.local_id", "LOCAL_ID_VERSION"), ("logits_id", "geometry.id_loss", "ID_LOSS_VERSION"),
                ("shuffle", "geometry.shuffle", "SHUFFLE_VERSION"), ("sinks", "geometry.sinks", "SINKS_VERSION"))


def statistic_versions() -> dict[str, int]:
    """The version of the pipeline, of every registered per-layer statistic (:mod:`geometry.registry`)
    and of the other parts of an analysis, read now (so that a bump of any one of them changes
    every analysis key)."""
    others = {name: int(getattr(importlib.import_module(module), constant)) for name, module, constant in _OTHER_PARTS}
    return {"pipeline": PIPELINE_VERSION, **registry.versions(), **others}


def versions_digest(versions: dict[str, int]) -> int:
    """One integer for a set of versions (48 bits of its SHA-256): the ``version`` column that
    corpus listings compare."""
    return int(hashlib.sha256(json.dumps(versions, sort_keys=True).encode()).hexdigest()[:12], 16)


ANALYSIS_VERSION = versions_digest(statistic_versions())


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Method:
    """How a prompt is measured: every setting that changes the numbers of an analysis, so every
    field is part of its cache key. The records of a request (:class:`pipeline.runner.Request`), of
    a corpus run (:class:`pipeline.corpus.CorpusConfig`) and the key (:class:`AnalysisSpec`) all
    extend it, so a new setting is declared once, here.

    dtype:              precision the model runs in ("float32", "bfloat16", "float16").
    add_special_tokens: tokenise with BOS etc. (default off, as the reference code does).
    max_tokens:         prompts are truncated to this many tokens (and to the model's context).
    settings:           estimator parameters.
    keep_outlier_tokens: keep special tokens and attention sinks in the token cloud (default: left out).
    """

    dtype: str = "float32"
    add_special_tokens: bool = False
    max_tokens: int = DEFAULT_MAX_TOKENS
    settings: SuiteSettings = field(default_factory=SuiteSettings)
    keep_outlier_tokens: bool = False


@dataclass(frozen=True, kw_only=True)
class Shuffle:
    """Which version of the prompt is analysed (part of the key): the block shuffle S (0 = the
    prompt as written) and the seed of its random order."""

    shuffle_index: int = 0
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class Extras:
    """What a stored analysis holds besides what its key defines (not part of the key, so a cached
    result may lack one: it is then computed again, keeping the extras it had).

    with_logits_id:       the ID of the logit vectors (one more pass over the vocabulary).
    with_token_neighbors: each token's neighbour list and LLE weights (the Tokens page).
    """

    with_logits_id: bool = False
    with_token_neighbors: bool = True


def fields_of(record, part: type) -> dict:
    """The values of ``record`` for the fields of ``part`` (one of the records above, which
    ``record`` extends): what one record passes on to another, e.g. a request's measurement to
    its key."""
    return {item.name: getattr(record, item.name) for item in dataclasses.fields(part)}


@dataclass(frozen=True, kw_only=True)
class AnalysisSpec(Method, Shuffle):
    """Everything that determines an analysis result: the model's weights, the prompt, its
    :class:`Shuffle` and the :class:`Method`. Its fields form one flat JSON object, the key
    (:func:`cache.spec_key`) and the ``spec`` column of the store.

    model_fingerprint:  identity of the weights (lm.model_fingerprint), not just the name.
    prompt_sha256:      SHA-256 of the prompt text (UTF-8).
    statistic_versions: the version of every statistic (:func:`statistic_versions`): bumping one
                        changes the key of every analysis, which holds them all.
    version:            a digest of ``statistic_versions`` (:func:`versions_digest`).
    """

    model_fingerprint: str
    prompt_sha256: str
    statistic_versions: tuple[tuple[str, int], ...] = field(
        default_factory=lambda: tuple(sorted(statistic_versions().items())))
    version: int = 0  # set from statistic_versions

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", versions_digest(dict(self.statistic_versions)))
