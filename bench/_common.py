"""Shared helpers of the benchmark scripts: timing, the machine, and the benchmark cloud.

Benchmarks print medians over several runs and ratios against a reference run made in the same
process, never timed unit tests. Run them from the repository root, e.g.
``.venv/bin/python bench/geometry_suite.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import startup  # noqa: E402

startup.configure_process()  # as the app and the CLI do (settings.py), before torch loads

N_TOKENS = 1024
MODEL = "SmolLM2-135M-Instruct"
PROMPT_SET = "python-stdlib"
CACHE_DIR = Path(os.environ.get("TOKEN_GEOMETRY_BENCH_DIR") or Path(tempfile.gettempdir()) / "token-geometry-bench")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def load_average() -> str:
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def machine() -> str:
    """One line describing where the numbers were measured (load average included: these
    machines are shared, and a busy neighbour slows every wall-clock figure)."""
    return (f"{cpu_model()}, {os.cpu_count()} logical CPUs, {memory_gib():.0f} GiB RAM, "
            f"Python {platform.python_version()}, numpy {np.__version__}, load average {load_average()}")


def timing(function: Callable, record: Callable[[float], object]) -> Callable:
    """``function`` wrapped so that the wall-clock seconds of each call go to ``record`` (also
    when the call raises)."""
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            record(time.perf_counter() - started)
    return wrapper


def interleaved(functions: dict[str, Callable[[], object]], *, runs: int, warmup: int = 1) -> dict[str, list[float]]:
    """Time several functions alternately (A B A B …) so that a change of load on the machine
    hits all of them alike; returns the seconds of every timed run, per name."""
    for _ in range(warmup):
        for function in functions.values():
            function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> str:
    return f"median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs)"


def bench_prompt(n_tokens: int = N_TOKENS, *, passages: int = 1) -> str:
    """Python standard-library source from the bundled prompt set: the first ``passages``
    passages cut to about ``n_tokens`` tokens, joined by newlines."""
    from prompts import load_prompt_set

    return "\n".join(load_prompt_set(PROMPT_SET, target_tokens=n_tokens, limit=passages).texts)


def _model_cloud(n_tokens: int) -> np.ndarray:
    from lm import load_model, resolve_model
    from lm.extract import extract, tokenize

    loaded = load_model(resolve_model(None))
    for passages in (1, 2, 3):  # one passage usually holds enough tokens; join more if not
        ids = tokenize(loaded, bench_prompt(n_tokens, passages=passages))
        if ids.size >= n_tokens:
            return extract(loaded, token_ids=ids[:n_tokens]).hidden_states
    raise RuntimeError(f"the benchmark prompt has only {ids.size} tokens; need {n_tokens}.")


def synthetic_cloud(n_layers: int = 31, n_tokens: int = N_TOKENS, width: int = 576, seed: int = 0) -> np.ndarray:
    """A layered cloud with the bundled model's shape: a curved ~20-D manifold in 576-D whose
    embedding drifts from layer to layer (float32, like real hidden states)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n_tokens, 20))
    layers, mixing = [], rng.normal(size=(20, width)) / np.sqrt(20)
    for _ in range(n_layers):
        mixing = mixing + 0.2 * rng.normal(size=mixing.shape) / np.sqrt(20)
        cloud = np.tanh(latent @ mixing) * 10 + 0.05 * rng.normal(size=(n_tokens, width))
        layers.append(cloud.astype(np.float32))
    return np.stack(layers)


def benchmark_cloud(*, synthetic: bool = False, fresh: bool = False, n_tokens: int = N_TOKENS) -> tuple[np.ndarray, str, Path]:
    """The (L+1, N, D) float32 cloud, a description of where it came from, and the .npy file holding it.

    From the bundled SmolLM2 model's hidden states on ``n_tokens`` tokens of standard-library
    source when the model is installed (kept in a temporary folder: hidden states are
    bit-identical across runs, so the forward pass is paid once), synthetic otherwise.
    """
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    if not synthetic:
        try:
            from lm import model_fingerprint, resolve_model

            fingerprint = model_fingerprint(resolve_model(None))
            key = hashlib.sha256(f"{fingerprint}|{PROMPT_SET}|{n_tokens}|{bench_prompt(n_tokens)}".encode()).hexdigest()[:16]
            path = CACHE_DIR / f"cloud-smollm2-{n_tokens}-{key}.npy"
            if fresh or not path.is_file():
                print(f"running the bundled model on {n_tokens} tokens to make the benchmark cloud …", flush=True)
                np.save(path, _model_cloud(n_tokens))
            cloud = np.load(path)
            return cloud, f"SmolLM2-135M-Instruct hidden states, {n_tokens} tokens of '{PROMPT_SET}' ({path.name})", path
        except Exception as error:  # no model package, no tokenizer …: fall back, and say so
            print(f"bundled model unavailable ({type(error).__name__}: {error}); using a synthetic cloud", flush=True)
    path = CACHE_DIR / f"cloud-synthetic-{n_tokens}.npy"
    if fresh or not path.is_file():
        np.save(path, synthetic_cloud(n_tokens=n_tokens))
    return np.load(path), f"synthetic cloud (curved 20-D manifold in 576-D, {n_tokens} points per layer)", path


def bundled_tokenizer():
    """The bundled model's tokenizer alone (from its converted folder; converts once if needed)."""
    from transformers import AutoTokenizer

    from lm import model_fingerprint, resolve_model
    from lm.loading import _model_folder

    spec = resolve_model(None)
    return AutoTokenizer.from_pretrained(_model_folder(spec, model_fingerprint(spec), lambda message: None),
                                         local_files_only=True)


def exact_prompts(n_tokens: int, count: int, *, tokenizer, prompt_set: str = "sotu") -> list[str]:
    """``count`` distinct English prompts of exactly ``n_tokens`` tokens of the bundled model
    (consecutive passages of a bundled prompt set, joined and cut at a token boundary)."""
    from prompts import load_prompt_set

    texts = load_prompt_set(prompt_set, target_tokens=n_tokens, limit=4 * count + 8).texts
    prompts, pool, starts = [], list(texts), set()
    while len(prompts) < count and pool:
        text = pool.pop(0)
        start = " ".join(text.split())[:39]
        if start in starts:  # figure titles show a prompt's first ~40 characters: keep them distinct
            continue
        starts.add(start)
        while len(tokenizer(text, add_special_tokens=False)["input_ids"]) < n_tokens + 8 and pool:
            text = text + "\n\n" + pool.pop(0)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        cut = n_tokens
        while cut > 0:  # a cut can re-tokenise to n ± 1 tokens; move it until it is exact
            candidate = tokenizer.decode(ids[:cut])
            got = len(tokenizer(candidate, add_special_tokens=False)["input_ids"])
            if got == n_tokens:
                prompts.append(candidate)
                break
            cut += 1 if got < n_tokens else -1
            if abs(cut - n_tokens) > 8:
                break
    if len(prompts) < count:
        raise RuntimeError(f"could not cut {count} prompts of exactly {n_tokens} tokens from {prompt_set!r}")
    return prompts


def corpus_parser(doc: str, *, count_option: str, count: int, tokens: int) -> argparse.ArgumentParser:
    """The options every corpus benchmark takes: the model, the prompt set, how many prompts
    (``count_option``, e.g. ``--passages``) and how many tokens each."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--prompts", default=PROMPT_SET)
    parser.add_argument(count_option, type=int, default=count)
    parser.add_argument("--tokens", type=int, default=tokens)
    return parser
