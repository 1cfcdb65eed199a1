import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr

from geometry.errors import GeometryError, NonFiniteError, TooFewPointsError
from geometry.gride import gride
from geometry.id_loss import distance_preserving_reduction, id_loss_correlation, logits_id


def test_correlations_equal_scipy_per_layer():
    rng = np.random.default_rng(0)
    ids = np.exp(rng.normal(size=(25, 4)))
    losses = 2.0 * np.log(ids[:, 2]) + 0.3 * rng.normal(size=25)
    result = id_loss_correlation(ids, losses)
    for layer in range(4):
        pearson = pearsonr(np.log(ids[:, layer]), losses)
        spearman = spearmanr(ids[:, layer], losses)
        assert result.pearson_r[layer] == pytest.approx(pearson.statistic, abs=1e-12)
        assert result.pearson_p[layer] == pytest.approx(pearson.pvalue, rel=1e-9)
        assert result.spearman_rho[layer] == pytest.approx(spearman.statistic, abs=1e-12)
        assert result.spearman_p[layer] == pytest.approx(spearman.pvalue, rel=1e-9)
    assert result.pearson_r[2] > 0.95 and result.pearson_p[2] < 1e-6 and result.n_prompts == 25


def test_exact_monotone_relation_and_constant_layer():
    ids = np.column_stack([np.arange(1.0, 7.0), np.full(6, 3.0)])
    losses = np.log(np.arange(1.0, 7.0)) * 2 + 1
    result = id_loss_correlation(ids, losses)
    assert result.pearson_r[0] == pytest.approx(1.0) and result.spearman_rho[0] == pytest.approx(1.0)
    assert np.isnan(result.pearson_r[1]) and np.isnan(result.spearman_p[1])


def test_correlation_errors():
    with pytest.raises(TooFewPointsError):
        id_loss_correlation(np.ones((2, 3)), np.ones(2))
    with pytest.raises(GeometryError):
        id_loss_correlation(np.ones((5, 3)), np.ones(4))
    with pytest.raises(GeometryError):
        id_loss_correlation(np.zeros((5, 3)), np.arange(5.0))
    with pytest.raises(NonFiniteError):
        id_loss_correlation(np.ones((5, 3)), np.array([1, 2, np.nan, 3, 4.0]))


def test_distance_preserving_reduction_keeps_every_distance():
    rng = np.random.default_rng(2)
    z = (rng.normal(size=(40, 3000)) * 5).astype(np.float32)
    reduced = distance_preserving_reduction(z, chunk_bytes=40 * 8 * 128)  # several chunks
    assert reduced.shape == (40, 40)
    x = z.astype(np.float64)
    original = np.linalg.norm(x[:, None] - x[None], axis=2)
    np.testing.assert_allclose(np.linalg.norm(reduced[:, None] - reduced[None], axis=2), original, rtol=1e-9)


def test_logits_id_equals_gride_on_the_raw_vectors():
    rng = np.random.default_rng(3)
    logits = (rng.normal(size=(200, 4)) @ rng.normal(size=(4, 1000))).astype(np.float32)
    logits = np.vstack([logits, logits[:3]])  # repeated positions are removed and counted
    result = logits_id(logits, range_scaling=4)
    reference = gride(logits[:200].astype(np.float64), range_scaling=4)
    assert result.id == pytest.approx(reference.id, rel=1e-7)
    assert result.scale == pytest.approx(reference.scale, rel=1e-7)
    assert result.n_duplicates == 3 and result.n_points == 200
    with pytest.raises(TooFewPointsError):
        logits_id(np.vstack([logits[:2]] * 4), range_scaling=2)
    with pytest.raises(NonFiniteError):
        logits_id(np.full((10, 5), -np.inf))
