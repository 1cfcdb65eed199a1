"""Argument parsing and dispatch. Exit codes: 0 ok, 1 runtime problem (store busy or failing),
2 bad arguments or input (one line on stderr, no traceback), 130 stopped with Ctrl-C."""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Sequence

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

EPILOG = """\
examples:
  python -m cli run --prompts python-stdlib --limit 8 --shuffle 0,5 --seeds 3
  python -m cli run --model ./my-model --prompts texts.jsonl --device cuda --dtype bfloat16
  python -m cli run --prompts sotu --shuffle 0,5 --executor ray --ray-address auto --gpus-per-task 1
  python -m cli list
  python -m cli export --format parquet --out results/ --corpus python-stdlib
  python -m cli checkpoints runs/my-model/ --prompt "The quick brown fox..."
  python -m cli lora-sweep --model SmolLM2-135M-Instruct --steps 30
  python -m cli embeddings --model Gemma-3-270M

While the dashboard has the store open, runs write to files in <store>.shards/; the dashboard
merges them when it starts and on "Refresh from CLI runs" (or run `python -m cli merge`).
"""


class UsageError(Exception):
    """Bad arguments or input: reported in one line, exit code 2."""


class RuntimeProblem(Exception):
    """The store is busy or failing: reported in one line, exit code 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise UsageError(f"{message} (see `{self.prog} --help`)")


# Upper bounds, checked before anything is planned: a shuffle index past MAX_SHUFFLE_INDEX shuffles
# every token of any prompt the CLI accepts (4^12 blocks > MAX_TOKENS tokens), and MAX_SEEDS seeds per
# S is far beyond any study (the papers use a handful) while keeping the plan in memory.
MAX_TOKENS = 1_048_576
MAX_SHUFFLE_INDEX = 12
MAX_SEEDS = 1_000
_SHORT = 20  # characters of a bad value echoed back


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHORT else text[:_SHORT] + "…")


def _shuffles(text: str) -> list[int]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() and part.isascii() for part in parts):
        raise argparse.ArgumentTypeError(f"shuffle indices are comma-separated integers >= 0 like 0,5 "
                                         f"(0 = unshuffled); got {_shown(text)}")
    if any(len(part) > 3 or int(part) > MAX_SHUFFLE_INDEX for part in parts):
        raise argparse.ArgumentTypeError(f"a shuffle index above {MAX_SHUFFLE_INDEX} means nothing: S={MAX_SHUFFLE_INDEX} "
                                         f"already shuffles every token of a {MAX_TOKENS:,}-token prompt (4^S blocks); "
                                         f"got {_shown(text)}")
    return list(dict.fromkeys(int(part) for part in parts))


def _int_between(minimum: int, maximum: int):
    def parse(text: str) -> int:
        digits = text.strip()
        if not (digits.isdigit() and digits.isascii()) and not (digits[:1] == "-" and digits[1:].isdigit()):
            raise argparse.ArgumentTypeError(f"expected an integer, got {_shown(text)}")
        if digits.startswith("-") or int(digits) < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {_shown(text)}")
        if len(digits) > len(str(maximum)) or int(digits) > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {_shown(text)}")
        return int(digits)

    parse.__name__ = f"integer in {minimum}..{maximum}"
    return parse


def _int_at_least(minimum: int):
    return _int_between(minimum, 10**9)


def _number(*, zero_ok: bool):
    """A parser of finite numbers > 0 (or >= 0 when ``zero_ok``)."""
    bound = ">= 0" if zero_ok else "> 0"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {_shown(text)}")
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
            raise argparse.ArgumentTypeError(f"must be a finite number {bound}, got {_shown(text)}")
        return value

    parse.__name__ = f"number {bound}"
    return parse


_positive_float, _non_negative_float = _number(zero_ok=False), _number(zero_ok=True)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m cli", description="Fill the token-geometry result store in bulk.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--store", metavar="PATH",
                       help="result store file (default: $TOKEN_GEOMETRY_CACHE or the per-user data folder)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser("run", parents=[store], help="analyse a prompt set (resumable)",
                              description="Run a model over a prompt set at the given shuffle indices and seeds. "
                                          "Finished prompts are skipped, so rerunning resumes. Ctrl-C stops after "
                                          "the current prompt.")
    run.add_argument("--model", default=None, metavar="NAME_OR_PATH",
                     help="bundled model name, model folder, .gguf file or cached Hugging Face id "
                          "(default: the bundled SmolLM2-135M-Instruct)")
    run.add_argument("--prompts", required=True, metavar="SET_OR_FILE",
                     help="a bundled prompt set (python-stdlib, sotu, bible-web) or a .txt/.jsonl file")
    run.add_argument("--corpus", metavar="NAME", help="name the results are filed under (default: the set's name)")
    run.add_argument("--shuffle", type=_shuffles, default=[0], metavar="S,S,...",
                     help=f"shuffle indices, comma-separated (default 0 = as written; S shuffles 4^S blocks; "
                          f"at most {MAX_SHUFFLE_INDEX})")
    run.add_argument("--seeds", type=_int_between(1, MAX_SEEDS), default=1, metavar="N",
                     help=f"seeds per shuffle index S > 0 (default 1, at most {MAX_SEEDS}; S = 0 needs one)")
    run.add_argument("--max-tokens", type=_int_between(9, MAX_TOKENS), default=512, metavar="N",
                     help="truncate prompts to N tokens; bundled sets are cut into passages of about N (default 512)")
    run.add_argument("--limit", type=_int_at_least(1), default=None, metavar="N",
                     help="use the first N passages (default: all of a file, 100 of a bundled set)")
    run.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto", help="default auto")
    run.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32", help="default float32")
    run.add_argument("--threads", type=_int_between(1, 1024), default=None, metavar="N", help="CPU threads for torch")
    run.add_argument("--batch-size", type=_int_between(1, 4096), default=1, metavar="N",
                     help="prompts per forward pass (default 1). For GPUs, which one prompt leaves mostly idle; on a "
                          "2-core CPU a batch of 4 was no faster. The logits of a batch take N × tokens × vocabulary "
                          "× 4 bytes")
    run.add_argument("--special-tokens", choices=("auto", "on", "off"), default="auto",
                     help="add BOS etc. when tokenising (auto: on for bundled models that need it)")
    run.add_argument("--no-logits-id", action="store_true", help="skip the logits ID (a few ms per prompt)")
    run.add_argument("--token-neighbors", "--token-neighbours", action="store_true",
                     help="also store each token's nearest tokens and LLE weights, as the app does (what the Tokens "
                          "page lists; ~1.2 MiB and ~0.1 s more per 512-token prompt; the app adds them when it opens "
                          "a prompt without them)")
    run.add_argument("--trust-remote-code", action="store_true", help="allow the model's own code (off by default)")
    ray = run.add_argument_group("running on a Ray cluster (needs `pip install -r requirements-ray.txt`; docs/scaling.md)")
    ray.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="local: every prompt in this process (default); ray: one Ray task per group of prompts")
    ray.add_argument("--ray-address", default=None, metavar="auto|ray://HOST:PORT",
                     help="the cluster to use: auto (the one `ray start` made this machine part of) or a Ray client "
                          "address (default: a local Ray instance with every core, for this run only)")
    ray.add_argument("--units-per-task", type=_int_at_least(1), default=16, metavar="N",
                     help="prompts per Ray task (default 16; a task should take minutes on a real cluster)")
    ray.add_argument("--gpus-per-task", type=_non_negative_float, default=0.0, metavar="G",
                     help="GPUs a task asks for (default 0: CPU tasks; 0.25 puts four tasks on one GPU)")
    ray.add_argument("--cpus-per-task", type=_positive_float, default=1.0, metavar="C",
                     help="CPU cores a task asks for (default 1; also its torch threads unless --threads)")
    ray.add_argument("--ray-shards", choices=("return", "shared"), default="return",
                     help="return: tasks send their result files back to this machine (any cluster; default); "
                          "shared: --store is on a file system every node sees at the same path, tasks write there")
    run.add_argument("--shard-minutes", type=_positive_float, default=5.0, metavar="M",
                     help="start a new result file every M minutes so the dashboard can merge progress (default 5)")

    commands.add_parser("list", parents=[store], help="what the store holds: corpora, models, counts")

    export = commands.add_parser("export", parents=[store], help="write per-layer and per-prompt tables")
    export.add_argument("--format", choices=("csv", "parquet"), default="csv", help="default csv")
    export.add_argument("--out", required=True, metavar="DIR",
                        help="folder to write layers.<format> and prompts.<format> into (created if needed)")
    export.add_argument("--corpus", metavar="NAME", help="only this corpus (default: every prompt analysis)")

    commands.add_parser("merge", parents=[store], help="merge finished CLI result files into the store now")

    from cli.training_commands import add_training_commands

    add_training_commands(commands, store=store, int_at_least=_int_at_least, positive_float=_positive_float)

    embeddings = commands.add_parser(
        "embeddings", parents=[store], help="embedding-matrix ID of a model's whole vocabulary (exact, resumable)",
        description="The intrinsic dimension of the model's input-embedding matrix on every row (reserved, zero and "
                    "duplicate rows dropped) and each token's local ID, as the Embeddings page shows them. Blocks of "
                    "rows are saved as they finish: rerun the same command to resume a stopped one.")
    embeddings.add_argument("--model", help="bundled model name or local folder (default: the bundled SmolLM2)")
    embeddings.add_argument("--sample", type=_int_at_least(64), metavar="N",
                            help="use a seeded sample of N rows instead of every row")
    embeddings.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32",
                            help="precision the model is loaded in (default float32)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        if args.command == "run":
            from cli.run import run_command

            return run_command(args, argv)
        if args.command in ("lora-sweep", "checkpoints"):
            from cli.training_commands import checkpoints_command, lora_sweep_command

            command = lora_sweep_command if args.command == "lora-sweep" else checkpoints_command
            return command(args, argv)
        if args.command == "embeddings":
            from cli.embeddings import embeddings_command

            return embeddings_command(args)
        from cli.store_commands import export_command, list_command, merge_command

        return {"list": list_command, "export": export_command, "merge": merge_command}[args.command](args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeProblem as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:  # the reader went away (`python -m cli list | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:  # outside a run's own handling (e.g. while reading prompts)
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
