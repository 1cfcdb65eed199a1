"""The example paragraph the prompt box starts with: "The Zen of Python" from the standard library.

The ``this`` module stores it ROT13-encoded and prints it when imported, so it is read from the
module's source instead of imported.
"""

from __future__ import annotations

import ast
import codecs
import importlib.util
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def default_prompt() -> str:
    source = Path(importlib.util.find_spec("this").origin).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "s":
            return codecs.decode(ast.literal_eval(node.value), "rot13").strip()
    raise RuntimeError("the standard library's `this` module no longer holds the Zen of Python")
