"""Load a model from a :class:`~lm.registry.ModelSpec`, offline, safetensors/GGUF only.

Safety: ``trust_remote_code`` is whatever the spec says (off unless the user opted in for that
model); weights are loaded with ``use_safetensors=True`` so no pickle file is ever read; hub ids
are looked up in the local Hugging Face cache only (``local_files_only=True``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from lm.bundled import bundled_gguf_path, ensure_converted
from lm.errors import ModelLoadError, ModelNotFoundError
from lm.fingerprint import file_fingerprint, folder_fingerprint
from lm.registry import ModelSpec

DTYPES = ("float32", "bfloat16", "float16")


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to run, with what the cache key and the pages need to know about it."""

    spec: ModelSpec
    model: Any
    tokenizer: Any
    fingerprint: str
    dtype: str
    device: str
    n_layers: int
    hidden_size: int
    context_length: int | None
    is_causal: bool


def _resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("device='cuda' was requested but no CUDA device is available; use 'cpu' or 'auto'.")
    return device


def _gguf_path(spec: ModelSpec) -> Path:
    return bundled_gguf_path(spec.name) if spec.source == "bundled" else Path(spec.location)


def _hub_snapshot(spec: ModelSpec) -> str:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(spec.location, local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError) as error:
        raise ModelNotFoundError(
            f"{spec.location!r} is not in the local Hugging Face cache and this machine cannot download models. "
            "Download it elsewhere and copy the folder here (then give its path), or pick the bundled model."
        ) from error


def model_fingerprint(spec: ModelSpec) -> str:
    """A cheap identity of the weights, computed without loading the model (keys the cache)."""
    if spec.source in ("bundled", "gguf"):
        return f"{spec.source}:{spec.name}:{file_fingerprint(_gguf_path(spec))[:16]}"
    if spec.source == "local":
        return f"local:{spec.name}:{folder_fingerprint(Path(spec.location))[:16]}"
    return f"hub:{spec.location}@{Path(_hub_snapshot(spec)).name[:16]}"


def _model_folder(spec: ModelSpec, fingerprint: str, progress: Callable[[str], None]) -> str:
    if spec.source in ("bundled", "gguf"):
        key = fingerprint.replace(":", "-")
        return str(ensure_converted(_gguf_path(spec), key=key, progress=progress,
                                    trust_remote_code=spec.trust_remote_code))
    return spec.location if spec.source == "local" else _hub_snapshot(spec)


def load_model(
    spec: ModelSpec,
    *,
    dtype: str = "float32",
    device: str = "cpu",
    threads: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> LoadedModel:
    """Load the model and tokenizer described by ``spec``; raise ModelNotFoundError/ModelLoadError."""
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    if dtype not in DTYPES:
        raise ModelLoadError(f"dtype must be one of {DTYPES}; got {dtype!r}.")
    if threads:
        torch.set_num_threads(int(threads))
    device = _resolve_device(device)
    fingerprint = model_fingerprint(spec)
    try:
        folder = _model_folder(spec, fingerprint, progress)
    except (ModelNotFoundError, ModelLoadError):
        raise
    except Exception as error:  # a truncated or corrupt GGUF fails inside the converter
        raise ModelLoadError(
            f"Could not read {spec.name!r} as a GGUF model: {type(error).__name__}: {error}. "
            "The file may be truncated or corrupt, or its architecture unsupported by transformers."
        ) from error
    progress(f"Loading {spec.name} ({dtype}, {device})")
    options = dict(local_files_only=True, trust_remote_code=spec.trust_remote_code)
    try:
        config = AutoConfig.from_pretrained(folder, **options)
        tokenizer = AutoTokenizer.from_pretrained(folder, **options)
        try:
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, use_safetensors=True, **options)
            is_causal = True
        except ValueError:  # an encoder (e.g. BERT): hidden states but no next-token loss
            model = AutoModel.from_pretrained(folder, dtype=dtype, use_safetensors=True, **options)
            is_causal = False
    except Exception as error:  # transformers/safetensors raise many types; the message keeps the cause
        raise ModelLoadError(
            f"Could not load {spec.name!r} from {folder}: {type(error).__name__}: {error}. "
            "The weights may be truncated or corrupt, or the architecture unsupported."
        ) from error
    model.to(device).eval()
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    return LoadedModel(
        spec=spec,
        model=model,
        tokenizer=tokenizer,
        fingerprint=fingerprint,
        dtype=dtype,
        device=device,
        n_layers=int(text_config.num_hidden_layers),
        hidden_size=int(text_config.hidden_size),
        context_length=getattr(text_config, "max_position_embeddings", None),
        is_causal=is_causal,
    )
