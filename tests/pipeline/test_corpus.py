"""Corpus runs on the tiny model: rows land once, reruns skip without loading, interruption and
resume, recorded failures, and statistics equal to numpy on the stored analyses."""

import dataclasses
import json

import numpy as np
import pytest
from scipy import stats

from cache import open_store, spec_key
from pipeline import build_spec
from pipeline.corpus import (CachedLoader, CorpusConfig, CorpusError, SequentialExecutor, corpora, export_tables,
                             load_corpus, pending_units, plan_corpus, run_corpus)
from pipeline.corpus_stats import (cosine_profile, id_loss_table, id_profile, layer_profile, logits_table,
                                   overlap_profile, prompt_scatter, start_text, token_table)
from prompts import read_prompt_file
from tests.tiny_model import SAMPLE_PASSAGES

TEXTS = SAMPLE_PASSAGES


def fail_loader(*args):
    pytest.fail("the model must not be loaded")


@pytest.fixture
def four(tmp_path):
    path = tmp_path / "four.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "text": text}) + "\n" for i, text in enumerate(TEXTS)))
    return read_prompt_file(path)


@pytest.fixture
def config(tiny_model_dir):
    return CorpusConfig(model=str(tiny_model_dir), max_tokens=128)


def _counts(store):
    return {table: store.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("results", "corpus_items")}


def test_plan_has_one_unit_per_passage_shuffle_and_seed(four, config):
    units = plan_corpus(four, config, shuffles=[0, 1, 1], seeds=2)
    assert len(units) == 4 * 3 and units[0].corpus == "four"
    assert [(u.shuffle_index, u.seed) for u in units[:3]] == [(0, 0), (1, 0), (1, 1)]
    assert len({u.key for u in units}) == len(units)
    for unit in units:  # the planner's shortcut gives the keys that analyse() uses
        _, spec = build_spec(config.request(unit.text, shuffle_index=unit.shuffle_index, seed=unit.seed))
        assert spec_key(spec) == unit.key
    assert plan_corpus(four, config, corpus="other")[0].key == units[0].key  # the key ignores the corpus name
    with pytest.raises(CorpusError, match="shuffle"):
        plan_corpus(four, config, shuffles=[-1])
    with pytest.raises(CorpusError, match="seeds"):
        plan_corpus(four, config, seeds=0)


def test_run_stores_each_unit_once_and_a_rerun_loads_nothing(four, config):
    store = open_store(":memory:")
    units = plan_corpus(four, config, shuffles=[0, 1], seeds=2)
    reports = []
    summary = run_corpus(units, config, sink=store, progress=reports.append)
    assert (summary.computed, summary.skipped, summary.failed, summary.stopped) == (12, 0, 0, False)
    assert _counts(store) == {"results": 12, "corpus_items": 12}
    assert [r.done for r in reports] == list(range(13)) and reports[-1].fraction == 1.0
    assert reports[-1].prompts_per_second > 0 and reports[1].eta_seconds >= 0
    again = run_corpus(units, config, sink=store, loader=fail_loader)
    assert (again.computed, again.skipped) == (0, 12)
    assert _counts(store) == {"results": 12, "corpus_items": 12}
    # Every result has its logits ID: the run asked for it.
    assert all(np.isfinite(item.analysis.logits_id) for item in load_corpus(store, "four"))


def test_interrupt_from_the_progress_callback_then_resume(four, config):
    store = open_store(":memory:")
    units = plan_corpus(four, config, shuffles=[0, 1], seeds=1)

    def interrupt_after_two(report):
        if report.done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_corpus(units, config, sink=store, progress=interrupt_after_two)
    assert _counts(store) == {"results": 2, "corpus_items": 2}
    summary = run_corpus(units, config, sink=store)
    assert (summary.skipped, summary.computed) == (2, 6) and _counts(store)["results"] == 8


