import numpy as np
import pytest
import skdim

from geometry.embedding_id import embedding_matrix_id, suggested_lora_rank
from geometry.errors import DegenerateCloudError, GeometryError, NonFiniteError, TooFewPointsError
from geometry.local_id import local_id
from geometry.twonn import twonn


def _vocabulary(seed=0, n=1500, d=6, width=64):
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, d)) @ rng.normal(size=(d, width))
    return rows.astype(np.float32)


def test_matches_twonn_and_skdim_on_a_clean_matrix():
    matrix = _vocabulary()
    result = embedding_matrix_id(matrix, k_local=10)
    x = matrix.astype(np.float64)
    assert result.id_twonn == pytest.approx(twonn(x).id, rel=1e-12)
    assert result.id_twonn_mle == pytest.approx(twonn(x, method="mle").id, rel=1e-12)
    assert result.id_twonn == pytest.approx(skdim.id.TwoNN().fit(x).dimension_, rel=1e-6)
    assert result.id_local_mle == pytest.approx(local_id(x, k=10).harmonic_mean, rel=1e-12)
    assert result.id_twonn == pytest.approx(6, rel=0.15)
    assert result.redundancy == pytest.approx(1 - result.id_twonn / 64)
    assert result.lora_rank == 8  # ID ≈ 6 → next power of two
    assert (result.n_rows, result.n_used, result.n_zero_rows, result.n_exact_duplicates) == (1500, 1500, 0, 0)


def test_drops_and_counts_zero_duplicate_and_near_duplicate_rows():
    clean = _vocabulary(1)
    rng = np.random.default_rng(2)
    zeros = np.zeros((7, 64), dtype=np.float32)
    tiny = 1e-9 * rng.normal(size=(3, 64)).astype(np.float32)  # "unused" rows, norm ≈ 0
    exact = clean[:11]
    near = clean[20:25].astype(np.float64) * (1 + 1e-12)  # identical after rounding
    matrix = np.vstack([clean, zeros, tiny, exact, near])
    result = embedding_matrix_id(matrix, k_local=10)
    assert result.n_rows == 1500 + 7 + 3 + 11 + 5
    assert result.n_zero_rows == 10
    assert result.n_exact_duplicates == 11
    assert result.n_near_duplicates == 5
    assert result.n_used == 1500
    assert result.id_twonn == pytest.approx(embedding_matrix_id(clean, k_local=10).id_twonn, rel=1e-9)


def test_seeded_subsample_is_reproducible():
    matrix = _vocabulary(3, n=3000)
    first = embedding_matrix_id(matrix, max_points=1000, seed=5, k_local=10)
    second = embedding_matrix_id(matrix, max_points=1000, seed=5, k_local=10)
    other = embedding_matrix_id(matrix, max_points=1000, seed=6, k_local=10)
    assert first == second
    assert first.id_twonn != other.id_twonn
    assert first.n_used == 1000 and first.n_subsampled_out == 2000
    assert first.id_twonn == pytest.approx(6, rel=0.2)


def test_invariant_to_rotation_and_scale_and_row_order():
    matrix = _vocabulary(4, n=800).astype(np.float64)
    rng = np.random.default_rng(4)
    q, _ = np.linalg.qr(rng.normal(size=(64, 64)))
    moved = 5.0 * matrix[rng.permutation(800)] @ q
    a, b = embedding_matrix_id(matrix, k_local=8), embedding_matrix_id(moved, k_local=8)
    assert a.id_twonn == pytest.approx(b.id_twonn, rel=1e-8)
    assert a.id_local_mle == pytest.approx(b.id_local_mle, rel=1e-8)


@pytest.mark.parametrize(
    "intrinsic,rank", [(0.3, 1), (1.0, 1), (1.5, 2), (2.0, 2), (3.2, 4), (8.0, 8), (8.01, 16), (100.0, 128)]
)
def test_lora_rank_rule(intrinsic, rank):
    assert suggested_lora_rank(intrinsic) == rank


def test_lora_rank_capped_by_width_and_errors():
    assert suggested_lora_rank(100.0, n_features=96) == 96
    with pytest.raises(GeometryError):
        suggested_lora_rank(0.0)
    with pytest.raises(GeometryError):
        suggested_lora_rank(float("nan"))


def test_errors():
    with pytest.raises(DegenerateCloudError):
        embedding_matrix_id(np.zeros((50, 8)))
    with pytest.raises(TooFewPointsError):
        embedding_matrix_id(np.vstack([np.eye(8)] * 5), k_local=10)  # 8 distinct rows
    with pytest.raises(NonFiniteError):
        embedding_matrix_id(np.full((50, 8), np.inf))
    with pytest.raises(GeometryError):
        embedding_matrix_id(np.ones(8))
    with pytest.raises(GeometryError):
        embedding_matrix_id(_vocabulary(), k_local=1)
