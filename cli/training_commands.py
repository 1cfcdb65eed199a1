"""``python -m cli checkpoints`` (ID across training checkpoints) and ``python -m cli lora-sweep``
(the LoRA-rank experiment), after Kataiwa et al. 2025. Both resume: finished work is in the store."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from cli.main import EXIT_INTERRUPTED, EXIT_OK, RuntimeProblem, UsageError
from cli.progress import StopOnInterrupt, format_seconds


def _ranks(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"ranks are comma-separated integers like 1,2,4,8; got {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"ranks must be integers >= 1; got {text!r}")
    return values


def add_training_commands(commands, *, store, int_at_least, positive_float) -> None:
    """Register the two subcommands on the CLI's subparsers."""
    lora = commands.add_parser(
        "lora-sweep", parents=[store], help="LoRA on the input embedding at several ranks (resumable)",
        description="Kataiwa et al. 2025's LoRA-rank experiment: LoRA (peft) on the input-embedding layer only, "
                    "each rank trained for the same number of steps on the same blocks of a bundled prompt set "
                    "with the same seed; held-out perplexity per rank is stored beside the measured ID of the "
                    "embedding matrix. Finished ranks are skipped, so rerunning resumes (Ctrl-C stops after the "
                    "current rank).")
    lora.add_argument("--model", default=None, metavar="NAME_OR_PATH",
                      help="bundled model name, model folder or cached Hugging Face id (default: bundled SmolLM2)")
    lora.add_argument("--ranks", type=_ranks, default=None, metavar="R,R,...",
                      help="ranks to train (default: powers of two up to --max-rank and the ranks around the ID)")
    lora.add_argument("--max-rank", type=int_at_least(1), default=128, metavar="R",
                      help="largest power of two in the default ranks (default 128)")
    lora.add_argument("--prompts", default="sotu", metavar="SET", help="bundled prompt set (default sotu)")
    lora.add_argument("--steps", type=int_at_least(1), default=30, metavar="N", help="AdamW steps per rank (default 30)")
    lora.add_argument("--block-tokens", type=int_at_least(8), default=64, metavar="N",
                      help="tokens per training/held-out block (default 64)")
    lora.add_argument("--batch-size", type=int_at_least(1), default=4, metavar="N", help="blocks per step (default 4)")
    lora.add_argument("--train-blocks", type=int_at_least(1), default=256, metavar="N",
                      help="blocks to draw training batches from (default 256)")
    lora.add_argument("--heldout-blocks", type=int_at_least(1), default=32, metavar="N",
                      help="held-out blocks for the perplexity (default 32)")
    lora.add_argument("--learning-rate", type=positive_float, default=2e-3, metavar="LR", help="default 0.002")
    lora.add_argument("--lora-alpha", type=positive_float, default=1.0, metavar="A",
                      help="LoRA alpha; the update is scaled by alpha/√rank (rank-stabilised, default 1)")
    lora.add_argument("--seed", type=int_at_least(0), default=0, metavar="N", help="default 0")
    lora.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto", help="default auto")
    lora.add_argument("--threads", type=int_at_least(1), default=None, metavar="N", help="CPU threads for torch")
    lora.add_argument("--trust-remote-code", action="store_true", help="allow the model's own code (off by default)")

    series = commands.add_parser(
        "checkpoints", parents=[store], help="embedding ID and layer profile across training checkpoints",
        description="Measure a series of checkpoints of one model: the ID of the input-embedding matrix and, with "
                    "--prompt, the per-layer ID profile of that prompt. Each checkpoint's results are cached like "
                    "any model's; running again with more checkpoints and the same --name extends the series.")
    series.add_argument("paths", nargs="*", metavar="PATH",
                        help="a folder of checkpoint-<step> folders (as the Hugging Face Trainer writes them), or "
                             "several checkpoint folders")
    series.add_argument("--hub", metavar="ORG/NAME", help="a hub model whose revisions are in the local cache")
    series.add_argument("--revisions", metavar="REV,REV,...",
                        help="with --hub: the revisions (e.g. step1000,step2000); default: every cached step… branch")
    series.add_argument("--name", default=None, metavar="NAME",
                        help="the series' name in the store (default: the folder's or hub model's name)")
    series.add_argument("--prompt", default=None, metavar="TEXT_OR_FILE",
                        help="also measure the per-layer ID of this prompt (text, or a .txt file) at every checkpoint")
    series.add_argument("--max-tokens", type=int_at_least(9), default=512, metavar="N", help="prompt token limit")
    series.add_argument("--threads", type=int_at_least(1), default=None, metavar="N", help="CPU threads for torch")