def test_should_stop_ends_the_run_after_the_current_unit(four, config):
    store = open_store(":memory:")
    units = plan_corpus(four, config)
    done = []
    summary = run_corpus(units, config, sink=store, progress=lambda r: done.append(r.done),
                         should_stop=lambda: len(done) > 2)
    assert summary.stopped and summary.computed == 2 and summary.remaining == 2


def test_unanalysable_units_are_recorded_and_not_retried(four, config):
    store = open_store(":memory:")
    units = plan_corpus(four, config, shuffles=[9])
    summary = run_corpus(units, config, sink=store)
    assert summary.failed == 4 and summary.computed == 0 and "S ≤" in summary.failures[0][1]
    assert {m.status for m in store.members("four")} == {"failed"}
    again = run_corpus(units, config, sink=store, loader=fail_loader)
    assert again.failed == 4 and not again.stopped


def test_a_result_without_the_logits_id_is_recomputed(four, config, tiny_model_dir):
    store = open_store(":memory:")
    cheap = CorpusConfig(model=str(tiny_model_dir), max_tokens=128, with_logits_id=False)
    run_corpus(plan_corpus(four, cheap), cheap, sink=store)
    units = plan_corpus(four, config)
    finished, todo, _ = pending_units(units, config, store)
    assert finished == [] and len(todo) == 4  # same keys, but the stored results lack the logits ID
    assert run_corpus(units, config, sink=store).computed == 4 and store.count() == 4


def test_a_corpus_run_skips_the_token_neighbors_unless_asked(four, config, tiny_model_dir):
    store = open_store(":memory:")
    run_corpus(plan_corpus(four, config), config, sink=store)
    assert not config.with_token_neighbors
    assert all(item.analysis.n_token_neighbors == 0 for item in load_corpus(store, "four", with_neighbors=True))
    wanting = dataclasses.replace(config, with_token_neighbors=True)
    units = plan_corpus(four, wanting)
    finished, todo, _ = pending_units(units, wanting, store)
    assert finished == [] and len(todo) == 4  # same keys, but the stored results lack the lists
    assert run_corpus(units, wanting, sink=store).computed == 4 and store.count() == 4
    items = load_corpus(store, "four", with_neighbors=True)
    assert all(item.analysis.n_token_neighbors > 0 and item.analysis.lle_weights.shape[-1] > 0 for item in items)
    assert all(np.isfinite(item.analysis.logits_id) for item in items)
    assert pending_units(units, config, store)[0] == units  # a run without the lists is satisfied too


def test_cached_loader_loads_once():
    calls = []

    class Spec:
        pass

    class Loaded:
        spec, dtype, is_causal = Spec, "float32", True

    loader = CachedLoader(load=lambda spec, **options: calls.append(options) or Loaded)
    assert loader(Spec, "float32") is loader(Spec, "float32") is Loaded
    assert calls == [{"dtype": "float32", "device": "cpu", "threads": None}]


def test_a_custom_executor_plugs_in(four, config):
    seen = []

    class Recording(SequentialExecutor):
        def __call__(self, units, config, **kwargs):
            seen.extend(unit.passage_id for unit in units)
            super().__call__(units, config, **kwargs)

    summary = run_corpus(plan_corpus(four, config), config, sink=open_store(":memory:"), executor=Recording())
    assert seen == ["p0", "p1", "p2", "p3"] and summary.computed == 4


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory, tiny_model_dir):
    path = tmp_path_factory.mktemp("corpus") / "four.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "text": text}) + "\n" for i, text in enumerate(TEXTS)))
    config = CorpusConfig(model=str(tiny_model_dir), max_tokens=128)
    store = open_store(":memory:")
    run_corpus(plan_corpus(read_prompt_file(path), config, shuffles=[0, 1], seeds=2), config, sink=store)
    return store


def _by_hand(items, shuffle_index):
    return [item.analysis for item in items if item.analysis.shuffle_index == shuffle_index]


