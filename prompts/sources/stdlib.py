"""Python source code: the standard library's own ``.py`` files (no extra package needed).

Found with ``sysconfig.get_paths()["stdlib"]``. Left out: test suites (``test``/``tests``/
``idle_test``), ``site-packages``, build folders, and two folders of generated data rather than
code: ``encodings`` (codec tables) and ``pydoc_data`` (the help topics as one huge string).
Document keys are paths relative to the stdlib folder (``json/decoder.py``), sorted; they differ
between Python versions, so the set's ``version`` is the Python version.
"""

from __future__ import annotations

import os
import platform
import sysconfig
from functools import lru_cache
from pathlib import Path

from prompts.sources.base import TextSource

_EXCLUDED_DIRS = frozenset(
    {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__", "lib-dynload",
     "encodings", "pydoc_data"}
)


def stdlib_dir() -> Path:
    """Returns the folder holding the standard library's source files."""
    return Path(sysconfig.get_paths()["stdlib"])


@lru_cache(maxsize=1)
def _keys() -> tuple[str, ...]:
    root = stdlib_dir()
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _EXCLUDED_DIRS and not d.startswith("config-")]
        rel = Path(folder).relative_to(root)
        found.extend((rel / f).as_posix() for f in files if f.endswith(".py"))
    return tuple(sorted(found))


PYTHON_STDLIB = TextSource(
    name="python-stdlib",
    description="Python code: the standard library's own source files (always available).",
    kind="code",
    package="stdlib",
    install_hint="a Python installation that ships its standard library as .py files",
    is_available=lambda: (stdlib_dir() / "os.py").is_file(),
    version=platform.python_version,
    document_keys=_keys,
    read_document=lambda key: (stdlib_dir() / key).read_text(encoding="utf-8"),
    document_label=lambda key: f"stdlib:{key}",
)
