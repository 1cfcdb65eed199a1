"""User prompt sets: a ``.txt`` or ``.jsonl`` file turned into a ``PromptSet``.

``.txt``: one passage per block of text; blocks are separated by blank lines.
``.jsonl``: one JSON object per line, ``{"text": "...", "id": "optional"}``; other fields are
ignored. Empty passages and passages under ``min_tokens`` are skipped and counted in
``PromptSet.skipped`` (``"empty"``, ``"too_short"``); every other problem is a named
``PromptSetError`` whose message says what is wrong and how to fix it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path, PurePath

from prompts.cutting import checked_count
from prompts.errors import (
    FileTooLargeError,
    InvalidIdError,
    InvalidParameterError,
    NoUsablePassagesError,
    UnsupportedFormatError,
)
from prompts.tokens import approx_token_count
from prompts.types import CountTokens, Passage, PromptSet
from prompts.upload_bytes import DEFAULT_MAX_BYTES, decode_upload
from prompts.upload_formats import Record, jsonl_records, txt_records

DEFAULT_MIN_TOKENS = 16
"""Shortest uploaded passage kept: neighbour-based ID estimates need a few dozen points."""

_READERS = {".txt": txt_records, ".jsonl": jsonl_records}


def upload_set_name(name: str) -> str:
    """Returns the prompt-set name for an uploaded file: its stem, with odd characters as ``-``."""
    stem = PurePath(name).stem or "upload"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "upload"


def _describe_skips(skipped: dict[str, int], min_tokens: int) -> str:
    parts = []
    if skipped.get("empty"):
        parts.append(f"{skipped['empty']} empty")
    if skipped.get("too_short"):
        parts.append(f"{skipped['too_short']} shorter than {min_tokens} tokens")
    return ", ".join(parts)


def _check_generated_ids(name: str, records: list[Record], set_name: str) -> None:
    given = {r.id: r.number for r in records if r.id is not None}
    for record in records:
        generated = f"{set_name}:{record.number}"
        if record.id is None and generated in given:
            raise InvalidIdError(
                f'{name} line {record.number} has no "id", and its automatic id {generated!r} is '
                f"the id given on line {given[generated]}; give line {record.number} an id.",
                line=record.number,
            )


def parse_prompt_file(
    name: str,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    count_tokens: CountTokens | None = None,
) -> PromptSet:
    """Read an uploaded prompt file.

    Args:
        name: the file's name; its extension (``.txt`` or ``.jsonl``, any case) picks the format
            and its stem names the set.
        data: the file's bytes.
        max_bytes: larger files are refused.
        min_tokens: passages with fewer tokens (by ``count_tokens``) are skipped and counted.
        count_tokens: the model's token counter; ``None`` uses ``approx_token_count``.

    Returns:
        A frozen ``PromptSet`` with the passages in file order. Ids: the JSONL ``id`` field when
        given, else ``"{set}:{n}"`` with n the line (.jsonl) or block (.txt) number; sources
        ``"upload:{name}:{where}"``. ``skipped`` maps ``"empty"``/``"too_short"`` to counts;
        ``target_tokens`` is ``None``.

    Raises:
        UnsupportedFormatError, FileTooLargeError, EmptyFileError, BinaryFileError,
        NotUtf8Error, InvalidJsonLineError, MissingTextFieldError, TextFieldTypeError,
        InvalidIdError, NoUsablePassagesError (every passage was skipped), InvalidParameterError.
    """
    suffix = PurePath(name).suffix.lower()
    if suffix not in _READERS:
        raise UnsupportedFormatError(
            f"{name!r} has the extension {suffix or '(none)'!r}; upload a .txt file (passages "
            'separated by blank lines) or a .jsonl file (one {"text": ...} object per line).'
        )
    if isinstance(min_tokens, bool) or not isinstance(min_tokens, int) or min_tokens < 0:
        raise InvalidParameterError(f"min_tokens must be an int >= 0, got {min_tokens!r}.")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise InvalidParameterError(f"max_bytes must be an int >= 1, got {max_bytes!r}.")
    count = count_tokens or approx_token_count
    records = _READERS[suffix](decode_upload(name, data, max_bytes=max_bytes), name=name)
    set_name = upload_set_name(name)
    skipped: Counter[str] = Counter()
    passages = []
    for record in records:
        if not record.text.strip():
            skipped["empty"] += 1
        elif checked_count(count, record.text) < min_tokens:
            skipped["too_short"] += 1
        else:
            ident = record.id if record.id is not None else f"{set_name}:{record.number}"
            passages.append(Passage(ident, record.text, f"upload:{name}:{record.where}"))
    _check_generated_ids(name, records, set_name)
    if not passages:
        raise NoUsablePassagesError(
            f"{name} has no usable passage: all {sum(skipped.values())} were skipped "
            f"({_describe_skips(skipped, min_tokens)}); give each passage at least {min_tokens} "
            "tokens (in .txt files, lines without a blank line between them form one passage).",
            skipped=dict(skipped),
        )
    return PromptSet(set_name, tuple(passages), dict(sorted(skipped.items())), None)


def read_prompt_file(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    count_tokens: CountTokens | None = None,
) -> PromptSet:
    """``parse_prompt_file`` for a file on disk (the CLI's ``--prompts path.jsonl``).

    The size is checked before the file is read.

    Returns:
        The same ``PromptSet`` that uploading the file would give.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLargeError(
            f"{path.name} is {size:,} bytes, over the limit of {max_bytes:,} bytes; split it into "
            "smaller files or pass a larger max_bytes."
        )
    return parse_prompt_file(
        path.name, path.read_bytes(), max_bytes=max_bytes, min_tokens=min_tokens,
        count_tokens=count_tokens,
    )
