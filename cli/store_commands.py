"""``python -m cli list | export | merge``: read the store (or merge finished runs into it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cli.main import EXIT_OK, RuntimeProblem, UsageError


def _path(args) -> Path:
    from cache import default_store_path

    return Path(args.store).expanduser() if args.store else default_store_path()


def _open(path: Path, *, read_only: bool):
    """The store, or one line: UsageError for a path that is not a store (left untouched),
    RuntimeProblem for a store that is busy or failing. Notices (e.g. a damaged file moved aside)
    go to stderr."""
    from cache import StoreError, StoreLockedError, StoreRefusedError, open_store

    if read_only and not os.path.lexists(path):
        raise UsageError(f"there is no store at {path} yet (run `python -m cli run` first, or pass --store).")
    try:
        store = open_store(path, read_only=read_only, wait_seconds=2.0)
    except StoreLockedError:
        raise RuntimeProblem(f"the store {path} is held by another process (the dashboard, or a merge); DuckDB lets "
                             "no other process read it meanwhile. Close the dashboard and try again.") from None
    except StoreRefusedError as error:
        raise UsageError(str(error)) from None
    except StoreError as error:
        raise RuntimeProblem(str(error)) from None
    for notice in store.notices:
        print(f"note: {notice}", file=sys.stderr)
    return store


def _shard_note(path: Path) -> str:
    from cache.shards import shard_dir, shard_status

    status = shard_status(path)
    if not (status.waiting or status.busy):
        return ""
    return (f"Not in the store yet: {len(status.waiting)} finished and {len(status.busy)} running batch file(s) in "
            f"{shard_dir(path)}/ (merged when the dashboard opens the store, or by `python -m cli merge`).")


# Kinds of records the app writes for itself (ui.estimates.KIND: timings of runs; ui.url.PROMPT_KIND: prompts
# committed in the sidebar, so a link finds their text); the CLI must not import the app's modules.
BOOKKEEPING_KINDS = ("timing", "prompt_text")


def list_command(args) -> int:
    import pandas as pd

    from pipeline.corpus import corpora

    path = _path(args)
    store = _open(path, read_only=True)
    try:
        table = corpora(store)
        models = store.result_frame(kind="prompt_analysis", spec_fields=("model_fingerprint",),
                                    meta_fields=("model_name",))
        # The app's bookkeeping (measured timings for its estimates, prompts kept for links) is not a result.
        total = store.count() - sum(len(store.keys(kind=kind)) for kind in BOOKKEEPING_KINDS)
    finally:
        store.close()
    size = path.stat().st_size / 2**20
    print(f"Store {path} ({size:.1f} MiB): {total} results, {models['key'].nunique()} prompt analyses.")
    if table.empty:
        print("No corpora yet (run `python -m cli run --prompts SET_OR_FILE`).")
    else:
        shown = table.assign(shuffles=table["shuffle_indices"].map(lambda s: ",".join(map(str, s))),
                             created=table["last_created"].map(lambda t: str(t)[:16]))
        columns = ["corpus", "model_name", "dtype", "max_tokens", "n_passages", "n_analyses", "shuffles", "n_failed",
                   "config_id", "created"]
        with pd.option_context("display.width", 200, "display.max_columns", None, "display.max_colwidth", 40):
            print("\nCorpora:")
            print(shown[columns].rename(columns={"model_name": "model", "n_passages": "passages",
                                                 "n_analyses": "analyses", "n_failed": "failed"})
                  .to_string(index=False))
            stale = table[~table["current"]]
            if len(stale):
                print(f"({len(stale)} row(s) were made by an older analysis version and are not used by the dashboard.)")
    if len(models):
        per_model = (models.drop_duplicates("key").groupby(["meta_model_name", "spec_model_fingerprint"])
                     .size().rename("analyses").reset_index()
                     .rename(columns={"meta_model_name": "model", "spec_model_fingerprint": "fingerprint"}))
        print("\nModels:")
        print(per_model.to_string(index=False))
    note = _shard_note(path)
    if note:
        print("\n" + note)
    return EXIT_OK


def export_command(args) -> int:
    from pipeline.corpus import export_tables

    path = _path(args)
    store = _open(path, read_only=True)
    try:
        if args.corpus is not None and args.corpus not in store.corpus_names():
            known = ", ".join(store.corpus_names()) or "none"
            raise UsageError(f"the store has no corpus {args.corpus!r} (corpora: {known}).")
        layers, prompts = export_tables(store, corpus=args.corpus)
    finally:
        store.close()
    out = Path(args.out).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in (("layers", layers), ("prompts", prompts)):
            target = out / f"{name}.{args.format}"
            if args.format == "csv":
                frame.to_csv(target, index=False)
            else:
                frame.to_parquet(target, index=False)
            written.append(f"{target} ({len(frame)} rows)")
    except OSError as error:
        raise UsageError(f"cannot write to {out}: {error.strerror or error}.") from None
    print("Wrote " + " and ".join(written) + ".")
    note = _shard_note(path)
    if note:
        print(note, file=sys.stderr)
    return EXIT_OK


def merge_command(args) -> int:
    from cache import StoreError
    from cache.shards import merge_shards

    path = _path(args)
    store = _open(path, read_only=False)
    try:
        report = merge_shards(store)
    except StoreError as error:
        raise RuntimeProblem(str(error)) from None
    finally:
        store.close()
    print(report.message or "Nothing to merge.")
    return EXIT_OK
