"""The URL carries everything on screen, so that a link (or a reload) reopens exactly that view.

    ?model=…&prompt=<16 hex of its SHA-256>&dtype=…&max_tokens=…&bos=0|1     (the sidebar)
    &layer=…&token=<position in the prompt>                                 (followed across pages)
    &tab=…&k=…&shuffle=…&seeds=…&estimator=…                                (the Layers page's tabs)
    &present=1                                                              (presentation mode)

The page itself is the URL's path (st.navigation). The prompt travels as a hash, never as text: the
text is kept in the store under its hash as soon as it is committed in the sidebar (before any
Run), so a reload mid-run or before Run finds it on this machine.

Safety: a model *path* arriving in a link is put in the sidebar but never loaded or even read
until the user presses Run; only bundled names and hub ids are used as they are.
"""

from __future__ import annotations

import streamlit as st

from cache import StoreError
from lm import BUNDLED_MODELS, DTYPES
from pipeline.analysis import KIND
from pipeline.spec import text_hash
from ui.resources import current_store_path, store_handle

LOADED_FLAG = "_url_loaded"
UNCONFIRMED = "url_model_unconfirmed"
HASH_LENGTH = 16
PROMPT_KIND = "prompt_text"
INTEGERS = ("layer", "token", "k", "seeds", "max_tokens")
INTEGER_LISTS = ("shuffle",)  # comma-separated, e.g. shuffle=1,5 (an older link's single value still reads)
TEXTS = ("estimator", "tab", "statistic")
CURRENT_QUERY = "_url_now"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def remember_prompt(text: str) -> None:
    """Keep ``text`` in the store under its hash (once per text and session), so that a link or a
    reload that names the hash finds it on this machine even before any analysis of it exists."""
    digest = text_hash(text)
    seen = st.session_state.setdefault("_prompts_kept", set())
    if digest in seen or not text.strip():
        return
    store = store_handle(current_store_path()).store
    if store is None:
        return
    try:
        if not store.has(f"prompt:{digest}"):
            store.put(f"prompt:{digest}", kind=PROMPT_KIND, spec={"prompt_sha256": digest}, meta={"prompt": text},
                      arrays={})
        seen.add(digest)
    except StoreError:
        pass  # the store's own notice says what is wrong with it; the link then names an unknown hash


def prompt_for_hash(prefix: str) -> str | None:
    """The committed prompt (or an analysed one) whose SHA-256 starts with ``prefix``, if this
    machine's store has it."""
    prefix = prefix.lower()
    handle = store_handle(current_store_path())
    if handle.store is None or not prefix or any(c not in "0123456789abcdef" for c in prefix):
        return None
    for kind in (PROMPT_KIND, KIND):
        text = handle.store.lookup_meta(kind=kind, spec_field="prompt_sha256", prefix=prefix, meta_field="prompt")
        if text is not None:
            return text
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
        text = prompt_for_hash(prompt_hash)
        if text is None:
            notices.append(f"The link's prompt (hash {prompt_hash[:HASH_LENGTH]}) is not in this machine's cache; "
                           "showing the default prompt instead.")
        else:
            st.session_state["prompt"] = text
    if params.get("dtype") in DTYPES:
        st.session_state["dtype"] = params.get("dtype")
    if params.get("bos") in ("0", "1"):
        st.session_state["add_special_tokens"] = params.get("bos") == "1"
    st.session_state["presentation_mode"] = params.get("present") == "1"
    for name in INTEGERS:
        number = _int(params.get(name))
        if params.get(name) is not None and number is None:
            notices.append(f"Ignored the link's {name}={params.get(name)!r}: it is not a whole number.")
        elif number is not None:
            st.session_state[f"url_{name}"] = number
    for name in INTEGER_LISTS:
        text = params.get(name)
        numbers = [_int(part) for part in text.split(",")] if text else []
        if text and (None in numbers or len(numbers) > 16):
            notices.append(f"Ignored the link's {name}={text[:40]!r}: it is not a list of whole numbers.")
        elif numbers:
            st.session_state[f"url_{name}"] = tuple(numbers)
    for name in TEXTS:
        if params.get(name):
            st.session_state[f"url_{name}"] = params.get(name)
    max_tokens = st.session_state.pop("url_max_tokens", None)
    if max_tokens is not None:
        if 16 <= max_tokens <= 8192:
            st.session_state["max_tokens"] = max_tokens
        else:
            notices.append(f"Ignored the link's max_tokens={max_tokens}: outside 16..8192.")
    return notices


