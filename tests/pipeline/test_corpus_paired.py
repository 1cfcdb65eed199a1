"""Issue 11 findings 7 and 9: corpus profiles over the same passages for every S, a paired test per
layer, and the logits ID's correlation with contextual entropy at every range scaling."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from cache import open_store
from geometry.id_loss import id_loss_correlation
from pipeline import corpus_stats as stats
from pipeline.corpus import CorpusConfig, load_corpus, plan_corpus, run_corpus
from prompts import Passage
from tests.views.test_corpus_view import TEXTS


@pytest.fixture(scope="module")
def uneven(tiny_model_dir, tmp_path_factory):
    """Four passages at S = 0, only two of them also at S = 2 (two seeds each)."""
    store = open_store(tmp_path_factory.mktemp("paired") / "results.duckdb")
    config = CorpusConfig(model=str(tiny_model_dir), max_tokens=64)
    passages = [Passage(id=f"p{i}", text=text, source="test") for i, text in enumerate(TEXTS)]
    run_corpus(plan_corpus(passages, config, corpus="c", shuffles=[0]), config, sink=store)
    run_corpus(plan_corpus(passages[:2], config, corpus="c", shuffles=[2], seeds=2), config, sink=store)
    return load_corpus(store, "c")


def test_profiles_average_the_same_passages_at_every_s(uneven):
    """Before: S = 0 averaged 4 passages and S = 2 averaged 2, side by side."""
    profile = stats.id_profile(uneven, estimator="gride_2")
    assert set(profile.n_prompts) == {2}
    assert any("2 of 4 passages were not analysed at every shuffle index" in note for note in profile.attrs["notes"])
    structured = [item.analysis for item in uneven if item.passage_id in ("p0", "p1") and item.analysis.shuffle_index == 0]
    expected = np.mean([a.gride_at(2)[0] for a in structured], axis=0)
    np.testing.assert_allclose(profile[profile.shuffle_index == 0].sort_values("layer")["mean"], expected)
    unpaired = stats.layer_profile(uneven, statistic="gride_2", paired=False)
    assert unpaired[unpaired.shuffle_index == 0].n_prompts.max() == 4


def test_paired_test_is_scipy_ttest_rel_of_shuffled_minus_structured(uneven):
    tests = stats.paired_shuffle_test(stats.paired_items(uneven), statistic="gride_2")
    layer = 2
    row = tests[(tests.shuffle_index == 2) & (tests.layer == layer)].iloc[0]
    shuffled, structured = [], []
    for passage in ("p0", "p1"):
        runs = [i.analysis for i in uneven if i.passage_id == passage]
        shuffled.append(np.mean([a.gride_at(2)[0][layer - 1] for a in runs if a.shuffle_index == 2]))
        structured.append(next(a.gride_at(2)[0][layer - 1] for a in runs if a.shuffle_index == 0))
    assert row.n_passages == 2
    assert row.mean_difference == pytest.approx(np.mean(np.subtract(shuffled, structured)))
    assert row.p == pytest.approx(scipy_stats.ttest_rel(shuffled, structured).pvalue)


def test_logits_id_correlates_with_entropy_at_every_range_scaling(uneven):
    table = stats.logits_entropy_table(uneven, shuffle_index=0)
    assert table.range_scaling.tolist()[:3] == [2, 4, 8] and (table.n[:3] == 4).all()  # r=32 fits one passage only
    analyses = [i.analysis for i in uneven if i.analysis.shuffle_index == 0]
    ids = np.array([a.logits_ids[1] for a in analyses])
    entropy = np.array([a.contextual_entropy for a in analyses])
    expected = id_loss_correlation(ids, entropy)
    assert table.iloc[1].pearson_r == pytest.approx(expected.pearson_r[0])
    assert table.iloc[1].spearman_p == pytest.approx(expected.spearman_p[0])


def test_exported_tables_name_each_statistic_by_its_human_readable_name(uneven):
    """Issue 11: one human-readable name per estimator in the exports; store names stay internal."""
    assert set(stats.id_profile(uneven, estimator="gride_2").statistic) == {"GRIDE r=2"}
    assert set(stats.id_profile(uneven, estimator="twonn_mle").statistic) == {"TwoNN (MLE)"}
    assert set(stats.overlap_profile(uneven, k=3).statistic) == {"neighbourhood overlap χ_3"}
    assert set(stats.paired_shuffle_test(stats.paired_items(uneven), statistic="cosine").statistic) == {
        "mean cosine similarity"}
