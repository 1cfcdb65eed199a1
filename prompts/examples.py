"""The example the prompt box starts with: the first ~1,000 tokens of the 2010 State of the Union
address (public domain, from the bundled ``sotu`` package), cut at sentence ends.

Why this text: the papers' finding (shuffled text has a higher ID peak and a higher loss than
the same text in order) is a statement about prompts of ~1,024 tokens of natural prose; a
200-token prompt is too short to show it reliably (with the Zen of Python, 203 tokens, the
structured prompt had the highest peak). Measured on the bundled SmolLM2-135M-Instruct (933
tokens, GRIDE r=2, special tokens and attention sinks left out): structured peak 7.95 and mean
loss 3.16 nats; fully shuffled (3 seeds) peaks 10.97–11.55 and losses 7.27–7.32. The page
computes its sentence about this from the values it shows, never from this docstring.

Without the ``sotu`` package, "The Zen of Python" from the standard library is the fallback.
"""

from __future__ import annotations

import ast
import codecs
import importlib.util
from functools import lru_cache
from pathlib import Path

from prompts.errors import SourceChangedError

DEFAULT_DOCUMENT = "2010-Obama-1"
DEFAULT_TARGET_TOKENS = 1000  # by prompts.tokens.approx_token_count; 933 SmolLM2 tokens


@lru_cache(maxsize=1)
def default_prompt() -> str:
    """The first passage of :data:`DEFAULT_DOCUMENT` (~1,000 tokens), or the Zen of Python."""
    from prompts.cutting import cut_document
    from prompts.sources.sotu import SOTU
    from prompts.tokens import approx_token_count

    if not SOTU.is_available() or DEFAULT_DOCUMENT not in SOTU.document_keys():
        return zen_of_python()
    cut = cut_document(SOTU.read_document(DEFAULT_DOCUMENT), unit="sentence", target_tokens=DEFAULT_TARGET_TOKENS,
                       min_tokens=3 * DEFAULT_TARGET_TOKENS // 4, count_tokens=approx_token_count)
    return cut.passages[0].text.strip() if cut.passages else zen_of_python()


@lru_cache(maxsize=1)
def zen_of_python() -> str:
    """"The Zen of Python": the ``this`` module stores it ROT13-encoded and prints it when
    imported, so it is read from the module's source instead."""
    source = Path(importlib.util.find_spec("this").origin).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "s":
            return codecs.decode(ast.literal_eval(node.value), "rot13").strip()
    raise SourceChangedError("the standard library's `this` module no longer holds the Zen of Python")
