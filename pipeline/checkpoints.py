"""A series of checkpoints of one model, measured along training (Kataiwa et al. 2025: the ID of
the token embeddings drops fast early in training, then converges).

Per checkpoint: the ID of the input-embedding matrix on every cleaned row
(:func:`pipeline.vocabulary.vocabulary_geometry`:
TwoNN linear fit and MLE with their errors, redundancy 1 − ID/D) and, for a chosen prompt, the
per-layer ID profile (:func:`pipeline.runner.analyse`, TwoNN linear fit per layer) and its peak
(the layer of largest ID). Both are cached by the checkpoint's weight fingerprint, like any
model's results; the series itself is one small record (kind ``checkpoint_series``) listing its
checkpoints and prompts, and running it again with more checkpoints extends it.

Where checkpoints come from:
* a folder of ``checkpoint-<step>`` folders, as the Hugging Face Trainer writes them (weights are
  read from ``*.safetensors`` only; the Trainer's pickled ``optimizer.pt``/``rng_state.pth`` are
  never opened). Each must hold tokenizer files (``Trainer(processing_class=tokenizer)`` saves them);
* a list of model folders, the step read from a ``checkpoint-<N>`` or ``step<N>`` suffix;
* revisions of a hub model already in the local Hugging Face cache (Pythia's ``step<N>``
  branches); nothing is downloaded.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from cache import StoreError, spec_key
from geometry.embedding_id import EmbeddingID
from pipeline.errors import CheckpointError
from pipeline.runner import ModelLoader, Request, analyse, build_spec, cached
from pipeline.vocabulary import vocabulary_geometry

SERIES_KIND = "checkpoint_series"
SERIES_VERSION = 1
_STEP = re.compile(r"(?:checkpoint-|step)(\d+)$")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint: its training step, a label for people and the folder to load."""

    step: int  # the training step (from the folder's or the revision's name: checkpoint-N or stepN)
    label: str  # what the pages call it
    location: str  # the folder to load


@dataclass(frozen=True)
class SeriesPoint:
    """One checkpoint measured. ``layer_id``/``layer_error``: TwoNN linear ID per layer (layers
    1..L) of the series' prompt, None without one; ``peak_layer``: the layer of largest ID."""

    checkpoint: Checkpoint
    fingerprint: str
    embedding: EmbeddingID
    layer_id: np.ndarray | None = None
    layer_error: np.ndarray | None = None
    peak_layer: int | None = None
    peak_id: float | None = None

    @property
    def step(self) -> int:
        return self.checkpoint.step


@dataclass(frozen=True)
class CheckpointSeries:
    """The measured checkpoints of a series, by step; ``missing``: labels of checkpoints whose
    results are not in the store (only when read with ``only_cached``) or that failed, with why."""

    name: str
    prompt: str | None
    points: tuple[SeriesPoint, ...]
    missing: tuple[str, ...] = ()


def _is_checkpoint(folder: Path) -> bool:
    return (folder / "config.json").is_file()


def _checked(folder: Path, step: int) -> Checkpoint:
    if not any((folder / name).is_file() for name in _TOKENIZER_FILES):
        raise CheckpointError(f"{folder} has no tokenizer files; save the tokenizer with the checkpoints "
                              "(the Hugging Face Trainer does when given processing_class=tokenizer).")
    if not any(folder.glob("*.safetensors")):
        raise CheckpointError(f"{folder} has no .safetensors weights (only safetensors are read, never pickles).")
    return Checkpoint(step=step, label=folder.name, location=str(folder.resolve()))


def checkpoints_from_folders(paths: Sequence[Path]) -> list[Checkpoint]:
    """Checkpoints from folders: a folder of ``checkpoint-<step>`` folders expands to them; any
    other folder is one checkpoint whose name ends in ``checkpoint-<N>`` or ``step<N>``."""
    found: dict[int, Checkpoint] = {}
    for path in paths:
        if not path.is_dir():
            raise CheckpointError(f"{path} is not a folder.")
        if _is_checkpoint(path):
            match = _STEP.search(path.name)
            if match is None:
                raise CheckpointError(f"cannot tell the training step of {path}: name it checkpoint-<step> or "
                                      "step<step>.")
            children = [(int(match.group(1)), path)]
        else:
            children = [(int(m.group(1)), child) for child in sorted(path.iterdir())
                        if child.is_dir() and (m := re.fullmatch(r"checkpoint-(\d+)", child.name)) and
                        _is_checkpoint(child)]
            if not children:
                raise CheckpointError(f"{path} holds no checkpoint-<step> folders with a config.json, and is not a "
                                      "model folder itself.")
        for step, folder in children:
            if step in found:
                raise CheckpointError(f"step {step} appears twice ({found[step].location} and {folder}).")
            found[step] = _checked(folder, step)
    return [found[step] for step in sorted(found)]


