"""Arrays to bytes and back with ``numpy.save``/``numpy.load(allow_pickle=False)``: no pickle, ever."""

from __future__ import annotations

import io

import numpy as np


def array_to_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def bytes_to_array(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)
