"""``python -m cli run``: a corpus run into the result store (through a shard, see cache.shards)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from cli.main import EXIT_INTERRUPTED, EXIT_OK, RuntimeProblem, UsageError
from cli.progress import ProgressBar, StopOnInterrupt, format_seconds

DEFAULT_SET_LIMIT = 100
PROMPT_FILE_SUFFIXES = (".txt", ".jsonl")
MAX_ANALYSES = 1_000_000  # planned work units of one run (each holds its passage's text and key)


def make_loader(device: str, threads: int | None):
    """The model loader of a run (one model, kept for the whole run); tests replace it."""
    from pipeline.corpus import quiet_loader

    return quiet_loader(device, threads)


def load_prompts(text: str, *, max_tokens: int, limit: int | None, notify):
    """A bundled prompt set by name, or a .txt/.jsonl file; UsageError for anything unusable."""
    from prompts import PromptSetError, load_prompt_set, read_prompt_file

    path = Path(text).expanduser()
    try:
        if text.lower().endswith(PROMPT_FILE_SUFFIXES) or path.is_file():
            if not path.is_file():
                raise UsageError(f"no prompt file at {text!r}.")
            prompt_set = read_prompt_file(path)
            if limit is not None:
                prompt_set = type(prompt_set)(prompt_set.name, prompt_set.passages[:limit], prompt_set.skipped)
            return prompt_set
        prompt_set = load_prompt_set(text, target_tokens=max_tokens, limit=limit or DEFAULT_SET_LIMIT)
        if limit is None and len(prompt_set) == DEFAULT_SET_LIMIT:
            notify(f"Using the first {DEFAULT_SET_LIMIT} passages of {text!r} (pass --limit to change).")
        return prompt_set
    except PromptSetError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot read {text!r}: {error.strerror or error}.") from None


def _special_tokens(choice: str, model: str) -> bool:
    from lm import BUNDLED_MODELS

    if choice != "auto":
        return choice == "on"
    return model in BUNDLED_MODELS and BUNDLED_MODELS[model].wants_bos


def _shuffle_text(units) -> str:
    return ",".join(str(s) for s in sorted({u.shuffle_index for u in units}))


def make_executor(args, store_path: Path, notify):
    """The executor a run asked for: SequentialExecutor, or a RayExecutor (Ray imported only then)."""
    from pipeline.corpus import SequentialExecutor

    if args.executor == "local":
        return SequentialExecutor(batch_size=args.batch_size)
    from pipeline.ray_executor import RayExecutor

    threads = args.threads or max(1, int(args.cpus_per_task))
    return RayExecutor(store_path=store_path, address=args.ray_address, units_per_task=args.units_per_task,
                       gpus_per_task=args.gpus_per_task, cpus_per_task=args.cpus_per_task, device=args.device,
                       threads=threads, batch_size=args.batch_size, shards=args.ray_shards, notify=notify)


def _check_size(args, passages: int) -> None:
    """Refuse a run that cannot mean anything or would not fit in memory, before planning it."""
    from geometry.shuffle import max_shuffle_index

    largest = max_shuffle_index(args.max_tokens)
    beyond = [s for s in args.shuffle if s > largest]
    if beyond:
        raise UsageError(f"--shuffle {beyond[0]} is beyond S={largest}, which already shuffles every token of a prompt of "
                         f"at most {args.max_tokens} tokens (--max-tokens); use S <= {largest}.")
    per_passage = (0 in args.shuffle) + args.seeds * sum(1 for s in args.shuffle if s > 0)
    if passages * per_passage > MAX_ANALYSES:
        raise UsageError(f"{passages:,} passages × {per_passage:,} shuffles and seeds = {passages * per_passage:,} "
                         f"analyses, more than one run plans ({MAX_ANALYSES:,}); use --limit, fewer seeds or "
                         "fewer shuffle indices, and run the rest afterwards (finished work is skipped).")


def _where(store_path: Path, writer, closing, executor) -> str:
    """Where the results are, and if they wait in shard files (this process's, or the ones a Ray
    run's tasks sent back), the real reason why."""
    from cache.shards import shard_dir

    waiting = writer.pending() + [path for path in getattr(executor, "landed", []) if path.exists()]
    if closing is not None and not waiting:
        return f"Results: {store_path}"
    files = f"Results wait in {len(waiting)} file(s) in {shard_dir(store_path)}/"
    if closing is None and writer.blocked.startswith("it is open in another process"):
        return (f"{files} until the dashboard merges them (\"Refresh from CLI runs\") or `python -m cli merge` runs "
                "while the dashboard is closed.")
    if closing is not None and closing.skipped:
        reason = "; ".join(f"{path.name}: {why}" for path, why in closing.skipped)
    else:
        reason = writer.blocked or "the merge failed"
    return f"{files}, not merged: {reason.rstrip('.')}. Once that is fixed, `python -m cli merge` merges them."


def run_command(args, argv) -> int:
    from cache import StoreError, default_store_path
    from cache.shards import ShardWriter, shard_dir
    from lm import DEFAULT_MODEL, LMError
    from pipeline.corpus import CorpusConfig, CorpusError, plan_corpus, run_corpus
    from pipeline.ray_executor import RayTaskFailed, RayUnavailable  # (Ray itself is imported by a Ray run only)

    bar = ProgressBar()
    store_path = Path(args.store).expanduser() if args.store else default_store_path()
    prompt_set = load_prompts(args.prompts, max_tokens=args.max_tokens, limit=args.limit, notify=bar.message)
    model = args.model or DEFAULT_MODEL
    config = CorpusConfig(model=model, dtype=args.dtype, max_tokens=args.max_tokens,
                          add_special_tokens=_special_tokens(args.special_tokens, model),
                          trust_remote_code=args.trust_remote_code, with_logits_id=not args.no_logits_id,
                          with_token_neighbors=args.token_neighbors)
    _check_size(args, len(prompt_set))
    try:
        units = plan_corpus(prompt_set, config, corpus=args.corpus, shuffles=args.shuffle, seeds=args.seeds)
    except (LMError, CorpusError) as error:
        raise UsageError(str(error)) from None
    if not units:
        raise UsageError(f"{args.prompts!r} has no passages to analyse.")

    writer = ShardWriter(store_path, rotate_seconds=args.shard_minutes * 60)
    try:
        merged = writer.merge_into_main()  # earlier runs' leftovers, while the store is free
    except StoreError as error:
        raise RuntimeProblem(str(error)) from None
    if merged is None:
        bar.message(f"The store {store_path} cannot take results now: {writer.blocked}. Results go to "
                    f"{shard_dir(store_path)}/ and appear in the dashboard after \"Refresh from CLI runs\".")
    elif merged.merged or merged.skipped:
        bar.message(merged.message)
    corpus = units[0].corpus
    bar.message(f"{corpus}: {len(prompt_set)} passages × {len(units) // len(prompt_set)} (S={_shuffle_text(units)}, "
                f"{args.seeds} seed(s) for S>0) = {len(units)} analyses with {model} ({args.dtype}, ≤{args.max_tokens} tokens).")

    last = {}

    def progress(report) -> None:
        last["report"] = report
        bar(report)

    loader = make_loader(args.device, args.threads)
    executor = make_executor(args, store_path, bar.message)
    summary, interrupted = None, False
    try:
        with StopOnInterrupt(bar.message) as stop:
            summary = run_corpus(units, config, sink=writer, loader=loader, progress=progress, should_stop=stop,
                                 executor=executor)
    except KeyboardInterrupt:
        interrupted = True
    except LMError as error:  # the model cannot be found or loaded, or the device is missing
        raise UsageError(str(error)) from None
    except RayUnavailable as error:  # Ray not installed, or no cluster at that address
        raise UsageError(str(error)) from None
    except RayTaskFailed as error:
        raise RuntimeProblem(f"{error} Finished results are kept; rerun to resume.") from None
    except StoreError as error:
        raise RuntimeProblem(f"{error} Finished results are kept; rerun to resume.") from None
    finally:
        bar.finish()
        try:
            closing = writer.close(merge=True, wait_seconds=0.5)
        except StoreError as error:
            closing, writer.blocked = None, f"merging failed ({error})"
            print(f"warning: merging into {store_path} failed ({error}); results wait in {shard_dir(store_path)}/.",
                  file=sys.stderr)
        for notice in writer.notices:
            print(f"note: {notice}", file=sys.stderr)

    where = _where(store_path, writer, closing, executor)
    if summary is not None:
        for unit, reason in summary.failures[:10]:
            print(f"not analysed: {unit.label}: {reason}", file=sys.stderr)
        if len(summary.failures) > 10:
            print(f"… and {len(summary.failures) - 10} more not analysed.", file=sys.stderr)
    if interrupted or (summary is not None and summary.stopped):
        report = last.get("report")
        done = f"{report.done} of {report.total}" if report else "some"
        print(f"Stopped: {done} analyses are finished and saved. {where}\n"
              f"Run the same command again to resume:\n  python -m cli {shlex.join(argv)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    rate = summary.prompts_per_second
    speed = f" in {format_seconds(summary.seconds)} ({rate * 60:.1f} prompts/min)" if summary.computed else ""
    print(f"Done: {summary.computed} computed, {summary.skipped} already in the store, {summary.failed} not analysable"
          f"{speed}. {where}", file=sys.stderr)
    return EXIT_OK