def test_profiles_equal_numpy_on_the_stored_analyses(corpus_store):
    items = load_corpus(corpus_store, "four")
    assert len(items) == 12 and items[0].analysis.neighbor_indices.size == 0  # neighbour arrays not read
    for shuffle_index, expected_n in ((0, 4), (1, 8)):
        analyses = _by_hand(items, shuffle_index)
        checks = [
            (id_profile(items, estimator="gride_4"), np.array([a.gride_at(4)[0] for a in analyses])),
            (id_profile(items, estimator="twonn_linear"), np.array([a.twonn_linear for a in analyses])),
            (overlap_profile(items, k=2), np.array([a.overlap[:, 1] for a in analyses])),
            (cosine_profile(items, off_diagonal=True), np.array([a.cosine_offdiagonal for a in analyses])),
        ]
        for frame, values in checks:
            rows = frame[frame["shuffle_index"] == shuffle_index]
            np.testing.assert_allclose(rows["mean"], values.mean(axis=0), rtol=1e-12)
            np.testing.assert_allclose(rows["std"], values.std(axis=0, ddof=1), rtol=1e-9)
            np.testing.assert_allclose(rows["sem"], values.std(axis=0, ddof=1) / np.sqrt(expected_n), rtol=1e-9)
            assert set(rows["n"]) == {expected_n} and set(rows["n_prompts"]) == {4}
    cosine = cosine_profile(items)
    assert cosine["layer"].min() == 0 and list(cosine.columns) == ["statistic", "shuffle_index", "layer", "mean", "std",
                                                                     "sem", "n", "n_prompts"]
    assert overlap_profile(items)["layer"].max() == items[0].analysis.layers.size - 1
    with pytest.raises(ValueError, match="unknown statistic"):
        layer_profile(items, statistic="nonsense")
    with pytest.raises(ValueError, match="estimator"):
        id_profile(items, estimator="cosine")


def test_nan_values_are_left_out_and_counted(corpus_store):
    items = load_corpus(corpus_store, "four")
    frame = id_profile(items, estimator="gride_64")  # 64 neighbours: more than most of these prompts have
    values = np.array([item.analysis.gride_at(64)[0] for item in items])
    shuffles = np.array([item.analysis.shuffle_index for item in items])
    for shuffle_index in (0, 1):
        rows = frame[frame["shuffle_index"] == shuffle_index]
        finite = np.isfinite(values[shuffles == shuffle_index])
        assert rows["n"].tolist() == finite.sum(axis=0).tolist()
    assert 0 < frame["n"].sum() < values.size and "left out" in frame.attrs["notes"][0]


def test_id_loss_table_equals_numpy_correlations(corpus_store):
    items = load_corpus(corpus_store, "four", shuffle_index=0)
    table = id_loss_table(items, estimator="gride_2")
    ids = np.array([item.analysis.gride_at(2)[0] for item in items])
    losses = np.array([item.analysis.mean_loss for item in items])
    for column, row in enumerate(table.itertuples()):
        pearson = np.corrcoef(np.log(ids[:, column]), losses)[0, 1]
        spearman = np.corrcoef(stats.rankdata(ids[:, column]), stats.rankdata(losses))[0, 1]
        assert row.pearson_r == pytest.approx(pearson, rel=1e-9) and row.spearman_rho == pytest.approx(spearman)
        assert row.pearson_p == pytest.approx(stats.pearsonr(np.log(ids[:, column]), losses).pvalue)
        assert row.n == 4 and row.layer == column + 1


def test_scatter_logits_and_token_tables(corpus_store):
    items = load_corpus(corpus_store, "four")
    scatter = prompt_scatter(items, layer=2, estimator="twonn_mle")
    assert scatter["passage_id"].tolist() == ["p0", "p1", "p2", "p3"]
    assert scatter["id"].tolist() == [i.analysis.twonn_mle[1] for i in items if i.analysis.shuffle_index == 0]
    assert scatter["start_text"][2] == start_text(TEXTS[2]) and "\n" not in scatter["start_text"][2]
    logits = logits_table(items)
    assert len(logits) == 12 and logits["logits_id"].gt(0).all() and logits.attrs["notes"] == []
    assert list(logits.columns)[:6] == ["passage_id", "shuffle_index", "seed", "logits_id", "logits_id_error",
                                        "contextual_entropy"]
    tokens = token_table(items, layer=3)
    first = items[0].analysis
    rows = tokens[tokens["passage_id"] == "p0"]
    assert len(rows) == first.kept.size and rows["token"].tolist() == list(first.kept_tokens)
    np.testing.assert_array_equal(rows["local_id"], first.local_id[2].astype(float))
    assert np.isnan(rows["surprisal"].iloc[0]) and rows["surprisal"].iloc[5] == pytest.approx(first.losses[4])
    assert rows["next_loss"].iloc[5] == pytest.approx(first.losses[5]) and np.isnan(rows["next_loss"].iloc[-1])
    with pytest.raises(ValueError, match="layer"):
        token_table(items, layer=99)


