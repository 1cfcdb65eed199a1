"""Where bundled prompt text comes from: installed packages, read as files, never imported.

Each module here describes one source as a ``TextSource``: whether it is installed, the sorted
keys of its documents, and how to read one document's text.
"""

from prompts.sources.base import TextSource
from prompts.sources.bible import BIBLE_WEB
from prompts.sources.sotu import SOTU
from prompts.sources.stdlib import PYTHON_STDLIB

ALL_SOURCES: tuple[TextSource, ...] = (SOTU, BIBLE_WEB, PYTHON_STDLIB)

__all__ = ["ALL_SOURCES", "TextSource"]
