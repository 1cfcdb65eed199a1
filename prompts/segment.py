"""Where passages may be cut: sentence boundaries in prose, line boundaries in code.

Both functions return character spans ``(start, end)`` into the original text, so a passage is
always an exact slice of its document: ``text[first_start:last_end]``, with the original
whitespace and paragraph breaks between its units kept.
"""

from __future__ import annotations

import re

# A run of terminal punctuation, optional closing quotes/brackets, then whitespace or the end;
# or a paragraph break (blank line), which ends a sentence (or a heading) whatever precedes it.
_CANDIDATE = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s|\Z)|\n[ \t]*\n")
_LAST_WORD = re.compile(r"[\w.]+$")
_INITIALS = re.compile(r"(?:[A-Za-z]\.)*[A-Za-z]")  # "J", "U.S", "e.g" before the final "."
_ABBREVIATIONS = frozenset(
    "Mr Mrs Ms Messrs Dr St Jr Sr Gen Col Capt Lt Maj Sgt Adm Gov Sen Rep Rev Hon Prof Mt Ft "
    "Co Corp Inc Ltd Bros No Nos Vol Art Sec Ch Fig vs etc cf viz al "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
_NON_BLANK_LINE = re.compile(r"^[^\n]*\S[^\n]*$", re.MULTILINE)
_NON_SPACE = re.compile(r"\S")


def _is_abbreviation(before: str) -> bool:
    word = _LAST_WORD.search(before)
    if word is None:
        return False
    token = word.group().rstrip(".")
    return token in _ABBREVIATIONS or _INITIALS.fullmatch(token) is not None


def _next_char(text: str, pos: int) -> str:
    match = _NON_SPACE.search(text, pos)
    return match.group() if match else ""


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split prose into sentences with a small rule set (no model, no download).

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus closing quotes/brackets) followed by
    whitespace and a character that is not a lowercase letter, unless the word before a single
    ``.`` is a known abbreviation (``Mr.``, ``Gen.``, ``etc.``) or initials (``J.``, ``U.S.``);
    a blank line always ends a sentence.

    Returns:
        ``[(start, end), ...]`` in text order; each span has no leading or trailing whitespace
        and the spans do not overlap. Empty for whitespace-only text.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        if match.start() < start:
            continue
        if match.group().startswith("\n"):
            end = match.start()
        else:
            end = match.end()
            punct = match.group().rstrip("\"'\u201d\u2019)]")
            if punct == "." and _is_abbreviation(text[start : match.start()]):
                continue
            following = _next_char(text, end)
            if following and following.islower():
                continue
        span = _trimmed(text, start, end)
        if span is not None:
            spans.append(span)
        start = end
    tail = _trimmed(text, start, len(text))
    if tail is not None:
        spans.append(tail)
    return spans


def line_spans(text: str) -> list[tuple[int, int]]:
    """Split code into its non-blank lines.

    Returns:
        ``[(start, end), ...]``, one per line that has a non-space character: ``start`` is the
        line's first character (indentation included), ``end`` is just before its newline.
    """
    return [(m.start(), m.end()) for m in _NON_BLANK_LINE.finditer(text)]
