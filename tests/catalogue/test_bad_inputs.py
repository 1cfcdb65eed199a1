"""One test per row of docs/bad-inputs.md (the row id is in each test's name).

Every bad input must end as a clear message (on the page, or a named error the page shows), never a
traceback, and must not lose anything already stored.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from cache import open_store
from geometry.suite import SuiteSettings
from lm import ModelLoadError, ModelNotFoundError, PromptError, load_model, resolve_model
from pipeline import Request, analyse
from prompts import (BinaryFileError, EmptyFileError, FileTooLargeError, InvalidJsonLineError, MissingTextFieldError,
                     NotUtf8Error, UnsupportedFormatError, parse_prompt_file)
from tests.hidden_patch import patch_hidden_states
from tests.views.apptest import PROMPT, page, press_run


def _request(model_dir, **changes) -> Request:
    return Request(model=str(model_dir), prompt=changes.pop("prompt", PROMPT), **changes)


def _page_messages(model_dir, *, prompt=PROMPT, model=None, query=None, name="layers"):
    app = page(name, model_dir=model or model_dir, prompt=prompt)
    if query:
        app.query_params.update(query)
    app = press_run(app.run()) if query is None else app.run()
    assert not app.exception, "a traceback reached the page"
    return [element.value for kind in ("error", "warning", "info") for element in getattr(app, kind)]


# B01–B04: prompts that are empty or too short -------------------------------------------------

@pytest.mark.parametrize("row, prompt, expected", [
    ("B01", "", "empty"), ("B02", "   \n\t  ", "empty"), ("B03", "Hi", "at least 9"), ("B04", "The quick brown fox", "at least 9")])
def test_B01_B04_empty_or_short_prompts_are_explained(tiny_model_dir, row, prompt, expected):
    with pytest.raises(PromptError, match=expected):
        analyse(_request(tiny_model_dir, prompt=prompt), store=None)
    assert any(expected in message for message in _page_messages(tiny_model_dir, prompt=prompt))


# B05–B06: prompts that are too long -----------------------------------------------------------

def test_B05_prompt_longer_than_the_context_is_truncated_with_a_note(tiny_model_dir):
    analysis = analyse(_request(tiny_model_dir, prompt=PROMPT * 10), store=None).analysis
    assert analysis.n_tokens == 128 and analysis.truncated
    assert any("model context: 128" in note for note in analysis.notes)


def test_B06_prompt_longer_than_max_tokens_is_truncated_with_a_note(tiny_model_dir):
    analysis = analyse(_request(tiny_model_dir, max_tokens=24), store=None).analysis
    assert analysis.n_tokens == 24 and any("only the first 24" in note for note in analysis.notes)


# B07–B08: degenerate clouds ------------------------------------------------------------------

def test_B07_one_token_repeated_is_analysed_without_error(tiny_model_dir):
    analysis = analyse(_request(tiny_model_dir, prompt=" the" * 40), store=None).analysis
    assert analysis.n_tokens == 40 and np.isfinite(analysis.cosine[0])


def test_B08_all_points_identical_says_so(tiny_model_dir, monkeypatch):
    patch_hidden_states(monkeypatch, np.ones_like)
    with pytest.raises(PromptError, match="identical"):
        analyse(_request(tiny_model_dir), store=None)


def test_B09_nan_or_inf_hidden_states_drop_tokens_with_a_note(tiny_model_dir, monkeypatch):
    def overflow(hidden):
        hidden[2, :3] = np.inf  # float16 overflow at three tokens
        return hidden

    patch_hidden_states(monkeypatch, overflow)
    analysis = analyse(_request(tiny_model_dir), store=None).analysis
    assert analysis.kept.size == analysis.n_tokens - 3
    assert any("3 tokens had NaN/inf" in note for note in analysis.notes)


# B10–B11: settings larger than the prompt allows -----------------------------------------------

def test_B10_shuffle_index_larger_than_the_tokens_allow(tiny_model_dir):
    with pytest.raises(PromptError, match="Use S ≤"):
        analyse(_request(tiny_model_dir, shuffle_index=9), store=None)


def test_B11_k_larger_than_the_number_of_tokens_is_left_out_with_a_note(tiny_model_dir):
    settings = SuiteSettings(local_k=200)
    analysis = analyse(_request(tiny_model_dir, settings=settings), store=None).analysis
    assert np.isnan(analysis.local_id).all()
    assert any("local ID with k=200 needs 201 distinct tokens" in note for note in analysis.notes)
    assert any("GRIDE at range scaling 64" in note for note in analysis.notes)


# B12–B18: uploads ------------------------------------------------------------------------------

@pytest.mark.parametrize("row, name, data, error", [
    ("B12", "latin1.txt", "Café crème\n\nsecond passage".encode("latin-1"), NotUtf8Error),
    ("B13", "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), BinaryFileError),
    ("B14", "big.txt", b"word " * 300_000, FileTooLargeError),
    ("B15", "missing.jsonl", b'{"text": "fine passage here with enough words to keep"}\n{"body": "no text"}\n', MissingTextFieldError),
    ("B16", "broken.jsonl", b'{"text": "ok"\n', InvalidJsonLineError),
    ("B17", "empty.txt", b"", EmptyFileError),
    ("B18", "model.pkl", pickle.dumps({"text": "never unpickled"}), UnsupportedFormatError),
])
def test_B12_B18_bad_uploads_name_the_problem(row, name, data, error):
    with pytest.raises(error) as raised:
        parse_prompt_file(name, data, max_bytes=1_000_000)
    assert len(str(raised.value)) > 20, "the message must say what is wrong"


# B19–B23: models -------------------------------------------------------------------------------

def test_B19_unknown_hub_id_offline(tiny_model_dir):
    with pytest.raises(ModelNotFoundError, match="cannot download"):
        analyse(_request(tiny_model_dir).__class__(model="someone/no-such-model", prompt=PROMPT), store=None)


def test_B20_directory_that_is_not_a_model(tiny_model_dir, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    messages = _page_messages(tiny_model_dir, model=tmp_path)
    assert any("config.json" in message for message in messages)


def test_B21_path_that_does_not_exist(tiny_model_dir):
    assert any("does not exist" in m for m in _page_messages(tiny_model_dir, model="/no/such/model"))


def test_B22_truncated_safetensors(tiny_model_dir, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    weights = next(broken.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ModelLoadError, match="truncated or corrupt"):
        load_model(resolve_model(str(broken)))
    assert any("truncated or corrupt" in m for m in _page_messages(tiny_model_dir, model=broken))


def test_B23_garbage_gguf(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKEN_GEOMETRY_MODEL_DIR", str(tmp_path / "models"))
    garbage = tmp_path / "model.gguf"
    garbage.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ModelLoadError, match="GGUF"):
        load_model(resolve_model(str(garbage)))


# B24–B28: links (URL query parameters) -------------------------------------------------------------

def test_B24_layer_out_of_range_in_the_link(tiny_model_dir, isolated_store):
    analyse(_request(tiny_model_dir), store=open_store(isolated_store))
    messages = _page_messages(tiny_model_dir, name="tokens", query={"layer": "999"})
    assert any("outside 1..4" in m for m in messages)


def test_B25_layer_that_is_not_a_number_in_the_link(tiny_model_dir, isolated_store):
    analyse(_request(tiny_model_dir), store=open_store(isolated_store))
    messages = _page_messages(tiny_model_dir, name="tokens", query={"layer": "ten"})
    assert any("not a whole number" in m for m in messages)


def test_B26_model_path_in_a_link_is_not_loaded_without_confirmation(tiny_model_dir):
    messages = _page_messages(tiny_model_dir, query={"model": "/etc/somewhere/model"})
    assert any("loaded only when you press Run" in m for m in messages)
    assert any("came from a link" in m for m in messages)


def test_B27_unknown_prompt_hash_in_a_link(tiny_model_dir):
    messages = _page_messages(tiny_model_dir, query={"prompt": "0123456789abcdef"})
    assert any("not in this machine's cache" in m for m in messages)


# B29–B31: the cache file -------------------------------------------------------------------------

def test_B29_locked_cache_file_keeps_the_app_working(tiny_model_dir, isolated_store):
    import subprocess
    import sys

    open_store(isolated_store).close()
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(isolated_store)!r}); "
                               "print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        app = press_run(page("layers", model_dir=tiny_model_dir).run())
        assert not app.exception
        assert any("in use by another process" in w.value for w in app.warning)
        assert app.get("plotly_chart"), "the analysis is still shown"
    finally:
        holder.kill()


def test_B30_garbage_cache_file_is_left_untouched_and_the_app_works_without_it(tiny_model_dir, isolated_store):
    isolated_store.write_bytes(b"not a database" * 1000)
    app = press_run(page("layers", model_dir=tiny_model_dir).run())
    assert not app.exception and any("not a DuckDB database" in w.value for w in app.warning)
    assert app.get("plotly_chart"), "the analysis is still shown"
    assert isolated_store.read_bytes() == b"not a database" * 1000
    assert [p.name for p in isolated_store.parent.iterdir()] == ["results.duckdb"]


def test_B30_a_damaged_duckdb_cache_is_moved_aside_and_kept(tiny_model_dir, isolated_store):
    open_store(isolated_store).close()
    with open(isolated_store, "r+b") as handle:
        handle.truncate(12288)  # DuckDB's headers stay: positively a DuckDB file, and damaged
    app = press_run(page("layers", model_dir=tiny_model_dir).run())
    assert not app.exception and any("moved to" in w.value for w in app.warning)
    assert list(isolated_store.parent.glob("results.duckdb.corrupt-*"))
    assert open_store(isolated_store).count() >= 1


def test_B31_a_result_stored_by_an_older_layout_is_recomputed_not_crashed(tiny_model_dir, isolated_store):
    store = open_store(isolated_store)
    outcome = analyse(_request(tiny_model_dir), store=store)
    record = store.get(outcome.key)
    meta = dict(record.meta)
    meta.pop("local_k")  # as if written by an older version of the pipeline
    store.put(outcome.key, kind=record.kind, spec=record.spec, meta=meta, arrays=dict(record.arrays))
    again = analyse(_request(tiny_model_dir), store=store)
    assert not again.from_cache and again.analysis.local_k == 10


# B32–B33: the Cache file option (issue 12, item 2) -------------------------------------------------------

@pytest.mark.parametrize("typed, reason", [
    ("~/.ssh/authorized_keys", "must end in .duckdb"),
    ("/etc/passwd", "must end in .duckdb"),
    ("/no/such/folder/results.duckdb", "does not exist"),
])
def test_B32_cache_file_option_refuses_other_files(tiny_model_dir, isolated_store, typed, reason):
    app = page("layers", model_dir=tiny_model_dir)
    app.session_state["store_path"] = typed
    app = press_run(app.run())
    assert not app.exception
    assert any(reason in w.value and "Using the default cache" in w.value for w in app.warning)
    assert open_store(isolated_store).count() >= 1, "the default cache was used instead"


def test_B33_cache_file_option_refuses_a_folder_owned_by_another_account(tiny_model_dir, isolated_store, tmp_path):
    import os

    foreign = tmp_path / "someone-else"
    foreign.mkdir()
    try:
        os.chown(foreign, os.getuid() + 4242, -1)
    except PermissionError:
        pytest.skip("cannot give a folder to another account here (not root)")
    app = page("layers", model_dir=tiny_model_dir)
    app.session_state["store_path"] = str(foreign / "results.duckdb")
    app = press_run(app.run())
    assert any("is not owned by" in w.value for w in app.warning)
    assert list(foreign.iterdir()) == []


def test_B33_cache_file_option_accepts_a_duckdb_file_in_an_own_folder(tiny_model_dir, tmp_path):
    chosen = tmp_path / "mine" / "other.duckdb"
    chosen.parent.mkdir()
    app = page("layers", model_dir=tiny_model_dir)
    app.session_state["store_path"] = str(chosen)
    app = press_run(app.run())
    assert not app.exception and not [w for w in app.warning if "cache" in w.value.lower()]
    assert open_store(chosen).count() >= 1


# B34–B35: JSONL that Python's parser or UTF-8 cannot take (issue 12, items 4–5) ------------------------

@pytest.mark.parametrize("row, data, expected", [
    ("B34", b'{"text": "a passage with enough words to be kept here", "extra": ' + b"[" * 100_000 + b"}\n",
     "nests arrays or objects too deeply"),
    ("B35", b'{"text": "a passage with a lone \\ud800 surrogate and enough words"}\n', "unpaired UTF-16 surrogate"),
])
def test_B34_B35_jsonl_too_deep_or_with_a_lone_surrogate_is_refused(row, data, expected, tmp_path):
    import subprocess
    import sys

    from tests.unprivileged import ROOT

    with pytest.raises(InvalidJsonLineError, match=expected):
        parse_prompt_file("texts.jsonl", data, max_bytes=1_000_000)
    path = tmp_path / "texts.jsonl"
    path.write_bytes(data)
    child = subprocess.run([sys.executable, "-m", "cli", "run", "--prompts", str(path), "--store",
                            str(tmp_path / "s.duckdb")], cwd=ROOT, capture_output=True, text=True)
    assert child.returncode == 2 and expected in child.stderr and "Traceback" not in child.stderr


# B37: a .gguf whose folder carries custom code (issue 12, item 11) ----------------------------------------

@pytest.mark.parametrize("trust", [False, True])
def test_B37_gguf_conversion_never_prompts_and_passes_the_consent_through(tmp_path, monkeypatch, trust):
    """transformers asks on the terminal (and runs the code on "y") when trust_remote_code is left
    unset for a folder whose config has auto_map; the conversion must always pass it explicitly."""
    import builtins

    import transformers

    from lm.registry import resolve_model

    monkeypatch.setenv("TOKEN_GEOMETRY_MODEL_DIR", str(tmp_path / "models"))
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "llama", "auto_map": {"AutoModelForCausalLM": "evil.Model"}}')
    (folder / "model.gguf").write_bytes(b"GGUF" + b"\x00" * 64)
    seen = []

    def record(kind):
        def from_pretrained(*args, **kwargs):
            seen.append((kind, kwargs.get("trust_remote_code", "unset")))
            raise RuntimeError("stop here: only the options are checked")
        return from_pretrained

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", record("model"))
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", record("tokenizer"))
    monkeypatch.setattr(builtins, "input", lambda *a: pytest.fail("nothing may prompt on the terminal"))
    with pytest.raises(ModelLoadError):
        load_model(resolve_model(str(folder / "model.gguf"), trust_remote_code=trust))
    assert seen and all(value is trust for _, value in seen)


# B38: "Trust remote code" is consent for one model path (issue 12, item 10) -------------------------------

def test_B38_trust_remote_code_is_reset_when_the_model_path_changes(tiny_model_dir, tmp_path):
    import shutil

    from ui.sidebar import render_sidebar  # noqa: F401  (the page below draws it)

    other = tmp_path / "other-model"
    shutil.copytree(tiny_model_dir, other)
    app = page("layers", model_dir=tiny_model_dir).run()
    box = next(c for c in app.checkbox if c.label == "Trust remote code for this model")
    box.check().run()
    assert app.session_state["trust_remote_code"] and str(tiny_model_dir) in app.session_state["trust_remote_code_for"]
    next(t for t in app.text_input if t.label == "Model id or path").set_value(str(other)).run()
    box = next(c for c in app.checkbox if c.label == "Trust remote code for this model")
    assert not box.value and not app.session_state["trust_remote_code"], "the consent must not carry over"


def test_B38_a_consent_given_for_a_symlink_is_void_when_the_link_is_repointed(tiny_model_dir, tmp_path):
    import shutil

    other = tmp_path / "other-model"
    shutil.copytree(tiny_model_dir, other)
    link = tmp_path / "current"
    link.symlink_to(tiny_model_dir)
    app = page("layers", model_dir=link).run()
    next(c for c in app.checkbox if c.label == "Trust remote code for this model").check().run()
    assert app.session_state["trust_remote_code"]
    link.unlink()
    link.symlink_to(other)  # same text in the box, another model behind it
    app.run()
    assert not app.session_state["trust_remote_code"]


# B39–B40: model paths from links, and files that are not regular (issue 12, item 9) ----------------------

def _embeddings_messages(tiny_model_dir, model_path: str):
    app = page("embeddings", model_dir=tiny_model_dir)
    app.query_params.update({"model": model_path})
    app = app.run()
    assert not app.exception
    return sorted(element.value for kind in ("error", "warning", "info") for element in getattr(app, kind))


def test_B39_embeddings_page_reads_nothing_from_a_link_before_a_button(tiny_model_dir, monkeypatch):
    import lm.fingerprint
    import lm.registry

    monkeypatch.setattr(lm.registry, "resolve_model", lambda *a, **k: pytest.fail("a link's path was resolved"))
    monkeypatch.setattr(lm.fingerprint, "folder_fingerprint", lambda *a: pytest.fail("a link's path was hashed"))
    etc = [m.replace("/etc", "X") for m in _embeddings_messages(tiny_model_dir, "/etc")]
    missing = [m.replace("/no/such/dir", "X") for m in _embeddings_messages(tiny_model_dir, "/no/such/dir")]
    assert etc == missing, "the page must not tell a visitor whether a folder exists"
    assert any("came from a link" in m for m in etc)


def test_B40_a_model_folder_with_a_fifo_is_refused_without_blocking(tiny_model_dir, tmp_path):
    import os
    import shutil

    from lm import resolve_model

    folder = tmp_path / "fifo-model"
    shutil.copytree(tiny_model_dir, folder)
    weights = next(folder.glob("*.safetensors"))
    weights.unlink()
    os.mkfifo(weights)
    with pytest.raises(ModelNotFoundError, match="named pipe"):
        resolve_model(str(folder))
    assert any("named pipe" in m for m in _page_messages(tiny_model_dir, model=folder))


# B41: a 100,000-passage upload (issue 12, item 8) ---------------------------------------------------------

def test_B41_a_huge_upload_sends_one_passage_label_not_all_of_them():
    from streamlit.testing.v1 import AppTest

    from prompts import Passage, PromptSet
    from ui.prompt_source import MENU_LIMIT

    def sidebar():
        import streamlit as st

        from ui.prompt_source import render_prompt_source

        with st.sidebar:
            render_prompt_source()

    passages = tuple(Passage(f"big:{i}", f"passage {i} with enough words in it", f"upload:big.jsonl:line {i + 1}")
                     for i in range(100_000))
    app = AppTest.from_function(sidebar, default_timeout=60)
    app.session_state["uploaded_prompt_sets"] = {"upload: big.jsonl": PromptSet("big", passages, {}, None)}
    app.session_state["prompt_set_name"] = "upload: big.jsonl"
    app.run()
    assert not app.exception
    assert all(len(box.options) <= MENU_LIMIT for box in app.selectbox), "every option is sent on every rerun"
    box = next(n for n in app.number_input if n.label.startswith("Passage"))
    box.set_value(73_512).run()
    assert any("line 73512 · passage 73511 with" in c.value for c in app.caption)
    next(b for b in app.button if b.label == "Use this passage").click().run()
    assert app.session_state["prompt"] == "passage 73511 with enough words in it"
