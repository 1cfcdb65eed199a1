"""Exact nearest neighbours with the distance product in torch, for when the model runs on a GPU
(geometry never imports torch).

The same certified search as :func:`geometry.neighbors.nearest_neighbors`, with its heavy part on
the device: the float32 product G_ij = fl32(q_i) + fl32((1 − τ)·q_j) − 2·y_i·y_j of the centred,
power-of-two-scaled cloud by blocks of rows, self excluded, the k smallest per row
(``torch.topk``) and the certificate G_ij ≤ T_i (``geometry.neighbors.candidate_threshold``: every
true neighbour passes it). Only the candidates (k + a few per row) come back to the CPU, where
:func:`geometry.exact_distances.nearest_among_candidates` computes their float64 distances and
orders them by (distance, index) — the very kernel the numpy search ends with, so both searches
return the same indices and the same float64 distances, bit for bit.

The float32 product must be a true float32 product: TF32 (10-bit mantissa) is switched off while
the search runs (``torch.backends.cuda.matmul.allow_tf32``), since the error bound assumes float32
rounding.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from geometry.errors import TooFewPointsError
from geometry.exact_distances import nearest_among_candidates
from geometry.neighbors import float32_cloud

_BLOCK_BYTES = 256 * 2**20  # one block of the (rows × n) float32 bound matrix on the device


@contextmanager
def _true_float32_products(torch):
    """float32 matrix products in float32 (no TF32) inside the block, the settings restored after."""
    matmul = torch.backends.cuda.matmul
    saved_tf32, saved_precision = matmul.allow_tf32, torch.get_float32_matmul_precision()
    matmul.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        matmul.allow_tf32 = saved_tf32
        torch.set_float32_matmul_precision(saved_precision)


def torch_nearest_neighbors(points, *, k: int, device: str = "cpu",
                            block_bytes: int = _BLOCK_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest neighbours (self excluded) of every row of an (n, d) cloud.

    Returns ``(distances, indices)``: (n, k) float64 Euclidean distances, ascending along each row
    (ties to the smaller index), and (n, k) int64 row indices — equal to
    ``geometry.neighbors.nearest_neighbors``. Needs n ≥ k + 1. ``device``: any torch device ("cpu",
    "cuda", "cuda:1", …).
    """
    import torch

    x = np.asarray(points)
    if x.ndim != 2 or x.shape[0] < k + 1 or k < 1:
        raise TooFewPointsError(f"need an (n, d) cloud with n ≥ k + 1 ≥ 2; got shape {x.shape} and k={k}.")
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.shape[0]
    cloud = float32_cloud(x)
    storage = cloud.exact
    distances = np.empty((n, k), dtype=np.float64)
    indices = np.empty((n, k), dtype=np.int64)
    with torch.inference_mode(), _true_float32_products(torch):
        y = torch.as_tensor(cloud.scaled, device=device)
        q = torch.as_tensor(cloud.squared_norms, device=device)
        row_norms = q.to(torch.float32)
        column_norms = ((1.0 - cloud.tau) * q).to(torch.float32)
        rows_per_block = max(1, min(n, block_bytes // (4 * n)))
        for start in range(0, n, rows_per_block):
            stop = min(n, start + rows_per_block)
            rows = torch.arange(stop - start, device=device)
            bounds = (row_norms[start:stop, None] + column_norms[None, :]) - 2.0 * (y[start:stop] @ y.T)
            bounds[rows, rows + start] = float("inf")  # exclude self
            lowest, lowest_columns = torch.topk(bounds, k, dim=1, largest=False, sorted=False)
            threshold = _threshold(torch, lowest, q[lowest_columns], q[start:stop], tau=cloud.tau, eta=cloud.eta)
            candidate_rows, columns = torch.nonzero(bounds <= threshold[:, None], as_tuple=True)  # row-major
            counts = torch.bincount(candidate_rows, minlength=stop - start).cpu().numpy()
            indptr = np.zeros(stop - start + 1, dtype=np.int64)
            np.cumsum(counts, out=indptr[1:])
            distances[start:stop], indices[start:stop] = nearest_among_candidates(
                storage, first_row=start, indptr=indptr, columns=columns.cpu().numpy(), k=k)
    return distances, indices


def _threshold(torch, lowest, lowest_norms, row_norms, *, tau: float, eta: float):
    """:func:`geometry.neighbors.candidate_threshold` on the device (float64, rounded up to float32)."""
    upper = (lowest.double() + 2.0 * tau * lowest_norms).amax(dim=1) + 2.0 * tau * row_norms + 2.0 * eta
    threshold = upper.float()
    return torch.where(threshold.double() < upper, torch.nextafter(threshold, torch.full_like(threshold, float("inf"))),
                       threshold)
