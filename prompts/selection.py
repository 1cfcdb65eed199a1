"""Turn a text source into passages: cut documents lazily, in corpus order or a seeded order.

Documents are cut one at a time and only as many as ``limit`` needs, so a small ``limit`` with a
slow model tokenizer stays fast.

Order without a seed: documents in key order, passages in document order. Order with a seed:
documents sorted by ``sha256(f"{seed}:{key}")``; then round robin, each round taking one more
passage from every document, each document's passages ranked by ``sha256(f"{seed}:{id}")``.
Hashes rather than ``random`` keep the order identical across Python versions, and round robin
spreads a small sample over many documents.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Iterator

from prompts.cutting import cut_document
from prompts.sources.base import TextSource
from prompts.types import CountTokens, Passage, PromptSet


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def passage_id(set_name: str, key: str, target_tokens: int, index: int, text: str) -> str:
    """Returns the stable id of passage ``index`` of document ``key``; it names exactly one text."""
    return f"{set_name}:{key}:{target_tokens}:{index}:{_digest(text)[:8]}"


class _Cutter:
    """Cuts documents on demand and remembers what it left out."""

    def __init__(self, source: TextSource, *, target_tokens: int, min_tokens: int,
                 count_tokens: CountTokens) -> None:
        self.source = source
        self.target_tokens = target_tokens
        self.min_tokens = min_tokens
        self.count_tokens = count_tokens
        self.skipped: Counter[str] = Counter()

    def passages(self, key: str) -> tuple[Passage, ...]:
        try:
            text = self.source.read_document(key)
        except UnicodeDecodeError:
            self.skipped["document_not_utf8"] += 1
            return ()
        result = cut_document(
            text,
            unit="line" if self.source.kind == "code" else "sentence",
            target_tokens=self.target_tokens,
            min_tokens=self.min_tokens,
            count_tokens=self.count_tokens,
        )
        self.skipped.update(result.skipped)
        label = self.source.document_label(key)
        return tuple(
            Passage(passage_id(self.source.name, key, self.target_tokens, i, p.text), p.text, label)
            for i, p in enumerate(result.passages)
        )


def _in_order(cutter: _Cutter, keys: tuple[str, ...]) -> Iterator[Passage]:
    for key in keys:
        yield from cutter.passages(key)


def _sampled(cutter: _Cutter, keys: tuple[str, ...], seed: int) -> Iterator[Passage]:
    ordered_keys = sorted(keys, key=lambda k: _digest(f"{seed}:{k}"))
    ranked: list[tuple[Passage, ...]] = []
    for key in ordered_keys:  # round 0, cutting documents as it goes
        passages = sorted(cutter.passages(key), key=lambda p: _digest(f"{seed}:{p.id}"))
        ranked.append(tuple(passages))
        if passages:
            yield passages[0]
    for round_ in range(1, max((len(r) for r in ranked), default=0)):
        for passages in ranked:
            if round_ < len(passages):
                yield passages[round_]


def select_passages(
    source: TextSource,
    *,
    target_tokens: int,
    min_tokens: int,
    count_tokens: CountTokens,
    limit: int | None,
    seed: int | None,
) -> PromptSet:
    """Cut ``source`` into passages and take the first ``limit`` in corpus or seeded order.

    Returns:
        A ``PromptSet`` named after the source; ``skipped`` counts what was left out of the
        documents that had to be cut.
    """
    cutter = _Cutter(source, target_tokens=target_tokens, min_tokens=min_tokens,
                     count_tokens=count_tokens)
    keys = source.document_keys()
    stream = _in_order(cutter, keys) if seed is None else _sampled(cutter, keys, seed)
    passages: list[Passage] = []
    for passage in stream:
        passages.append(passage)
        if limit is not None and len(passages) >= limit:
            break
    return PromptSet(source.name, tuple(passages), dict(sorted(cutter.skipped.items())), target_tokens)
