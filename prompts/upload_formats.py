"""Split an upload's text into raw records: blank-line blocks (.txt) or JSON lines (.jsonl).

A record is ``(id or None, text, number, where)``: ``number`` is the 1-based line (.jsonl) or
block (.txt) number, ``where`` the position in words for people ("line 7", "block 3, line 12").
Only the structure is checked here; empty and short texts are the caller's business (they are
skipped and counted, not errors).
"""

from __future__ import annotations

import json
import sys
import re
from typing import NamedTuple

from prompts.errors import (
    InvalidIdError,
    InvalidJsonLineError,
    MissingTextFieldError,
    TextFieldTypeError,
)

_BLOCK_SEPARATOR = re.compile(r"\n[ \t]*\n\s*")


class Record(NamedTuple):
    """One candidate passage of an upload."""

    id: str | None
    text: str
    number: int
    where: str


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def txt_records(text: str, *, name: str = "the file") -> list[Record]:
    """Split text on blank lines.

    Returns:
        One ``Record`` per non-empty block, ``id`` None, text stripped, ``where`` naming the
        block's number and first line.
    """
    records: list[Record] = []
    pos, line = 0, 1  # line = the line number at text[pos]
    for match in [*_BLOCK_SEPARATOR.finditer(text), None]:
        end = match.start() if match else len(text)
        block = text[pos:end]
        if block.strip():
            lead = block[: len(block) - len(block.lstrip())]
            first_line = line + lead.count("\n")
            number = len(records) + 1
            records.append(Record(None, block.strip(), number, f"block {number}, line {first_line}"))
        if match:
            line += text[pos : match.end()].count("\n")
            pos = match.end()
    return records


def _record_id(obj: dict, line: int, seen: dict[str, int], name: str) -> str | None:
    if "id" not in obj:
        return None
    raw = obj["id"]
    if isinstance(raw, bool) or not isinstance(raw, (str, int)) or raw == "":
        raise InvalidIdError(
            f'{name} line {line}: "id" must be a non-empty string or an integer, got '
            f"{_json_type(raw)} {json.dumps(raw)[:40]}; fix it or drop the field to number lines.",
            line=line,
        )
    ident = str(raw)
    if ident in seen:
        raise InvalidIdError(
            f'{name} line {line}: "id" {ident!r} was already used on line {seen[ident]}; ids must be '
            "unique within a file.",
            line=line,
        )
    seen[ident] = line
    return ident


def _no_lone_surrogates(value: str, *, what: str, line: int, name: str) -> None:
    """JSON may spell a lone UTF-16 surrogate (``\\ud800``) that is no character: such text cannot
    be encoded as UTF-8 (nor hashed, stored or shown), so the line is refused."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = value[err.start]
        raise InvalidJsonLineError(
            f"{name} line {line}: {what} contains the escape \\u{ord(bad):04x} at character {err.start + 1}, an "
            "unpaired UTF-16 surrogate that is not a character; remove it, or write the character itself "
            "(a surrogate pair such as \\ud83d\\ude00 is fine).",
            line=line,
        ) from None


def jsonl_records(text: str, *, name: str = "the file") -> list[Record]:
    """Parse JSON Lines: one object per non-blank line with a string ``text`` and optional ``id``.

    Returns:
        One ``Record`` per non-blank line, ``where`` = ``"line N"``; other fields are ignored.

    Raises:
        InvalidJsonLineError, MissingTextFieldError, TextFieldTypeError, InvalidIdError, each
        with ``line`` (1-based).
    """
    records: list[Record] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as err:
            raise InvalidJsonLineError(
                f"{name} line {line} is not valid JSON ({err.msg} at column {err.colno}): "
                f"{raw[:60]!r}; each line must be one JSON object such as "
                '{"text": "...", "id": "optional"}.',
                line=line,
            ) from None
        except RecursionError:  # Python's parser recurses once per nested [ or {
            raise InvalidJsonLineError(
                f"{name} line {line} nests arrays or objects too deeply to read (more than Python's "
                f"recursion limit of {sys.getrecursionlimit()} levels); keep each line a flat object such as "
                '{"text": "...", "id": "optional"}.',
                line=line,
            ) from None
        if not isinstance(obj, dict):
            raise InvalidJsonLineError(
                f"{name} line {line} is a JSON {_json_type(obj)}, not an object; write each passage as "
                '{"text": "..."}.',
                line=line,
            )
        if "text" not in obj:
            fields = ", ".join(repr(k) for k in list(obj)[:8]) or "none"
            raise MissingTextFieldError(
                f'{name} line {line} has no "text" field (its fields: {fields}); put each passage in a '
                'field named "text".',
                line=line,
            )
        if not isinstance(obj["text"], str):
            raise TextFieldTypeError(
                f'{name} line {line}: "text" is a {_json_type(obj["text"])} '
                f'({json.dumps(obj["text"])[:40]}), not a string; quote it or fix the line.',
                line=line,
            )
        _no_lone_surrogates(obj["text"], what='"text"', line=line, name=name)
        record_id = _record_id(obj, line, seen, name)
        if record_id is not None:
            _no_lone_surrogates(record_id, what='"id"', line=line, name=name)
        records.append(Record(record_id, obj["text"], line, f"line {line}"))
    return records