def write_url(*, model: str | None = None, prompt: str | None = None, drop: tuple[str, ...] = (), **extra) -> None:
    """Put values in the URL (the page's path is kept by st.navigation); remove the names in
    ``drop`` (settings of a tab or page that is not on screen) and any value given as None."""
    values = {}
    if model is not None:
        values["model"] = model
    if prompt is not None:
        values["prompt"] = text_hash(prompt)[:HASH_LENGTH]
    values.update({name: str(value) for name, value in extra.items() if value is not None})
    gone = [name for name in (*drop, *(name for name, value in extra.items() if value is None))
            if name in st.query_params]
    for name in gone:
        del st.query_params[name]
    if {k: st.query_params.get(k) for k in values} != values:
        st.query_params.update(values)
    now = st.session_state.setdefault(CURRENT_QUERY, {})  # read by exports made outside a page run
    now.clear()
    now.update(st.query_params.to_dict())


def url_int(name: str, *, low: int, high: int, default: int) -> int:
    """An integer from the link, checked against [low, high]; outside it, a warning on the page
    says so and ``default`` is used. The value stays for the session: a widget whose default
    changed between two reruns would be a new widget, back at its default."""
    value = st.session_state.get(f"url_{name}")
    if value is None:
        return default
    if not low <= value <= high:
        st.warning(f"The link asked for {name} {value}, outside {low}..{high}; showing {default}.")
        return default
    return value


def url_int_list(name: str, *, low: int, high: int, default: list[int]) -> list[int]:
    """Whole numbers from a comma-separated link value, each checked against [low, high]: those
    outside are left out with a warning on the page; with none left, ``default`` is used. Like
    :func:`url_int`, the value stays for the session."""
    values = st.session_state.get(f"url_{name}")
    if not values:
        return list(default)
    kept = sorted({value for value in values if low <= value <= high})
    if len(kept) < len(values):
        outside = ", ".join(str(value) for value in values if not low <= value <= high)
        st.warning(f"The link asked for {name} {outside}, outside {low}..{high}; "
                   f"{'left out' if kept else 'showing ' + ', '.join(map(str, default))}.")
    return kept or list(default)


# The Layers page's tabs: their names in the URL, and the settings each one owns (a link carries
# only the open tab's settings, so a stale ?k= never opens the overlap tab again).
TAB_SLUGS = {"Intrinsic dimension": "id", "Neighbourhood overlap": "overlap", "Cosine similarity": "cosine",
             "Scale analysis": "scale", "Structured vs shuffled": "sweep", "Every statistic": "statistics"}
TAB_PARAMS = {"overlap": ("k",), "sweep": ("shuffle", "seeds", "estimator"), "statistics": ("statistic",)}


def linked_tab() -> str | None:
    """The tab a link (``tab=``, or an older link's ``k=``/``shuffle=``) or the presentation's
    next/previous asked for. It stays the same for the session until asked again: st.tabs treats
    a changed ``default`` as a new widget and would open its first tab."""
    wanted = st.session_state.pop("url_tab", None)
    if wanted is None and "url_k" in st.session_state:
        wanted = "overlap"
    elif wanted is None and "url_shuffle" in st.session_state:
        wanted = "sweep"
    for name, slug in TAB_SLUGS.items():
        if wanted in (name, slug):
            st.session_state["_linked_tab"] = name
    return st.session_state.get("_linked_tab")


def write_tab(name: str) -> None:
    """Put the open tab in the URL and drop the other tabs' settings."""
    slug = TAB_SLUGS.get(name, name)
    write_url(tab=slug, drop=tuple(p for other, params in TAB_PARAMS.items() if other != slug for p in params))
