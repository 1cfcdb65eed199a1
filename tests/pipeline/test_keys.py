"""Store keys of existing results never change by accident: a changed key silently recomputes
everything in a user's store. The keys below were computed before the records were reorganised
(commit c52675e); a deliberate change of a key updates them and says so."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from cache import open_store, spec_key
from geometry.suite import SuiteSettings
from pipeline.derived import derived_arrays
from pipeline.spec import AnalysisSpec

VERSIONS = (("angles", 1), ("cosine", 1), ("gride", 2), ("pipeline", 2), ("twonn", 3))
SETTINGS_JSON = {"lle_reg": 0.001, "local_k": 10, "max_range_scaling": 64, "overlap_k": 6, "token_neighbors": 8,
                 "twonn_fraction": 0.9}


def test_analysis_keys_are_unchanged():
    plain = AnalysisSpec(model_fingerprint="smollm2:abc123", dtype="float32", prompt_sha256="0" * 64,
                         statistic_versions=VERSIONS)
    everything = AnalysisSpec(model_fingerprint="gemma:ff00", dtype="bfloat16", prompt_sha256="ab" * 32,
                              add_special_tokens=True, max_tokens=256, shuffle_index=3, seed=7,
                              settings=SuiteSettings(max_range_scaling=16, local_k=12), keep_outlier_tokens=True,
                              statistic_versions=VERSIONS)
    unversioned = AnalysisSpec(model_fingerprint="x", dtype="float16", prompt_sha256="cd" * 32, shuffle_index=1,
                               statistic_versions=())
    assert spec_key(plain) == "5557ab3a70d3fe1165ad83e855acc436a77ff5c1ffa0e68cad102a43418b539b"
    assert spec_key(everything) == "27eaac59b716e3690596d1baabad26ad18f1721d7c958db6b6ab84d5daf1d7eb"
    assert spec_key(unversioned) == "988be270055600930784fa6d2e7d22926c3f8cb69771ccee05b318783596721c"


def test_the_stored_spec_keeps_its_flat_json_shape():
    """Corpus listings read spec fields by name from the stored JSON (cache.ResultStore.result_frame)."""
    spec = AnalysisSpec(model_fingerprint="smollm2:abc123", dtype="float32", prompt_sha256="0" * 64,
                        statistic_versions=VERSIONS)
    assert json.loads(json.dumps(dataclasses.asdict(spec), sort_keys=True)) == {
        "add_special_tokens": False, "dtype": "float32", "keep_outlier_tokens": False, "max_tokens": 1024,
        "model_fingerprint": "smollm2:abc123", "prompt_sha256": "0" * 64, "seed": 0, "settings": SETTINGS_JSON,
        "shuffle_index": 0, "statistic_versions": [list(pair) for pair in VERSIONS], "version": 238876265166216}


def test_derived_view_keys_are_unchanged():
    store = open_store(":memory:")
    derived_arrays(store, base_key="k" * 64, name="clusters", compute=lambda: {"labels": np.arange(3)},
                   params={"layer": 3, "n_clusters": 4, "low_id_share": 0.5, "version": 1})
    assert store.keys() == ["5dc29d4b6677d1a7dbf76ae89961506ae6e985b5eda34dc7e824cbd285647207"]


def test_every_measurement_and_shuffle_field_is_in_the_key_and_no_extra_is():
    from pipeline.spec import Extras, Method, Shuffle

    key_fields = {item.name for item in dataclasses.fields(AnalysisSpec)}
    assert {item.name for part in (Method, Shuffle) for item in dataclasses.fields(part)} <= key_fields
    assert not {item.name for item in dataclasses.fields(Extras)} & key_fields


def test_a_corpus_unit_and_the_same_request_typed_in_the_app_share_one_key(tiny_model_dir):
    from lm import model_fingerprint, resolve_model
    from pipeline.corpus import CorpusConfig
    from pipeline.runner import Request, build_spec
    from pipeline.spec import statistic_versions, text_hash

    settings = SuiteSettings(local_k=12)
    config = CorpusConfig(model=str(tiny_model_dir), dtype="float16", max_tokens=64, add_special_tokens=True,
                          settings=settings)
    _, via_config = build_spec(config.request("some text", shuffle_index=2, seed=1))
    _, typed = build_spec(Request(model=str(tiny_model_dir), prompt="some text", dtype="float16", max_tokens=64,
                                  add_special_tokens=True, settings=settings, shuffle_index=2, seed=1,
                                  with_logits_id=True, device="cpu"))
    assert via_config == typed
    assert dataclasses.asdict(typed) == {
        "model_fingerprint": model_fingerprint(resolve_model(str(tiny_model_dir))), "dtype": "float16",
        "prompt_sha256": text_hash("some text"), "add_special_tokens": True, "max_tokens": 64, "shuffle_index": 2,
        "seed": 1, "settings": dataclasses.asdict(settings), "keep_outlier_tokens": False,
        "statistic_versions": tuple(sorted(statistic_versions().items())), "version": typed.version}