def hub_checkpoints(repo_id: str, *, revisions: Sequence[str] | None = None) -> list[Checkpoint]:
    """Revisions of a hub model that are in the local Hugging Face cache (never downloaded);
    default: every cached branch named ``step<N>``."""
    from huggingface_hub import scan_cache_dir, snapshot_download
    from huggingface_hub.errors import CacheNotFound, LocalEntryNotFoundError

    if revisions is None:
        try:
            cache = scan_cache_dir()
        except CacheNotFound:
            raise CheckpointError("there is no local Hugging Face cache on this machine.") from None
        refs = {ref for repo in cache.repos if repo.repo_id == repo_id and repo.repo_type == "model"
                for revision in repo.revisions for ref in revision.refs}
        revisions = sorted((ref for ref in refs if _STEP.fullmatch(ref)), key=lambda ref: int(_STEP.search(ref).group(1)))
        if not revisions:
            raise CheckpointError(f"the local Hugging Face cache holds no step<N> revisions of {repo_id!r}.")
    checkpoints = []
    for revision in revisions:
        match = _STEP.search(revision)
        if match is None:
            raise CheckpointError(f"cannot tell the training step of revision {revision!r}: expected step<N>.")
        try:
            folder = Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
        except (LocalEntryNotFoundError, OSError, ValueError):
            raise CheckpointError(f"revision {revision!r} of {repo_id!r} is not in the local Hugging Face cache "
                                  "(this machine cannot download it).") from None
        checkpoint = _checked(folder, int(match.group(1)))
        checkpoints.append(dataclasses.replace(checkpoint, label=f"{repo_id}@{revision}"))
    return sorted(checkpoints, key=lambda checkpoint: checkpoint.step)


def _series_key(name: str) -> tuple[str, dict]:
    spec = {"series": name, "version": SERIES_VERSION}
    return spec_key(spec), spec


def stored_series(store) -> dict[str, dict]:
    """Every stored series: name → {"checkpoints": [Checkpoint, ...], "prompts": [text, ...]}."""
    if store is None:
        return {}
    found = {}
    for key in store.keys(kind=SERIES_KIND):
        record = store.get(key)
        if record is not None:
            found[record.meta["name"]] = {"checkpoints": [Checkpoint(**c) for c in record.meta["checkpoints"]],
                                          "prompts": list(record.meta["prompts"])}
    return dict(sorted(found.items()))


def _remember(store, name: str, checkpoints: Sequence[Checkpoint], prompt: str | None) -> None:
    """Add the checkpoints and the prompt to the stored series (by step: a new folder for a step
    wins). ``store``: a ResultStore or anything with its get/put (a cache.ShardWriter)."""
    key, spec = _series_key(name)
    record = store.get(key)
    known = record.meta if record is not None else {"checkpoints": [], "prompts": []}
    by_step = {c["step"]: Checkpoint(**c) for c in known["checkpoints"]} | {c.step: c for c in checkpoints}
    prompts = known["prompts"] + ([prompt] if prompt is not None and prompt not in known["prompts"] else [])
    store.put(key, kind=SERIES_KIND, spec=spec, arrays={},
              meta={"name": name, "checkpoints": [dataclasses.asdict(by_step[s]) for s in sorted(by_step)],
                    "prompts": prompts})


def _layer_profile(checkpoint: Checkpoint, prompt: str, *, store, loader: ModelLoader, max_tokens: int,
                   only_cached: bool):
    request = Request(model=checkpoint.location, prompt=prompt, max_tokens=max_tokens, with_token_neighbors=False)
    if only_cached:
        _, spec = build_spec(request)
        return cached(store, spec_key(spec))
    return analyse(request, store=store, loader=loader).analysis


def measure_series(name: str, checkpoints: Sequence[Checkpoint], *, store, prompt: str | None = None,
                   max_tokens: int = 512, loader: ModelLoader | None = None, only_cached: bool = False,
                   report: Callable[[str], None] = lambda message: None) -> CheckpointSeries:
    """Measure (or, with ``only_cached``, read from the store) every checkpoint of the series, and
    record the series in the store (unless ``only_cached``). One model is loaded at a time."""
    from lm import LMError, PromptError
    from pipeline.corpus import CachedLoader

    loader = loader or CachedLoader()
    if not only_cached and store is not None:
        try:
            _remember(store, name, checkpoints, prompt)
        except StoreError as error:
            report(f"The series could not be recorded in the store ({error}).")
    points, missing = [], []
    for index, checkpoint in enumerate(checkpoints):
        report(f"{checkpoint.label} (step {checkpoint.step}, {index + 1}/{len(checkpoints)})")
        try:
            outcome = vocabulary_geometry(checkpoint.location, store=store, loader=loader, only_cached=only_cached)
            analysis = (None if prompt is None or outcome is None else
                        _layer_profile(checkpoint, prompt, store=store, loader=loader, max_tokens=max_tokens,
                                       only_cached=only_cached))
        except PromptError:
            raise
        except LMError as error:
            missing.append(f"{checkpoint.label}: {error}")
            continue
        if outcome is None or (prompt is not None and analysis is None):
            missing.append(f"{checkpoint.label}: not in the store yet")
            continue
        point = SeriesPoint(checkpoint=checkpoint, fingerprint=outcome.fingerprint, embedding=outcome.result)
        if analysis is not None:
            profile = np.asarray(analysis.twonn_linear, dtype=float)
            peak = int(np.nanargmax(profile)) if np.isfinite(profile).any() else None
            point = dataclasses.replace(
                point, layer_id=profile, layer_error=np.asarray(analysis.twonn_linear_error, dtype=float),
                peak_layer=None if peak is None else int(analysis.layers[peak]),
                peak_id=None if peak is None else float(profile[peak]))
        points.append(point)
    return CheckpointSeries(name=name, prompt=prompt, points=tuple(points), missing=tuple(missing))
