"""Our TwoNN + GRIDE scan + neighbourhood overlap against DADApy 0.3.4 on the same 31 × 1024 × 576 cloud.

    .venv/bin/python bench/vs_dadapy.py [--dadapy-python /tmp/dadapy-venv/bin/python] [--synthetic] [--fresh]

DADApy 0.3.4 needs numpy < 2, so it runs in its own virtual environment, in a subprocess. Create
that environment once (Python 3.11 and a C compiler; DADApy builds from source):

    python3 -m venv /tmp/dadapy-venv && /tmp/dadapy-venv/bin/pip install "numpy<2" "dadapy==0.3.4"

The cloud is saved to a .npy file and both sides read it. Per layer 1..L both compute TwoNN
(linear fit on 90 % of the ratios, and MLE), GRIDE at range scalings 2..64 and the overlap of
consecutive layers for k = 1..6, each side the economical way: one neighbour search per layer
shared by all statistics. Ours: ``geometry.suite.suites_over_layers`` as a corpus run calls it
(duplicate removal + the certified exact neighbour search per layer, two layers at a time on two cores, and
the local ID, angles and cosine besides); DADApy: ``compute_distances(maxk=64)`` (scikit-learn's
kNN, OpenMP on every core) in one ``Data`` per layer. One timed pass each (after a
warm-up), excluding interpreter start-up. The values must agree: TwoNN to 1e-6 (relative), GRIDE
to 1e-6 (absolute), overlap exactly. Goal: ours ≥ 3× faster (issue 14; it was 5× before).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np

from _common import ROOT, benchmark_cloud, machine  # noqa: E402  (puts the repo on sys.path)

from geometry.suite import SuiteSettings, prepare_layer, suites_over_layers  # noqa: E402
from pipeline.runner import _layer_statistics, no_progress  # noqa: E402

SETTINGS = SuiteSettings()
DADAPY_PYTHON = "/tmp/dadapy-venv/bin/python"
WORKER = ROOT / "bench" / "_dadapy_worker.py"


def ours(hidden: np.ndarray) -> dict:
    suites, pairs = suites_over_layers(hidden[1:], settings=SETTINGS, with_token_neighbors=False)
    gride = [column for column in suites[0].values if column.startswith("gride_")]
    return {"twonn_linear": [s.values["twonn_linear"] for s in suites], "twonn_mle": [s.values["twonn_mle"] for s in suites],
            "gride": [[s.values[column] for column in gride] for s in suites],
            "overlap": [[pair.values[f"overlap_k{k}"] for k in range(1, SETTINGS.overlap_k + 1)] for pair in pairs]}


def dadapy(python: str, cloud: Path, mode: str) -> dict:
    completed = subprocess.run([python, str(WORKER), str(cloud), mode], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"the DADApy worker failed:\n{completed.stderr}")
    return json.loads(completed.stdout)


def compare(mine: dict, theirs: dict) -> list[str]:
    """Lines saying how far apart the values are, and whether each check passes."""
    lines = []
    for name in ("twonn_linear", "twonn_mle"):
        a, b = np.asarray(mine[name]), np.asarray(theirs[name])
        worst = float(np.max(np.abs(a - b) / np.abs(b)))
        lines.append(f"{name:13s} max relative difference {worst:.1e} (tolerance 1e-6): {'ok' if worst <= 1e-6 else 'FAIL'}")
    a, b = np.asarray(mine["gride"]), np.asarray(theirs["gride"])
    worst = float(np.max(np.abs(a - b)))
    lines.append(f"{'gride':13s} max absolute difference {worst:.1e} over {a.size} values (tolerance 1e-6): "
                 f"{'ok' if worst <= 1e-6 else 'FAIL'}")
    a, b = np.asarray(mine["overlap"]), np.asarray(theirs["overlap"])
    unequal = int(np.sum(a != b))
    lines.append(f"{'overlap':13s} {a.size - unequal} of {a.size} values exactly equal: {'ok' if unequal == 0 else 'FAIL'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dadapy-python", default=DADAPY_PYTHON, help="python of the DADApy 0.3.4 venv")
    parser.add_argument("--synthetic", action="store_true", help="use a synthetic cloud instead of the model's")
    parser.add_argument("--fresh", action="store_true", help="recompute the cached benchmark cloud")
    parser.add_argument("--skip-per-call", action="store_true", help="skip the second DADApy usage (~10 s)")
    args = parser.parse_args()
    if not Path(args.dadapy_python).is_file():
        raise SystemExit(f"no python at {args.dadapy_python}; create the DADApy venv first:\n"
                         '    python3 -m venv /tmp/dadapy-venv && /tmp/dadapy-venv/bin/pip install "numpy<2" "dadapy==0.3.4"')

    hidden, source, path = benchmark_cloud(synthetic=args.synthetic, fresh=args.fresh)
    print(f"machine: {machine()}")
    print(f"cloud:   {source}: {' × '.join(map(str, hidden.shape))} (layers 1..{hidden.shape[0] - 1}), file {path}")

    ours(hidden[:2])  # warm-up, as the worker does
    started = time.perf_counter()
    mine = ours(hidden)
    before = time.perf_counter() - started
    duplicates = [prepare_layer(hidden[layer], settings=SETTINGS).n_duplicates for layer in range(1, hidden.shape[0])]

    theirs = dadapy(args.dadapy_python, path, "shared")

    # Ours once more right after DADApy: the machine's load may have changed meanwhile; the two
    # timings bracket DADApy's and their mean is the one compared.
    started = time.perf_counter()
    ours(hidden)
    after = time.perf_counter() - started
    our_seconds = (before + after) / 2

    started = time.perf_counter()
    _layer_statistics(hidden, SETTINGS, no_progress, [])
    suite_seconds = time.perf_counter() - started

    print(f"DADApy {theirs['dadapy']} (numpy {theirs['numpy']}), one search per layer shared: {theirs['seconds']:.2f} s")
    print(f"ours (numpy {np.__version__}), one search per layer shared:  {our_seconds:.2f} s (mean of {before:.2f} s "
          f"before and {after:.2f} s after DADApy's run)")
    ratio = theirs["seconds"] / our_seconds
    print(f"ratio DADApy / ours: {ratio:.1f}× (goal ≥ 3×: {'met' if ratio >= 3 else 'NOT met'})")
    for line in compare(mine, theirs):
        print(f"  {line}")
    if not args.skip_per_call:
        per_call = dadapy(args.dadapy_python, path, "per-call")
        print(f"DADApy with a fresh Data object per statistic (as tests/golden/make_golden.py calls it; each "
              f"statistic searches again): {per_call['seconds']:.2f} s, ratio to ours {per_call['seconds'] / our_seconds:.1f}×")
        for line in compare(mine, per_call):
            print(f"  (per-call) {line}")
    print(f"(our whole per-layer suite, with local ID, angles, cosine, neighbour lists and LLE weights: "
          f"{suite_seconds:.2f} s)")
    if any(duplicates):
        print(f"note: layers hold exact duplicates {duplicates}; ours removes them before ID estimation, "
              "DADApy does not, so ID values there are not comparable")
    print(f"load average at the end: {machine().rsplit('load average ', 1)[1]}")


if __name__ == "__main__":
    main()
