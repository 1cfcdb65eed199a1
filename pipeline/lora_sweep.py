"""The LoRA-rank experiment of Kataiwa et al. 2025: LoRA on the input embedding only, at a list of
ranks, each trained for the same fixed budget on the same data with the same seed and the
rank-stabilised scaling alpha/√r (see :mod:`lm.lora`); held-out perplexity per rank, beside the
measured ID of the embedding matrix.

The paper's claim to test: perplexity drops sharply once the rank reaches about the ID.

Data: passages of a bundled prompt set (seeded sample spread over documents, so training and
held-out passages come from different places), tokenised by the model, joined with EOS and cut
into blocks of ``block_tokens``: the first ``train_blocks`` passages' worth for training, the
next ones for the ``heldout_blocks`` held-out blocks.

Ranks (:func:`sweep_ranks`): powers of two up to ``max_rank`` and the ranks around the ID,
ID/√2, ⌊ID⌋, ⌈ID⌉ and ID·√2 rounded (half an octave either side); ranks outside [1, D] are left out.
Rank 0 is the model without an adapter (the baseline, measured on the same held-out blocks).

Every finished rank is stored at once (kind ``lora_rank``, keyed by the whole setting plus the
rank), so a rerun of the same sweep skips the finished ranks (resume) and a sweep can be extended
with more ranks later.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from cache import spec_key
from pipeline.errors import ExperimentError

LORA_KIND = "lora_rank"
LORA_VERSION = 2  # 2: rank-stabilised scaling alpha/√r (1 had alpha = r)
Report = Callable[[str], None]


@dataclass(frozen=True)
class SweepSettings:
    """Everything that defines a sweep except its ranks (the sweep's identity in the store)."""

    prompts: str = "sotu"  # the bundled prompt set the text comes from
    block_tokens: int = 64  # tokens per block (training example or held-out block)
    train_blocks: int = 256  # blocks to train on, at most
    heldout_blocks: int = 32  # blocks kept out of training, for the held-out loss and perplexity
    steps: int = 30  # optimiser steps per rank
    batch_size: int = 4  # blocks per step
    learning_rate: float = 2e-3  # AdamW
    lora_alpha: float = 1.0  # the adapter's scale is lora_alpha / √rank (rank-stabilised)
    seed: int = 0  # the passage sample, the adapter's initialisation and the block order
    dtype: str = "float32"  # the model's weights while training


@dataclass(frozen=True)
class RankResult:
    """One rank's outcome (rank 0: no adapter). ``losses``: training loss per step (empty at rank 0)."""

    rank: int
    perplexity: float
    heldout_nll: float
    trainable: int
    losses: tuple[float, ...]
    seconds: float


def sweep_ranks(*, intrinsic_dimension: float | None, n_features: int, max_rank: int = 128) -> list[int]:
    """Powers of two ≤ max_rank, plus round(ID/√2), ⌊ID⌋, ⌈ID⌉, round(ID·√2); all in [1, D], sorted."""
    ranks = {2 ** k for k in range(int(math.log2(max_rank)) + 1)}
    if intrinsic_dimension is not None and math.isfinite(intrinsic_dimension) and intrinsic_dimension > 0:
        around = (intrinsic_dimension / math.sqrt(2), math.floor(intrinsic_dimension),
                  math.ceil(intrinsic_dimension), intrinsic_dimension * math.sqrt(2))
        ranks |= {int(round(value)) for value in around}
    return sorted(rank for rank in ranks if 1 <= rank <= n_features)


def sweep_id(fingerprint: str, settings: SweepSettings) -> dict:
    """The key fields every rank of one sweep shares."""
    return {"model": fingerprint, **dataclasses.asdict(settings), "version": LORA_VERSION}


def rank_key(fingerprint: str, settings: SweepSettings, rank: int) -> tuple[str, dict]:
    spec = {**sweep_id(fingerprint, settings), "rank": int(rank)}
    return spec_key(spec), spec


def sweep_name(fingerprint: str, settings: SweepSettings) -> str:
    """A short stable name for the sweep (what the stored ranks are grouped by)."""
    return spec_key(sweep_id(fingerprint, settings))[:12]


def prepare_blocks(tokenizer, settings: SweepSettings) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) token blocks from the bundled prompt set (see the module docstring)."""
    from lm.lora import token_blocks
    from prompts import load_prompt_set

    wanted = settings.train_blocks + settings.heldout_blocks
    # Passages of about 4 blocks each; the seeded sample spreads them over the set's documents.
    passages = load_prompt_set(settings.prompts, target_tokens=4 * settings.block_tokens,
                               limit=wanted // 2 + 8, seed=settings.seed).passages
    texts = [passage.text for passage in passages]
    blocks = token_blocks(tokenizer, texts, length=settings.block_tokens, limit=wanted)
    if len(blocks) < settings.heldout_blocks + 1:
        raise ExperimentError(f"{settings.prompts!r} gave only {len(blocks)} blocks of {settings.block_tokens} tokens; "
                         f"the sweep needs {settings.heldout_blocks} held-out blocks and at least one to train on.")
    # The held-out blocks come from the last passages read, the training blocks from the first.
    return blocks[:-settings.heldout_blocks], blocks[-settings.heldout_blocks:]


def stored_ranks(sink, fingerprint: str, settings: SweepSettings, ranks: Sequence[int]) -> set[int]:
    """The ranks of this sweep already in the store (``sink``: a ResultStore or a ShardWriter)."""
    keys = {rank_key(fingerprint, settings, rank)[0]: rank for rank in ranks}
    return {keys[key] for key in sink.present(list(keys))}


def run_sweep(loaded, *, ranks: Sequence[int], settings: SweepSettings, intrinsic_dimension: float | None,
              put: Callable[..., None], done: set[int] = frozenset(), report: Report = lambda message: None,
              should_stop: Callable[[], bool] = lambda: False) -> list[RankResult]:
    """Measure the baseline (rank 0) and train each rank not in ``done``; ``put(key, **record)``
    stores each rank as soon as it is finished. Returns the ranks computed by this call."""
    from lm.lora import heldout_nll, train_embedding_lora

    train, heldout = prepare_blocks(loaded.tokenizer, settings)
    pending = [rank for rank in [0, *sorted(set(ranks))] if rank not in done]
    results: list[RankResult] = []
    meta_common = {"model_name": loaded.spec.name, "intrinsic_dimension": intrinsic_dimension,
                   "n_features": loaded.hidden_size, "train_blocks_used": int(len(train)),
                   "heldout_blocks_used": int(len(heldout)), "sweep": sweep_name(loaded.fingerprint, settings),
                   "device": loaded.device}
    sweep_started = time.perf_counter()
    for position, rank in enumerate(pending):
        if should_stop():
            break
        started = time.perf_counter()
        if rank == 0:
            report(f"baseline (no adapter): held-out perplexity on {len(heldout)} blocks")
            nll = heldout_nll(loaded.model, heldout, batch_size=settings.batch_size, device=loaded.device)
            result = RankResult(rank=0, perplexity=math.exp(nll), heldout_nll=nll, trainable=0, losses=(),
                                seconds=time.perf_counter() - started)
        else:
            def on_step(step: int, loss: float, rank=rank, position=position) -> None:
                if step % 10 == 0 or step == settings.steps:
                    elapsed = time.perf_counter() - started
                    report(f"rank {rank} ({position + 1}/{len(pending)}): step {step}/{settings.steps}, "
                           f"loss {loss:.3f}, {elapsed / step:.2f} s/step")

            run = train_embedding_lora(loaded.model, rank=rank, train=train, heldout=heldout, steps=settings.steps,
                                       batch_size=settings.batch_size, learning_rate=settings.learning_rate,
                                       seed=settings.seed, alpha=settings.lora_alpha, device=loaded.device,
                                       on_step=on_step)
            result = RankResult(rank=rank, perplexity=run.perplexity, heldout_nll=run.heldout_nll,
                                trainable=run.trainable, losses=tuple(float(x) for x in run.losses),
                                seconds=run.seconds)
        key, spec = rank_key(loaded.fingerprint, settings, rank)
        put(key, kind=LORA_KIND, spec=spec, arrays={},
            meta={**meta_common, "result": {**dataclasses.asdict(result), "losses": list(result.losses)}},
            seconds=result.seconds)
        results.append(result)
        remaining = len(pending) - position - 1
        per_rank = (time.perf_counter() - sweep_started) / (position + 1)
        report(f"rank {rank}: held-out perplexity {result.perplexity:.3f} ({result.seconds:.0f} s); "
               f"{remaining} rank(s) left, about {remaining * per_rank / 60:.1f} min")
    return results


def stored_sweeps(store) -> list[dict]:
    """Every stored rank of every sweep, one row each (for the view): sweep, model, settings,
    rank, perplexity, NLL, trainable parameters, seconds, the ID the sweep was planned with."""
    if store is None:
        return []
    rows = []
    for key in store.keys(kind=LORA_KIND):
        record = store.get(key)
        if record is None or record.spec.get("version") != LORA_VERSION:
            continue  # another version's results are not comparable
        meta, spec = record.meta, record.spec
        result = meta["result"]
        rows.append({"sweep": meta["sweep"], "model": meta["model_name"], "rank": int(spec["rank"]),
                     "perplexity": result["perplexity"], "heldout_nll": result["heldout_nll"],
                     "trainable": result["trainable"], "seconds": result["seconds"],
                     "final_train_loss": result["losses"][-1] if result["losses"] else float("nan"),
                     "intrinsic_dimension": meta["intrinsic_dimension"], "n_features": meta["n_features"],
                     "device": meta.get("device", "cpu"),
                     **{name: spec[name] for name in ("prompts", "block_tokens", "steps", "batch_size",
                                                       "learning_rate", "lora_alpha", "seed")}})
    return sorted(rows, key=lambda row: (row["sweep"], row["rank"]))