@contextmanager
def _result_sink(store_path: Path, notify):
    """Where results go: shards of this run (see cache.shards), never the main store for longer
    than a merge, so the dashboard can keep the store open meanwhile. The writer reads the main
    store (when free) and every finished shard, so finished work is found wherever it lies."""
    from cache import StoreError
    from cache.shards import ShardWriter, shard_dir

    writer = ShardWriter(store_path, rotate_seconds=300)
    try:
        merged = writer.merge_into_main()  # earlier runs' leftovers, while the store is free
    except StoreError as error:
        raise RuntimeProblem(str(error)) from None
    if merged is None:
        notify(f"The store {store_path} is open in another process (the dashboard?). Results go to "
               f"{shard_dir(store_path)}/ and appear in the dashboard after \"Refresh from CLI runs\".")
    elif merged.merged:
        notify(merged.message)
    try:
        yield writer
    finally:
        try:
            writer.close(merge=True, wait_seconds=0.5)
        except StoreError as error:
            print(f"warning: merging into {store_path} failed ({error}); results wait in {shard_dir(store_path)}/.",
                  file=sys.stderr)
        if writer.pending():
            notify(f"Results wait in {shard_dir(store_path)}/ until the dashboard merges them (\"Refresh from CLI "
                   "runs\") or `python -m cli merge` runs while the dashboard is closed.")


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _load(model: str, *, device: str, threads: int | None, trust_remote_code: bool, dtype: str = "float32"):
    from transformers.utils import logging

    from lm import LMError, load_model, resolve_model

    logging.disable_progress_bar()
    try:
        spec = resolve_model(model, trust_remote_code=trust_remote_code)
        return load_model(spec, dtype=dtype, device=device, threads=threads, progress=_say)
    except LMError as error:
        raise UsageError(str(error)) from None


def lora_sweep_command(args, argv) -> int:
    from cache import default_store_path
    from lm import DEFAULT_MODEL
    from pipeline.lora_sweep import SweepSettings, run_sweep, stored_ranks, sweep_name, sweep_ranks
    from pipeline.vocabulary import vocabulary_geometry
    from prompts import PromptSetError

    store_path = Path(args.store).expanduser() if args.store else default_store_path()
    settings = SweepSettings(prompts=args.prompts, block_tokens=args.block_tokens, train_blocks=args.train_blocks,
                             heldout_blocks=args.heldout_blocks, steps=args.steps, batch_size=args.batch_size,
                             learning_rate=args.learning_rate, lora_alpha=args.lora_alpha, seed=args.seed)
    started = time.perf_counter()
    loaded = _load(args.model or DEFAULT_MODEL, device=args.device, threads=args.threads,
                   trust_remote_code=args.trust_remote_code)
    _say(f"{loaded.spec.name} loaded on {loaded.device} ({time.perf_counter() - started:.0f} s).")
    results, interrupted = [], False
    with _result_sink(store_path, _say) as store:
        _say("Intrinsic dimension of the input-embedding matrix (cached after the first time)…")
        outcome = vocabulary_geometry(loaded.spec.location if loaded.spec.source != "bundled" else loaded.spec.name,
                                     store=store, loader=lambda spec, dtype: loaded,
                                     progress=lambda fraction, message: _say(message))
        identity = outcome.result
        _say(f"ID (TwoNN, linear fit) = {identity.id_twonn:.2f} ± {identity.error_twonn:.2f} "
             f"(MLE {identity.id_twonn_mle:.2f}) of D = {identity.n_features}"
             f"{' (from the store)' if outcome.from_cache else ''}.")
        ranks = args.ranks or sweep_ranks(intrinsic_dimension=identity.id_twonn, n_features=identity.n_features,
                                          max_rank=args.max_rank)
        done = stored_ranks(store, loaded.fingerprint, settings, [0, *ranks])
        _say(f"Sweep {sweep_name(loaded.fingerprint, settings)}: ranks {','.join(map(str, ranks))} "
             f"(+ 0 = no adapter); {len(done)} already in the store. {settings.steps} steps × {settings.batch_size} "
             f"blocks of {settings.block_tokens} tokens per rank, learning rate {settings.learning_rate}, update "
             f"scaled by {settings.lora_alpha:g}/√rank, seed "
             f"{settings.seed}.")
        try:
            with StopOnInterrupt(_say) as stop:
                results = run_sweep(loaded, ranks=ranks, settings=settings, intrinsic_dimension=identity.id_twonn,
                                    put=store.put, done=done, report=_say, should_stop=stop)
                interrupted = stop.requested
        except KeyboardInterrupt:
            interrupted = True
        except (PromptSetError, ValueError) as error:
            raise UsageError(str(error)) from None
    for result in results:
        print(f"rank {result.rank:4d}  perplexity {result.perplexity:9.4f}  trainable {result.trainable:9d}  "
              f"{result.seconds:6.1f} s")
    if interrupted:
        print(f"Stopped; finished ranks are saved. Run the same command again to resume:\n"
              f"  python -m cli {shlex.join(argv)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    _say(f"Done: {len(results)} rank(s) computed, {len(done)} already stored, in "
         f"{format_seconds(time.perf_counter() - started)}. Results: {store_path}")
    return EXIT_OK


