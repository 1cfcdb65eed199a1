"""The shape every text source has, and helpers to locate an installed package without importing it."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from prompts.types import SetKind


@dataclass(frozen=True)
class TextSource:
    """One bundled prompt set's origin.

    Attributes:
        name: the prompt set's registry name.
        description: one sentence for the picker.
        kind: ``"prose"`` or ``"code"``; decides sentence or line boundaries.
        package: the distribution the text comes from (``"stdlib"`` for Python's own source).
        install_hint: what to run when the package is missing.
        is_available: returns whether the text can be read.
        version: returns the installed version, or ``None``.
        document_keys: returns the documents' keys, sorted, stable across runs.
        read_document: returns one document's text (``UnicodeDecodeError`` if it is not UTF-8).
        document_label: returns the ``Passage.source`` string for a document key.
    """

    name: str
    description: str
    kind: SetKind
    package: str
    install_hint: str
    is_available: Callable[[], bool]
    version: Callable[[], str | None]
    document_keys: Callable[[], tuple[str, ...]]
    read_document: Callable[[str], str]
    document_label: Callable[[str], str]


def package_dir(module: str) -> Path | None:
    """Find an installed top-level package's directory without running its ``__init__``.

    Returns:
        The directory, or ``None`` when the package is not installed (or is not a package).
    """
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def distribution_version(distribution: str) -> str | None:
    """Returns the installed version of a distribution, from its metadata, or ``None``."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def pinned_source(pin: str, **fields) -> TextSource:
    """A :class:`TextSource` read from the PyPI distribution ``pin`` (``"name==version"``): its
    package, install hint and installed version follow from the pin."""
    package = pin.partition("==")[0]
    return TextSource(package=package, install_hint=f"pip install {pin}",
                      version=lambda: distribution_version(package), **fields)
