"""``python -m cli embeddings``: the embedding-matrix ID of a model's whole vocabulary, exact, with
progress; finished blocks of rows are saved as they go, so rerunning a stopped command resumes it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cli.main import EXIT_INTERRUPTED, EXIT_OK, RuntimeProblem, UsageError


def embeddings_command(args) -> int:
    from cache import StoreError, StoreLockedError, default_store_path, open_store
    from geometry.errors import GeometryError
    from lm import DEFAULT_MODEL, LMError
    from pipeline.vocabulary import BLOCK_KIND, vocabulary_geometry

    store_path = Path(args.store).expanduser() if args.store else default_store_path()
    model = args.model or DEFAULT_MODEL
    try:
        store = open_store(store_path, wait_seconds=2.0)
    except StoreLockedError:
        raise RuntimeProblem(f"the store {store_path} is open in another process (the dashboard?). Measure on the "
                             "Embeddings page (it saves and resumes the same blocks), close the dashboard, or pass "
                             "--store with another file.") from None
    except StoreError as error:
        raise RuntimeProblem(str(error)) from None
    interactive = sys.stderr.isatty()
    last = {"time": -1e9}

    def progress(fraction: float, message: str) -> None:
        if interactive:
            sys.stderr.write(f"\r\033[K{fraction:4.0%} {message}")
        elif time.monotonic() - last["time"] >= 10 or fraction >= 1:
            sys.stderr.write(f"{fraction:4.0%} {message}\n")
            last["time"] = time.monotonic()
        sys.stderr.flush()

    try:
        before = len(store.keys(kind=BLOCK_KIND))
        geometry = vocabulary_geometry(model, store=store, max_points=args.sample, dtype=args.dtype, progress=progress)
    except KeyboardInterrupt:
        kept = len(store.keys(kind=BLOCK_KIND)) - before
        print(f"\nStopped. {kept} more block(s) of rows are saved in {store_path}; run the same command again to "
              "resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (LMError, GeometryError) as error:
        raise UsageError(str(error)) from None
    except StoreError as error:
        raise RuntimeProblem(f"{error} Finished blocks are kept; rerun to resume.") from None
    finally:
        if interactive:
            sys.stderr.write("\n")
        store.close()
    result = geometry.result
    where = "from the store" if geometry.from_cache else f"computed in {geometry.seconds:.0f} s"
    print(f"{geometry.model_name}: {result.n_used:,} of {result.n_rows:,} rows ({where}); dropped: "
          + ", ".join(f"{reason} {count:,}" for reason, count in geometry.dropped.items() if count))
    print(f"ID: TwoNN {result.id_twonn:.2f} ± {result.error_twonn:.2f} (MLE {result.id_twonn_mle:.2f}), harmonic mean of "
          f"local MLE {result.id_local_mle:.2f} (k = {result.k_local}); D = {result.n_features}, redundancy "
          f"{100 * result.redundancy:.1f} %, suggested LoRA rank {result.lora_rank}. Results: {store_path}")
    return EXIT_OK
