"""Cutting one document: budget, boundaries, skips, and counter validation."""

import re

import pytest

from prompts.cutting import cut_document
from prompts.errors import InvalidParameterError
from prompts.segment import line_spans, sentence_spans
from prompts.tokens import approx_token_count

# A deliberately non-additive counter (like a real BPE): bytes / 3, plus one per space.
def bytes_counter(text):
    return len(text.encode("utf-8")) // 3 + text.count(" ")


COUNTERS = [approx_token_count, bytes_counter, lambda s: len(s.split())]


def _prose(n=300):
    return " ".join(
        f"Sentence {i} talks about item {i * 7} and {'more words ' * (i % 9)}ends here."
        + ("\n\n" if i % 11 == 10 else "")
        for i in range(n)
    )


def _code(n=400):
    lines = []
    for i in range(n):
        lines.append(f"def function_{i}(x, y={i}):")
        lines.append(f"    return x * {i} + y  # comment {'x' * (i % 13)}")
        if i % 5 == 0:
            lines.append("")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("count", COUNTERS)
@pytest.mark.parametrize("target", [32, 64, 256])
def test_passages_fit_the_budget_by_the_given_counter(count, target):
    result = cut_document(_prose(), unit="sentence", target_tokens=target,
                          min_tokens=target // 2, count_tokens=count)
    assert len(result.passages) > 3
    sizes = [count(p.text) for p in result.passages]
    assert all(target // 2 <= n <= target for n in sizes)
    assert [p.n_tokens for p in result.passages] == sizes


@pytest.mark.parametrize("count", COUNTERS)
@pytest.mark.parametrize("target", [32, 64, 256])
def test_passages_are_maximal_adding_the_next_sentence_would_break_the_budget(count, target):
    text = _prose()
    starts = [s for s, _ in sentence_spans(text)]
    ends = {e for _, e in sentence_spans(text)}
    result = cut_document(text, unit="sentence", target_tokens=target, min_tokens=0,
                          count_tokens=count)
    offset = 0
    positions = []
    for passage in result.passages:
        offset = text.index(passage.text, offset)
        positions.append((offset, offset + len(passage.text)))
    for (start, end), (next_start, _) in zip(positions, positions[1:]):
        next_end = min(e for e in ends if e > next_start)
        assert count(text[start:next_end]) > target
    if target == 256:  # sentences are ~10-30 tokens: long passages come out nearly full
        assert sum(count(p.text) for p in result.passages[:-1]) / (len(positions) - 1) > 0.8 * target
    assert starts[0] == positions[0][0]


def test_prose_passages_are_whole_consecutive_sentences():
    text = _prose()
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    result = cut_document(text, unit="sentence", target_tokens=100, min_tokens=0,
                          count_tokens=approx_token_count)
    rebuilt = []
    for passage in result.passages:
        assert passage.text.startswith("Sentence ") and passage.text.endswith("ends here.")
        rebuilt.extend(re.findall(r"Sentence \d+ .*?ends here\.", passage.text, flags=re.S))
        assert passage.text in text
    assert rebuilt == sentences  # nothing lost, nothing repeated, order kept (min_tokens=0)


def test_code_passages_are_whole_lines_and_exact_slices():
    text = _code()
    lines = {text[s:e] for s, e in line_spans(text)}
    result = cut_document(text, unit="line", target_tokens=120, min_tokens=60,
                          count_tokens=bytes_counter)
    assert result.passages
    for passage in result.passages:
        start = text.index(passage.text)
        assert start == 0 or text[start - 1] == "\n"
        assert text[start + len(passage.text)] == "\n"
        assert all(line in lines for line in passage.text.split("\n") if line.strip())
        assert bytes_counter(passage.text) <= 120


def test_units_over_the_target_are_skipped_counted_and_never_spanned():
    long_sentence = "This one is long " + "and longer " * 80 + "indeed."
    text = f"First short one. Second short one. {long_sentence} Third short one. Fourth one here."
    result = cut_document(text, unit="sentence", target_tokens=40, min_tokens=0,
                          count_tokens=approx_token_count)
    assert result.skipped == {"sentence_over_target": 1}
    assert [p.text for p in result.passages] == [
        "First short one. Second short one.",
        "Third short one. Fourth one here.",
    ]


def test_short_passages_are_skipped_and_counted():
    text = "One two three four five six. " * 7 + "\n\nTail."  # 7 sentences of 7 tokens, then 2
    result = cut_document(text, unit="sentence", target_tokens=21, min_tokens=15,
                          count_tokens=approx_token_count)
    assert [approx_token_count(p.text) for p in result.passages] == [21, 21]
    assert result.skipped == {"too_short": 1}  # the tail: one sentence and "Tail." (9 tokens)


@pytest.mark.parametrize("bad", [lambda s: -1, lambda s: 1.5, lambda s: "3", lambda s: True])
def test_a_counter_that_does_not_return_a_non_negative_int_is_refused(bad):
    with pytest.raises(InvalidParameterError, match="count_tokens must return a non-negative int"):
        cut_document("Some text. More text.", unit="sentence", target_tokens=10, min_tokens=0,
                     count_tokens=bad)
