"""UMAP tests: tiny clouds only (the first fit in a process compiles numba code, ~10–20 s)."""

import numpy as np
import pytest

from geometry.errors import GeometryError, NonFiniteError, TooFewPointsError
from geometry.neighbors import nearest_neighbors
from geometry.projection import aligned_projections, procrustes_align, umap_neighbors, umap_projection, warm_up_umap


@pytest.fixture(scope="module")
def warmed():
    return warm_up_umap()


def _layers(seed=0, n=40, n_layers=3):
    rng = np.random.default_rng(seed)
    layers = [rng.normal(size=(n, 8))]
    for _ in range(n_layers - 1):
        layers.append(layers[-1] + 0.1 * rng.normal(size=(n, 8)))
    return layers


def test_warm_up_returns_seconds(warmed):
    assert warmed >= 0.0


@pytest.mark.parametrize("n_components", [2, 3])
def test_seeded_projection_is_reproducible(warmed, n_components):
    x = _layers()[0]
    first = umap_projection(x, n_components=n_components, random_state=3)
    second = umap_projection(x, n_components=n_components, random_state=3)
    assert first.embedding.shape == (40, n_components)
    np.testing.assert_array_equal(first.embedding, second.embedding)
    assert np.all(np.isfinite(first.embedding))


def test_n_neighbors_clipped_for_tiny_clouds(warmed):
    result = umap_projection(np.random.default_rng(1).normal(size=(6, 3)), n_neighbors=15)
    assert result.n_neighbors == 5 and result.embedding.shape == (6, 2)


@pytest.mark.parametrize("mode", ["init", "procrustes", "independent"])
def test_aligned_projections_shapes_and_alignment(warmed, mode):
    layers = _layers()
    result = aligned_projections(layers, mode=mode, n_neighbors=8)
    assert result.embeddings.shape == (3, 40, 2) and result.mode == mode
    if mode != "independent":
        # Aligned: applying Procrustes again changes (almost) nothing.
        for l in range(2):
            realigned = procrustes_align(result.embeddings[l + 1], result.embeddings[l])
            np.testing.assert_allclose(realigned, result.embeddings[l + 1], atol=1e-3)


def test_procrustes_recovers_a_rigid_motion():
    rng = np.random.default_rng(2)
    target = rng.normal(size=(30, 2))
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    source = (target @ rotation) * np.array([1.0, -1.0]) + np.array([4.0, -1.0])  # with a reflection
    np.testing.assert_allclose(procrustes_align(source, target), target, atol=1e-10)


def _spread(embedding):
    return float(np.sqrt(np.mean(np.sum((embedding - embedding.mean(axis=0)) ** 2, axis=1))))


def test_procrustes_keeps_the_source_scale():
    """No scale: an imperfect fit (here, unrelated clouds) must not shrink the source."""
    rng = np.random.default_rng(3)
    source, target = 2.5 * rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    aligned = procrustes_align(source, target)
    assert _spread(aligned) == pytest.approx(_spread(source), rel=1e-12)
    np.testing.assert_allclose(aligned.mean(axis=0), target.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(aligned[:, None] - aligned[None], axis=2),
                               np.linalg.norm(source[:, None] - source[None], axis=2), atol=1e-10)


@pytest.mark.parametrize("mode", ["init", "procrustes"])
def test_aligned_layers_keep_a_comparable_spread(warmed, mode):
    """Issue 13 item 1: with the least-squares scale the spread shrank at every layer (×0.6 per
    layer on real prompts). Layers that change a lot make every fit imperfect."""
    rng = np.random.default_rng(4)
    layers = [rng.normal(size=(40, 8))]
    for _ in range(5):
        layers.append(layers[-1] + 0.8 * rng.normal(size=(40, 8)))
    embeddings = aligned_projections(layers, mode=mode, n_neighbors=8).embeddings
    spreads = [_spread(e) for e in embeddings]
    assert 0.5 <= spreads[-1] / spreads[0] <= 2.0, spreads


def test_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(TooFewPointsError):
        umap_projection(rng.normal(size=(3, 4)))
    with pytest.raises(GeometryError):
        umap_projection(rng.normal(size=(20, 4)), n_components=4)
    with pytest.raises(NonFiniteError):
        umap_projection(np.full((20, 4), np.nan))
    with pytest.raises(GeometryError):
        umap_projection(rng.normal(size=(20, 4)), init=np.zeros((5, 2)))
    with pytest.raises(GeometryError):
        aligned_projections([rng.normal(size=(20, 4)), rng.normal(size=(21, 4))])
    with pytest.raises(GeometryError):
        aligned_projections(_layers(), mode="sideways")
    with pytest.raises(TooFewPointsError):
        aligned_projections([])
    with pytest.raises(GeometryError):
        procrustes_align(np.zeros((3, 2)), np.zeros((4, 2)))


def test_umap_neighbors_are_ours_with_each_point_first():
    x = _layers()[0]
    indices, distances = umap_neighbors(x, n_neighbors=6)
    ours = nearest_neighbors(x, k=5)
    np.testing.assert_array_equal(indices[:, 0], np.arange(40))
    np.testing.assert_array_equal(distances[:, 0], 0.0)
    np.testing.assert_array_equal(indices[:, 1:], ours.indices)
    np.testing.assert_array_equal(distances[:, 1:], ours.distances.astype(np.float32))


def test_umap_does_not_search_neighbors_itself(warmed, monkeypatch):
    """Below 4096 points umap-learn computes every pairwise distance through scikit-learn unless
    it is given the neighbours; with ours it must not."""
    import umap.umap_

    def refuse(*args, **kwargs):
        raise AssertionError("UMAP computed its own distance matrix")

    monkeypatch.setattr(umap.umap_, "pairwise_distances", refuse)
    monkeypatch.setattr(umap.umap_, "nearest_neighbors", refuse)
    result = umap_projection(_layers()[0], n_neighbors=8)
    assert result.embedding.shape == (40, 2) and np.all(np.isfinite(result.embedding))
