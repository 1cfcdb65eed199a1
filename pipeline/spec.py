"""The frozen spec of one analysis; its hash is the cache key (DESIGN.md §2)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from geometry.suite import SUITE_VERSION, SuiteSettings

# Bump when the pipeline changes what it stores (the estimator versions are part of SUITE_VERSION).
PIPELINE_VERSION = 1
ANALYSIS_VERSION = PIPELINE_VERSION * 10**6 + SUITE_VERSION
DEFAULT_MAX_TOKENS = 1024


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AnalysisSpec:
    """Everything that determines an analysis result.

    model_fingerprint:  identity of the weights (lm.model_fingerprint), not just the name.
    prompt_sha256:      SHA-256 of the prompt text (UTF-8).
    add_special_tokens: tokenise with BOS etc. (default off, as the reference code does).
    max_tokens:         prompts are truncated to this many tokens (and to the model's context).
    shuffle_index, seed: block shuffle S (0 = the prompt as written) and its RNG seed.
    settings:           estimator parameters.
    version:            ANALYSIS_VERSION; changes whenever any estimator changes.
    """

    model_fingerprint: str
    dtype: str
    prompt_sha256: str
    add_special_tokens: bool = False
    max_tokens: int = DEFAULT_MAX_TOKENS
    shuffle_index: int = 0
    seed: int = 0
    settings: SuiteSettings = field(default_factory=SuiteSettings)
    version: int = ANALYSIS_VERSION
