"""The sidebar's "Load a prompt" box: a passage from a bundled prompt set or from an uploaded file.

Uploads are parsed by :func:`prompts.parse_prompt_file` (size cap, UTF-8 check, .txt/.jsonl only;
nothing is ever unpickled); every problem is shown as a message and nothing already typed is lost.
"""

from __future__ import annotations

import streamlit as st

from prompts import DEFAULT_MAX_BYTES, PromptSet, PromptSetError, list_prompt_sets, load_prompt_set, parse_prompt_file

UPLOADED = "uploaded_prompt_sets"
PASSAGES_SHOWN = 50
MENU_LIMIT = 500  # passages listed in the menu; longer sets get a number box


@st.cache_data(show_spinner="Cutting the prompt set into passages…", max_entries=8)
def bundled_set(name: str, target_tokens: int) -> PromptSet:
    return load_prompt_set(name, target_tokens=target_tokens, limit=PASSAGES_SHOWN)


def _use(text: str) -> None:
    st.session_state["prompt"] = text


@st.cache_data(show_spinner=False, max_entries=4)
def _parsed(name: str, data: bytes) -> PromptSet:
    """Parse an upload once per (name, content): Streamlit keys this cache by a hash of the bytes, so
    uploading the same file again (or in another session) costs nothing (~9 s for 100,000 passages)."""
    return parse_prompt_file(name, data, max_bytes=DEFAULT_MAX_BYTES)


def _read_upload() -> None:
    upload = st.session_state.get("prompt_upload")
    if upload is None:
        return
    try:
        prompt_set = _parsed(upload.name, upload.getvalue())
    except PromptSetError as error:
        message = str(error)  # the loader's messages name the file already; say it once
        st.session_state["upload_error"] = message if upload.name in message else f"{upload.name}: {message}"
        return
    st.session_state.pop("upload_error", None)
    st.session_state.setdefault(UPLOADED, {})[f"upload: {upload.name}"] = prompt_set


def _label(passage) -> str:
    return f"{passage.source} · {' '.join(passage.text[:400].split())[:40]}"


def _pick_passage(prompt_set: PromptSet) -> int:
    """The chosen passage's index. A menu lists every passage only up to MENU_LIMIT of them: its
    options travel to the browser on every rerun, so a 100,000-passage upload made each click of
    the page take ~24 s. Longer sets get a number box and a preview of the chosen passage."""
    passages = prompt_set.passages
    if len(passages) <= MENU_LIMIT:
        return st.selectbox("Passage", range(len(passages)), key="prompt_set_passage",
                            format_func=lambda i: _label(passages[i]))
    number = st.number_input(f"Passage (1–{len(passages):,})", min_value=1, max_value=len(passages), value=1,
                             step=1, key="prompt_set_passage_number")
    index = int(number) - 1
    st.caption(_label(passages[index]))
    return index


def uploaded_sets() -> dict[str, PromptSet]:
    return st.session_state.get(UPLOADED, {})


def render_prompt_source() -> None:
    """Draw the loader (inside the sidebar)."""
    with st.expander("Load a prompt from a set or a file"):
        st.file_uploader("Your prompts (.txt: blank-line-separated passages; .jsonl: field \"text\")",
                         type=["txt", "jsonl"], key="prompt_upload", on_change=_read_upload,
                         max_upload_size=DEFAULT_MAX_BYTES // 2**20,  # the widget's own "Limit … per file" line
                         help=f"At most {DEFAULT_MAX_BYTES // 2**20} MiB, UTF-8.")
        if st.session_state.get("upload_error"):
            st.error(st.session_state["upload_error"])
        names = [info.name for info in list_prompt_sets() if info.available] + list(uploaded_sets())
        name = st.selectbox("Prompt set", names, key="prompt_set_name")
        if name in uploaded_sets():
            prompt_set = uploaded_sets()[name]
            skipped = ", ".join(f"{count} {reason.replace('_', ' ')}" for reason, count in prompt_set.skipped.items())
            if skipped:
                st.caption(f"Skipped while reading: {skipped}.")
        else:
            target = st.select_slider("Passage length (tokens, approx.)", [128, 256, 512, 1024], value=256,
                                      key="prompt_set_tokens")
            prompt_set = bundled_set(name, target)
        if prompt_set.passages:
            index = _pick_passage(prompt_set)
            st.button("Use this passage", on_click=_use, args=(prompt_set.passages[index].text,))
