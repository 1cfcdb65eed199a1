"""The sidebar shared by every page: model, prompt, options and the Run button.

Values live under permanent session-state keys so they survive page switches (Streamlit drops
the state of widgets that a page does not draw; re-assigning the keys each run keeps them).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from cache import StoreError, default_store_path
from cache.paths import checked_store_choice, server_user
from lm import BUNDLED_MODELS, DEFAULT_MODEL, DTYPES
from pipeline import Request
from pipeline.spec import DEFAULT_MAX_TOKENS
from prompts import default_prompt
from ui.prompt_source import render_prompt_source
from ui.resources import current_store_path
from ui.show import FORMAT_KEY, PRESENT_KEY
from ui.url import UNCONFIRMED, read_url_once, remember_prompt, write_url

OTHER = "Other: Hugging Face id, model folder or .gguf path"
DEFAULTS = {
    "model_choice": DEFAULT_MODEL,
    "model_text": "",
    "trust_remote_code": False,
    "trust_remote_code_for": "",
    "dtype": "float32",
    "max_tokens": DEFAULT_MAX_TOKENS,
    "add_special_tokens": False,
    "keep_outlier_tokens": False,
}


def _defaults() -> dict:
    return {**DEFAULTS, "prompt": default_prompt(), "store_path": current_store_path(), FORMAT_KEY: "png",
            PRESENT_KEY: False}


def _keep_state() -> None:
    """Restore every sidebar value. Streamlit may drop a widget's state when a run does not draw it
    (a fragment rerun, e.g. a layer slider, draws no sidebar), so each value is also saved under a
    key no widget owns and restored from there."""
    for key, value in _defaults().items():
        st.session_state[key] = st.session_state.get(key, st.session_state.get(f"_saved_{key}", value))


def _save_state() -> None:
    for key in _defaults():
        st.session_state[f"_saved_{key}"] = st.session_state[key]


def _model_text() -> str:
    if st.session_state["model_choice"] == OTHER:
        return st.session_state["model_text"].strip()
    return st.session_state["model_choice"]


def _consent_target(text: str) -> str:
    """What a "trust remote code" consent is for: the resolved real path of a model folder or file
    (so a renamed or re-pointed symbolic link voids it), else the hub id as typed."""
    text = text.strip()
    if not text:
        return ""
    path = Path(text).expanduser()
    return f"path:{os.path.realpath(path)}" if path.exists() or path.is_absolute() else f"id:{text}"


def _consent_changed() -> None:
    """Ticking the box consents for the model path shown now, and for nothing else."""
    ticked = st.session_state["trust_remote_code"]
    st.session_state["trust_remote_code_for"] = _consent_target(st.session_state["model_text"]) if ticked else ""


def _trusted_now() -> bool:
    """The consent holds only for the model it was given for; any change of the model resets it."""
    target = _consent_target(_model_text()) if st.session_state["model_choice"] == OTHER else ""
    if st.session_state["trust_remote_code"] and target and st.session_state["trust_remote_code_for"] == target:
        return True
    if st.session_state["trust_remote_code"] or st.session_state["trust_remote_code_for"]:
        st.session_state["trust_remote_code"] = False
        st.session_state["trust_remote_code_for"] = ""
    return False


def _model_changed() -> None:
    """Switch BOS on for models trained to always see it (e.g. Gemma), off for the others."""
    entry = BUNDLED_MODELS.get(st.session_state["model_choice"])
    if entry is not None:
        st.session_state["add_special_tokens"] = entry.wants_bos


def link_model_unconfirmed() -> bool:
    """True while the model in the sidebar came from a link and no button has confirmed it: nothing
    at that path may be opened, hashed or listed until then."""
    return bool(st.session_state.get(UNCONFIRMED))


def _store_choice_notice() -> None:
    """Say why a typed cache path is not used (see :func:`cache.paths.checked_store_choice`)."""
    typed = (st.session_state["store_path"] or "").strip()
    if not typed or typed == str(default_store_path()):
        return
    try:
        checked_store_choice(typed)
    except StoreError as error:
        st.warning(f"{error} Using the default cache {default_store_path()}.")


def render_sidebar() -> tuple[Request, bool]:
    """Draw the sidebar; return the request it describes and whether Run was pressed."""
    _keep_state()
    notices = read_url_once(other_label=OTHER)
    with st.sidebar:
        for notice in notices:
            st.warning(notice)
        st.selectbox("Model", [*BUNDLED_MODELS, OTHER], key="model_choice", on_change=_model_changed,
                     help="The bundled model works offline. Other models must already be on this machine.")
        if st.session_state["model_choice"] == OTHER:
            st.text_input("Model id or path", key="model_text", placeholder="org/name, /path/to/folder or file.gguf")
            _trusted_now()  # a changed path (typed, or from a link) unticks the box before it is drawn
            st.checkbox("Trust remote code for this model", key="trust_remote_code", on_change=_consent_changed,
                        help="Runs Python code shipped with the model. Only for models you trust. The consent is "
                             "for this exact path and is withdrawn when the model changes.")
        st.text_area("Prompt", key="prompt", height=220)
        run = st.button("Run", type="primary", width="stretch")
        render_prompt_source()
        with st.expander("Options"):
            st.selectbox("Precision", DTYPES, key="dtype")
            st.number_input("Max tokens", min_value=16, max_value=8192, step=64, key="max_tokens",
                            help="Longer prompts are truncated to this many tokens (and to the model's context).")
            st.checkbox("Add special tokens (BOS)", key="add_special_tokens",
                        help="Off by default, as in the reference code (on for models trained to always see BOS, "
                             "e.g. Gemma). Shuffles keep special tokens in place.")
            st.checkbox("Keep special tokens and attention sinks", key="keep_outlier_tokens",
                        help="Off by default: BOS and other special tokens, and attention sinks (a hidden-state "
                             "norm over 50× the layer's median), are left out of the token cloud.")
            st.text_input("Cache file", key="store_path",
                          help=f"DuckDB file where results are kept across sessions. It must end in .duckdb and lie "
                               f"in an existing folder owned by {server_user()} (the account this app runs as); "
                               "any other path is refused and the default cache is used.")
            _store_choice_notice()
        st.radio("Figure download format", ["png", "svg"], key=FORMAT_KEY, horizontal=True,
                 help="The camera icon above each figure saves it in this format.")
        st.toggle("Presentation mode", key=PRESENT_KEY, help="Large fonts, one figure per screen, no sidebar.")
    if run:
        st.session_state[UNCONFIRMED] = False
    request = Request(
        model=_model_text(),
        prompt=st.session_state["prompt"],
        dtype=st.session_state["dtype"],
        add_special_tokens=st.session_state["add_special_tokens"],
        keep_outlier_tokens=bool(st.session_state["keep_outlier_tokens"]),
        max_tokens=int(st.session_state["max_tokens"]),
        trust_remote_code=_trusted_now(),
    )
    _save_state()
    remember_prompt(request.prompt)
    write_url(model=request.model, prompt=request.prompt, dtype=request.dtype, max_tokens=request.max_tokens,
              bos=int(request.add_special_tokens), present=1 if st.session_state[PRESENT_KEY] else None)
    return request, run