def checkpoints_command(args, argv) -> int:
    from cache import default_store_path
    from lm import LMError
    from pipeline.checkpoints import (CheckpointError, Checkpoint, checkpoints_from_folders, hub_checkpoints,
                                      measure_series)

    store_path = Path(args.store).expanduser() if args.store else default_store_path()
    try:
        if args.hub:
            if args.paths:
                raise UsageError("give either checkpoint folders or --hub, not both.")
            revisions = [part.strip() for part in args.revisions.split(",") if part.strip()] if args.revisions else None
            checkpoints: list[Checkpoint] = hub_checkpoints(args.hub, revisions=revisions)
            name = args.name or args.hub
        else:
            if not args.paths:
                raise UsageError("give a folder of checkpoint-<step> folders, several checkpoint folders, or --hub.")
            checkpoints = checkpoints_from_folders([Path(path).expanduser() for path in args.paths])
            name = args.name or Path(args.paths[0]).expanduser().resolve().name
    except CheckpointError as error:
        raise UsageError(str(error)) from None
    prompt = args.prompt
    if prompt is not None and prompt.lower().endswith(".txt"):
        try:
            prompt = Path(prompt).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read the prompt file {args.prompt!r}: {error}") from None
    from transformers.utils import logging

    logging.disable_progress_bar()  # Hugging Face's own bars would break the log lines
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    _say(f"Series {name!r}: {len(checkpoints)} checkpoint(s), steps "
         f"{', '.join(str(c.step) for c in checkpoints)}.")
    started = time.perf_counter()
    try:
        with _result_sink(store_path, _say) as store:
            series = measure_series(name, checkpoints, store=store, prompt=prompt, max_tokens=args.max_tokens,
                                    report=_say)
    except LMError as error:
        raise UsageError(str(error)) from None
    except KeyboardInterrupt:
        print("Stopped; finished checkpoints are saved. Run the same command again to resume:\n"
              f"  python -m cli {shlex.join(argv)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    for point in series.points:
        peak = f"  peak layer {point.peak_layer} (ID {point.peak_id:.2f})" if point.peak_layer is not None else ""
        print(f"step {point.step:8d}  ID {point.embedding.id_twonn:7.2f} ± {point.embedding.error_twonn:.2f}  "
              f"MLE {point.embedding.id_twonn_mle:7.2f}  redundancy {point.embedding.redundancy:.3f}{peak}")
    _say(f"Done in {format_seconds(time.perf_counter() - started)}. Results: {store_path}")
    return EXIT_OK
