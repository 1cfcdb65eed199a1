"""The URL carries the view's state (model, prompt hash, layer, S, estimator) so a link reopens it.

Safety: a model *path* arriving in a link is put in the sidebar but never loaded or even read
until the user presses Run; only bundled names and hub ids are used as they are.
"""

from __future__ import annotations

import streamlit as st

from lm import BUNDLED_MODELS
from pipeline.analysis import KIND
from pipeline.spec import text_hash
from ui.resources import current_store_path, store_handle

LOADED_FLAG = "_url_loaded"
UNCONFIRMED = "url_model_unconfirmed"
HASH_LENGTH = 16


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def read_url_once(*, other_label: str) -> list[str]:
    """At the start of a session, copy the URL's state into the session; return notices to show."""
    if st.session_state.get(LOADED_FLAG):
        return []
    st.session_state[LOADED_FLAG] = True
    params, notices = st.query_params, []
    model = params.get("model")
    if model in BUNDLED_MODELS:
        st.session_state["model_choice"] = model
        st.session_state["add_special_tokens"] = BUNDLED_MODELS[model].wants_bos
    elif model:
        st.session_state["model_choice"] = other_label
        st.session_state["model_text"] = model
        st.session_state[UNCONFIRMED] = True
        notices.append(f"The link names the model {model!r}. It will be loaded only when you press Run.")
    prompt_hash = params.get("prompt")
    if prompt_hash:
        handle = store_handle(current_store_path())
        text = None
        if handle.store is not None and all(c in "0123456789abcdef" for c in prompt_hash.lower()):
            text = handle.store.lookup_meta(kind=KIND, spec_field="prompt_sha256", prefix=prompt_hash.lower(),
                                            meta_field="prompt")
        if text is None:
            notices.append(f"The link's prompt (hash {prompt_hash[:HASH_LENGTH]}) is not in this machine's cache; "
                           "showing the default prompt instead.")
        else:
            st.session_state["prompt"] = text
    for name in ("layer", "shuffle", "k"):
        number = _int(params.get(name))
        if params.get(name) is not None and number is None:
            notices.append(f"Ignored the link's {name}={params.get(name)!r}: it is not a whole number.")
        elif number is not None:
            st.session_state[f"url_{name}"] = number
    if params.get("estimator"):
        st.session_state["url_estimator"] = params.get("estimator")
    return notices


def write_url(*, model: str, prompt: str, **extra) -> None:
    """Put the current state in the URL (page path is kept by st.navigation)."""
    values = {"model": model, "prompt": text_hash(prompt)[:HASH_LENGTH]}
    values.update({name: str(value) for name, value in extra.items() if value is not None})
    if {k: st.query_params.get(k) for k in values} != values:
        st.query_params.update(values)


def url_int(name: str, *, low: int, high: int, default: int) -> int:
    """An integer from the link, checked against [low, high]; outside it, a warning on the page
    says so and ``default`` is used."""
    value = st.session_state.pop(f"url_{name}", None)
    if value is None:
        return default
    if not low <= value <= high:
        st.warning(f"The link asked for {name} {value}, outside {low}..{high}; showing {default}.")
        return default
    return value