def test_bare_analyses_work_too(corpus_store):
    analyses = [item.analysis for item in load_corpus(corpus_store, "four")]
    frame = prompt_scatter(analyses, layer=1)
    assert frame["passage_id"].str.startswith("sha256:").all() and frame["passage_id"].nunique() == 4


def test_corpora_listing_selection_and_export(corpus_store, tiny_model_dir):
    table = corpora(corpus_store)
    assert len(table) == 1
    row = table.iloc[0]
    assert (row.corpus, row.n_passages, row.n_analyses, row.shuffle_indices, row.current) == ("four", 4, 12, (0, 1), True)
    assert row.model_name == tiny_model_dir.name and row.max_tokens == 128
    assert len(load_corpus(corpus_store, "four", config_id=row.config_id)) == 12
    assert load_corpus(corpus_store, "four", model_fingerprint="nobody") == []
    with pytest.raises(CorpusError, match="no results for corpus 'nope'"):
        load_corpus(corpus_store, "nope")
    layers, prompts = export_tables(corpus_store, corpus="four")
    assert len(prompts) == 12 and prompts["passage_id"].nunique() == 4 and prompts["logits_id"].notna().all()
    assert set(layers["key"]) == set(prompts["key"]) and {"layer", "statistic", "value"} <= set(layers.columns)
    per_key = corpus_store.connection.execute("SELECT count(*) FROM layer_values").fetchone()[0]
    assert len(layers) == per_key


def test_batches_store_what_single_prompts_store(four, config, tiny_model_dir):
    """Units through the model four at a time (a padded batch): the same keys and, to float
    round-off, the same values as one at a time; a unit that cannot be analysed fails alone."""
    from pipeline.corpus import SequentialExecutor

    single, batched = open_store(":memory:"), open_store(":memory:")
    units = plan_corpus(four, config)
    run_corpus(units, config, sink=single)
    with_failures = plan_corpus(four, config, shuffles=(0, 9))  # S = 9 asks for more blocks than tokens
    summary = run_corpus(with_failures, config, sink=batched, executor=SequentialExecutor(batch_size=4))
    assert (summary.computed, summary.failed) == (4, 4)
    for unit in units:
        a, b = (store.get(unit.key) for store in (single, batched))
        assert a.meta["n_prompt_tokens"] == b.meta["n_prompt_tokens"]
        assert b.meta["logits_id"] == pytest.approx(a.meta["logits_id"], rel=1e-3)
        assert b.meta["mean_loss"] == pytest.approx(a.meta["mean_loss"], rel=1e-4)
        np.testing.assert_allclose(b.arrays["twonn.values"], a.arrays["twonn.values"], rtol=1e-3)
    assert sorted(m.status for m in batched.members("four")) == ["done"] * 4 + ["failed"] * 4


def test_a_stored_result_without_neighbor_lists_under_the_earlier_spelling_is_incomplete(config):
    from pipeline.corpus import _complete

    wanting = dataclasses.replace(config, with_token_neighbors=True, with_logits_id=False)
    assert not _complete({"n_token_neighbours": 0}, wanting)
    assert not _complete({"n_token_neighbors": 0}, wanting)
    assert _complete({"n_token_neighbours": 16}, wanting)
    assert _complete({"n_token_neighbours": 0}, config)
