"""Cut one document into passages of about ``target_tokens`` tokens on unit boundaries.

The plain function behind every bundled set: greedy packing of whole sentences (prose) or whole
lines (code). Unit counts are summed to propose a passage, then the passage's own count is
checked with the caller's counter (tokenizers are not exactly additive), dropping trailing units
(binary search) while it is over the target and adding units while it still fits. So, by
``count_tokens``, every passage is at most ``target_tokens`` long and at least ``min_tokens``,
and adding the next unit would break the budget. A passage costs a few counter calls beyond one
call per unit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from numbers import Integral
from typing import Literal

from prompts.errors import InvalidParameterError
from prompts.segment import line_spans, sentence_spans
from prompts.types import CountTokens

Unit = Literal["sentence", "line"]


@dataclass(frozen=True)
class CutPassage:
    """One passage cut from a document: its text and its length by the counter used."""

    text: str
    n_tokens: int


@dataclass(frozen=True)
class CutResult:
    """The passages of one document, in document order, and what was left out (reason -> n)."""

    passages: tuple[CutPassage, ...]
    skipped: dict[str, int] = field(default_factory=dict)


def checked_count(count_tokens: CountTokens, text: str) -> int:
    """Call ``count_tokens(text)`` and check the answer.

    Returns:
        The count as an ``int``.

    Raises:
        InvalidParameterError: the counter returned something that is not a non-negative integer.
    """
    n = count_tokens(text)
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 0:
        raise InvalidParameterError(
            f"count_tokens must return a non-negative int, got {n!r} ({type(n).__name__}) "
            f"for a text of {len(text)} characters; pass e.g. "
            "`lambda s: len(tokenizer(s, add_special_tokens=False).input_ids)`."
        )
    return int(n)


def cut_document(
    text: str,
    *,
    unit: Unit,
    target_tokens: int,
    min_tokens: int,
    count_tokens: CountTokens,
) -> CutResult:
    """Pack whole units (sentences or lines) of ``text`` into passages.

    Units longer than ``target_tokens`` on their own are skipped (counted as
    ``"sentence_over_target"`` / ``"line_over_target"``) and a passage never spans one; passages
    shorter than ``min_tokens`` (typically a document's tail) are skipped as ``"too_short"``.

    Returns:
        A ``CutResult``: passages in document order, each an exact slice of ``text`` from the
        start of its first unit to the end of its last, with
        ``min_tokens <= count_tokens(passage) <= target_tokens``; and the skip counts.
    """
    spans = sentence_spans(text) if unit == "sentence" else line_spans(text)
    # A unit's size includes the whitespace after it (the newline of a code line), so that sizes
    # add up to about the count of a passage; a unit alone is recounted only when that matters.
    starts = [s for s, _ in spans] + [len(text)]
    sizes = [checked_count(count_tokens, text[starts[k] : starts[k + 1]]) for k in range(len(spans))]
    skipped: Counter[str] = Counter()
    passages: list[CutPassage] = []

    def count(i: int, j: int) -> int:
        return checked_count(count_tokens, text[spans[i][0] : spans[j - 1][1]])

    i = 0
    while i < len(spans):
        if sizes[i] > target_tokens and count(i, i + 1) > target_tokens:
            skipped[f"{unit}_over_target"] += 1
            i += 1
            continue
        j, estimate = i + 1, sizes[i]
        while j < len(spans) and estimate + sizes[j] <= target_tokens:
            estimate += sizes[j]
            j += 1
        exact = count(i, j)
        if exact > target_tokens:  # binary search for the longest run of units that fits
            good, bad = i + 1, j
            while bad - good > 1:
                mid = (good + bad) // 2
                if count(i, mid) <= target_tokens:
                    good = mid
                else:
                    bad = mid
            j, exact = good, count(i, good)
        while j < len(spans):  # the estimate may have been high: try one more unit
            longer = count(i, j + 1)
            if longer > target_tokens:
                break
            j, exact = j + 1, longer
        if exact > target_tokens:  # possible only if the counter is not monotone in the text
            skipped[f"{unit}_over_target"] += 1
        elif exact < min_tokens:
            skipped["too_short"] += 1
        else:
            passages.append(CutPassage(text[spans[i][0] : spans[j - 1][1]], exact))
        i = j
    return CutResult(tuple(passages), dict(skipped))
