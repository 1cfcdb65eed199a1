"""Access to the DADApy 0.3.4 golden values (made by tests/golden/make_golden.py)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CLOUD_NAMES = ("plane", "plane_noisy", "indep", "gauss", "swiss", "sphere3", "lattice_ties")


@lru_cache(maxsize=1)
def golden() -> dict:
    return json.loads((GOLDEN / "dadapy_golden.json").read_text())


@lru_cache(maxsize=1)
def clouds() -> dict[str, np.ndarray]:
    with np.load(GOLDEN / "clouds.npz", allow_pickle=False) as data:
        return {name: data[name] for name in data.files}
