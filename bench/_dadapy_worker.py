"""Run by bench/vs_dadapy.py with the DADApy venv's python (DADApy 0.3.4 needs numpy < 2, so it
cannot live in the project's environment). Imports nothing from the project.

    /tmp/dadapy-venv/bin/python bench/_dadapy_worker.py CLOUD.npy [shared|per-call]

Per layer 1..L of the (L+1, N, D) cloud, the most economical use of DADApy for the same
statistics as ours: one ``Data`` object and one neighbour search (``compute_distances(maxk=64)``,
scikit-learn kNN) shared by TwoNN (linear fit on 90 % of the ratios, and MLE), the GRIDE scan to
range 64 (which reads the stored distances) and the overlap with the next layer for k = 1..6
(``return_data_overlap(dist_indices=…)`` on the stored neighbour indices) — mode "shared", the
fair comparison. Mode "per-call": a fresh ``Data`` per statistic, see :func:`run_per_call`.
Prints JSON: the values and the seconds of one timed pass (after an untimed warm-up on two layers).
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np


def run(cloud: np.ndarray) -> dict:
    from dadapy import Data

    twonn_linear, twonn_mle, gride, overlap = [], [], [], []
    previous = None
    for layer in range(1, cloud.shape[0]):
        data = Data(coordinates=np.ascontiguousarray(cloud[layer], dtype=np.float64), maxk=64, verbose=False)
        data.compute_distances(maxk=64)
        twonn_linear.append(float(data.compute_id_2NN(algorithm="base", mu_fraction=0.9)[0]))
        twonn_mle.append(float(data.compute_id_2NN(algorithm="ml")[0]))
        ids, _errors, _scales = data.return_id_scaling_gride(range_max=64)
        gride.append([float(v) for v in ids])
        if previous is not None:
            overlap.append([float(previous.return_data_overlap(dist_indices=data.dist_indices, k=k))
                            for k in range(1, 7)])
        previous = data
    return {"twonn_linear": twonn_linear, "twonn_mle": twonn_mle, "gride": gride, "overlap": overlap}


def run_per_call(cloud: np.ndarray) -> dict:
    """DADApy as its API invites and as tests/golden/make_golden.py calls it: a fresh ``Data`` per
    statistic, so each one makes its own neighbour search (GRIDE from coordinates sorts full
    distance rows; the overlap searches the next layer again for every k)."""
    from dadapy import Data

    twonn_linear, twonn_mle, gride, overlap = [], [], [], []
    for layer in range(1, cloud.shape[0]):
        x = np.ascontiguousarray(cloud[layer], dtype=np.float64)
        twonn_linear.append(float(Data(coordinates=x, maxk=100, verbose=False)
                                  .compute_id_2NN(algorithm="base", mu_fraction=0.9)[0]))
        twonn_mle.append(float(Data(coordinates=x, maxk=100, verbose=False).compute_id_2NN(algorithm="ml")[0]))
        ids, _errors, _scales = Data(coordinates=x, maxk=100, verbose=False).return_id_scaling_gride(range_max=64)
        gride.append([float(v) for v in ids])
        if layer + 1 < cloud.shape[0]:
            following = np.ascontiguousarray(cloud[layer + 1], dtype=np.float64)
            overlap.append([float(Data(coordinates=x, maxk=100, verbose=False)
                                  .return_data_overlap(coordinates=following, k=k)) for k in range(1, 7)])
    return {"twonn_linear": twonn_linear, "twonn_mle": twonn_mle, "gride": gride, "overlap": overlap}


def main() -> None:
    import dadapy
    from importlib.metadata import version

    cloud = np.load(sys.argv[1])
    warnings.simplefilter("ignore")  # DADApy warns about zero distances etc.; the values are compared
    mode = sys.argv[2] if len(sys.argv) > 2 else "shared"
    function = run if mode == "shared" else run_per_call
    function(cloud[:3])  # warm-up: imports, caches
    started = time.perf_counter()
    values = function(cloud)
    seconds = time.perf_counter() - started
    json.dump({"seconds": seconds, "mode": mode, "dadapy": version("dadapy"), "numpy": np.__version__,
               "path": dadapy.__file__, **values}, sys.stdout)


if __name__ == "__main__":
    main()
