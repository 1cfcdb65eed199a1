"""UMAP projections of a layer's token cloud, optionally aligned across layers so tokens can be
followed with depth (McInnes, Healy & Melville 2018, arXiv 1802.03426; used for the token-cloud
views of Viswanathan et al. 2025, arXiv 2501.10573, and Lee et al. 2025, arXiv 2503.21073).

UMAP is seeded (``random_state``), which also makes it single-threaded and reproducible: the
same cloud and settings give the same embedding. UMAP is given the cloud's exact nearest
neighbours from :func:`geometry.neighbors.nearest_neighbors` (``precomputed_knn``) instead of
searching them itself (:func:`umap_neighbors`). ``umap`` is imported inside the functions only:
its first import and first fit compile numba code (~10–20 s), which :func:`warm_up_umap` can pay
off the critical path (e.g. in a background thread at app start).

Alignment across successive layers (``aligned_projections``):

* ``"init"``: layer l + 1 starts its optimisation from layer l's embedding (UMAP ``init=``
  array), so the layout changes only as much as the neighbourhood graph does; UMAP rescales an
  array init to a [0, 10] box, so the result is then also Procrustes-aligned (below) to undo
  that shift and turn;
* ``"procrustes"``: every layer is embedded independently, then each embedding is mapped onto
  the (already aligned) previous one by the rigid motion — translation and rotation or
  reflection, *no scale* — minimising Σ_i ‖(y_i − ȳ) R + t − x_i‖² (orthogonal Procrustes,
  scipy.linalg.orthogonal_procrustes);
* ``"independent"``: no alignment.

Why no scale: the least-squares scale s = Σσ / ‖Y − Ȳ‖² is below 1 whenever the fit is imperfect,
and applied layer after layer it compounds (a 1024-token prompt shrank from ~20 units at layer 1
to ~0.01 at layer 29), so the first layers dominated every token's path. A rigid motion keeps
each layer's own UMAP spread, which UMAP itself keeps comparable (``min_dist`` sets the scale).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.linalg import orthogonal_procrustes

from geometry.errors import GeometryError, TooFewPointsError
from geometry.neighbors import nearest_neighbors
from geometry.validation import check_points, check_positive_int

PROJECTION_VERSION = 3  # 2: alignment without scale; 3: UMAP fed our exact neighbours
AlignMode = Literal["init", "procrustes", "independent"]


@dataclass(frozen=True)
class Projection:
    """A UMAP embedding of one cloud.

    embedding:    (n, n_components) float32 coordinates.
    n_neighbors:  UMAP n_neighbors actually used (clipped to n − 1); min_dist, random_state: settings.
    """

    embedding: np.ndarray
    n_neighbors: int
    min_dist: float
    random_state: int


@dataclass(frozen=True)
class AlignedProjections:
    """UMAP embeddings of successive layers of the same tokens.

    embeddings: (L, n, n_components), layer l in embeddings[l].
    mode:       "init", "procrustes" or "independent".
    n_neighbors, min_dist, random_state: settings.
    """

    embeddings: np.ndarray
    mode: str
    n_neighbors: int
    min_dist: float
    random_state: int


def umap_neighbors(x: np.ndarray, *, n_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """UMAP's k-nearest-neighbour input from our exact search: (n, n_neighbors) indices and float32
    distances, each point first (distance 0), then its ``n_neighbors − 1`` nearest others.

    Below 4096 points umap-learn would otherwise compute the full distance matrix through
    scikit-learn with its numba metric as a Python callable, one call per pair (~1 M calls for 1024
    tokens): most of a fit's time. The neighbours are the same exact ones (ties to the smaller index).
    """
    neighbors = nearest_neighbors(x, k=n_neighbors - 1)
    n = x.shape[0]
    indices = np.hstack([np.arange(n, dtype=np.int64)[:, None], neighbors.indices])
    distances = np.hstack([np.zeros((n, 1)), neighbors.distances]).astype(np.float32)
    return indices, distances


def _umap_model(x: np.ndarray, *, n_components: int, n_neighbors: int, min_dist: float, random_state: int, init):
    import umap  # lazy: the first import compiles numba code

    used = min(n_neighbors, x.shape[0] - 1)
    return umap.UMAP(
        n_components=n_components,
        n_neighbors=used,
        min_dist=min_dist,
        random_state=random_state,
        init=init,
        precomputed_knn=umap_neighbors(x, n_neighbors=used),
    )


def _fit(x: np.ndarray, model) -> np.ndarray:
    with warnings.catch_warnings():
        # A seed makes UMAP single-threaded and it says so on every fit; that is intended here.
        warnings.filterwarnings("ignore", message="n_jobs value .* overridden")
        # Neighbours are passed without a search index: only ``transform`` (never used here) needs one.
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
        return np.asarray(model.fit_transform(x), dtype=np.float32)


def _check_settings(n: int, n_components: int, n_neighbors: int, min_dist: float) -> None:
    if n_components not in (2, 3):
        raise GeometryError(f"n_components must be 2 or 3; got {n_components!r}.")
    check_positive_int(n_neighbors, name="n_neighbors", minimum=2)
    if not (np.isfinite(min_dist) and min_dist >= 0):
        raise GeometryError(f"min_dist must be a finite number ≥ 0; got {min_dist!r}.")
    if n < n_components + 2:
        raise TooFewPointsError(f"a {n_components}-D UMAP needs at least {n_components + 2} points; got {n}.")


def umap_projection(
    points,
    *,
    n_components: int = 2,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    random_state: int = 0,
    init="spectral",
) -> Projection:
    """Seeded 2-D or 3-D UMAP embedding of an (n, d) cloud.

    ``init``: "spectral", "random", "pca" or an (n, n_components) array of starting positions.
    """
    x = check_points(points, min_points=1, what="a UMAP projection")
    _check_settings(x.shape[0], n_components, n_neighbors, min_dist)
    if isinstance(init, np.ndarray) and init.shape != (x.shape[0], n_components):
        raise GeometryError(f"init must have shape ({x.shape[0]}, {n_components}); got {init.shape}.")
    model = _umap_model(
        x, n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist,
        random_state=random_state, init=init,
    )
    return Projection(
        embedding=_fit(x, model),
        n_neighbors=int(model.n_neighbors),
        min_dist=float(min_dist),
        random_state=int(random_state),
    )


def procrustes_align(source, target) -> np.ndarray:
    """``source`` mapped onto ``target`` by the best translation and rotation or reflection.

    Least squares, no scale: distances within ``source`` are kept.

    Parameters
    ----------
    source, target : array_like, shape (n, c)
        The same n points in two layouts.

    Returns
    -------
    numpy.ndarray, shape (n, c)
        ``source`` moved onto ``target``, float64.

    Examples
    --------
    >>> import numpy as np
    >>> square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> turned = square @ np.array([[0.0, -1.0], [1.0, 0.0]]) + 5.0  # rotated by 90° and moved
    >>> procrustes_align(turned, square).round(6).tolist() == square.tolist()
    True
    """
    y = np.asarray(source, dtype=np.float64)
    x = np.asarray(target, dtype=np.float64)
    if y.shape != x.shape or y.ndim != 2:
        raise GeometryError(f"source and target must have the same (n, c) shape; got {y.shape} and {x.shape}.")
    y_mean, x_mean = y.mean(axis=0), x.mean(axis=0)
    yc, xc = y - y_mean, x - x_mean
    rotation, _ = orthogonal_procrustes(yc, xc)
    return yc @ rotation + x_mean


def aligned_projections(
    layers,
    *,
    n_components: int = 2,
    mode: AlignMode = "init",
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    random_state: int = 0,
) -> AlignedProjections:
    """UMAP embeddings of L successive layers (each (n, d_l), same n tokens), aligned by ``mode``."""
    if mode not in ("init", "procrustes", "independent"):
        raise GeometryError(f"mode must be 'init', 'procrustes' or 'independent'; got {mode!r}.")
    clouds = [check_points(layer, min_points=1, name=f"layers[{i}]", what="a UMAP projection") for i, layer in enumerate(layers)]
    if not clouds:
        raise TooFewPointsError("aligned projections need at least one layer; got none.")
    n = clouds[0].shape[0]
    if any(c.shape[0] != n for c in clouds):
        raise GeometryError(f"every layer must hold the same {n} tokens; got {[c.shape[0] for c in clouds]} rows.")
    _check_settings(n, n_components, n_neighbors, min_dist)
    embeddings, previous, used = [], None, min(n_neighbors, n - 1)
    for x in clouds:
        init = previous if (mode == "init" and previous is not None) else "spectral"
        model = _umap_model(
            x, n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist,
            random_state=random_state, init=init,
        )
        embedding = _fit(x, model)
        if mode != "independent" and previous is not None:
            embedding = procrustes_align(embedding, previous).astype(np.float32)
        embeddings.append(embedding)
        previous = embedding
    return AlignedProjections(
        embeddings=np.stack(embeddings),
        mode=mode,
        n_neighbors=int(used),
        min_dist=float(min_dist),
        random_state=int(random_state),
    )


def warm_up_umap(*, random_state: int = 0) -> float:
    """Import umap and fit a tiny cloud so numba compiles its kernels; returns the seconds spent.

    Meant for a background thread at start-up; later real fits then take ~1–2 s per 1000 points.
    """
    start = time.perf_counter()
    x = np.random.default_rng(random_state).normal(size=(32, 8))
    _fit(x, _umap_model(x, n_components=2, n_neighbors=5, min_dist=0.1, random_state=random_state, init="spectral"))
    return time.perf_counter() - start
