"""User prompt files: parsing, skip counts, and one named error per bad upload."""

import json
import pickle

import pytest

from prompts import (
    DEFAULT_MIN_TOKENS,
    BinaryFileError,
    EmptyFileError,
    FileTooLargeError,
    InvalidIdError,
    InvalidJsonLineError,
    MissingTextFieldError,
    NotUtf8Error,
    NoUsablePassagesError,
    TextFieldTypeError,
    UnsupportedFormatError,
    parse_prompt_file,
    read_prompt_file,
)

LONG = "The committee met on Tuesday to discuss the budget for the coming year and agreed on most points."
LONG2 = "Rivers carry sediment from the mountains to the sea, building deltas over thousands of years."


def jsonl(*objects):
    return "\n".join(json.dumps(o) for o in objects).encode("utf-8")


def test_txt_blocks_separated_by_blank_lines_become_passages():
    data = f"{LONG}\nsecond line of the first block\n\n\n  \n{LONG2}\r\n\r\nshort\n".encode()
    result = parse_prompt_file("My Notes.txt", data)
    assert result.name == "My-Notes"
    assert [p.text for p in result.passages] == [f"{LONG}\nsecond line of the first block", LONG2]
    assert [p.id for p in result.passages] == ["My-Notes:1", "My-Notes:2"]
    assert result.passages[1].source == "upload:My Notes.txt:block 2, line 6"
    assert result.skipped == {"too_short": 1}
    assert result.target_tokens is None


def test_jsonl_uses_text_and_optional_id_and_counts_skips():
    data = jsonl(
        {"text": LONG, "id": "a"},
        {"text": LONG2, "label": "ignored"},
        {"text": ""},
        {"text": "   \n "},
        {"text": "too short"},
        {"text": LONG + " again", "id": 7},
    ) + b"\n\n"
    result = parse_prompt_file("set.JSONL", data)
    assert [p.id for p in result.passages] == ["a", "set:2", "7"]
    assert result.passages[1].source == "upload:set.JSONL:line 2"
    assert result.skipped == {"empty": 2, "too_short": 1}


def test_parsing_is_deterministic_and_ids_unique():
    data = jsonl(*({"text": f"{LONG} Number {i}."} for i in range(50)))
    a, b = parse_prompt_file("x.jsonl", data), parse_prompt_file("x.jsonl", data)
    assert a == b and len({p.id for p in a.passages}) == 50


def test_min_tokens_and_counter_decide_what_is_too_short():
    data = jsonl({"text": "one two three"}, {"text": "one two three four five six"})
    result = parse_prompt_file("x.jsonl", data, min_tokens=5, count_tokens=lambda s: len(s.split()))
    assert [p.text for p in result.passages] == ["one two three four five six"]
    assert result.skipped == {"too_short": 1}


def test_utf8_bom_is_dropped():
    result = parse_prompt_file("x.txt", b"\xef\xbb\xbf" + LONG.encode())
    assert result.passages[0].text == LONG


def test_unknown_extension():
    with pytest.raises(UnsupportedFormatError, match=r"'\.csv'.*upload a \.txt file.*\.jsonl"):
        parse_prompt_file("data.csv", b"text\nhello")
    with pytest.raises(UnsupportedFormatError, match=r"\(none\)"):
        parse_prompt_file("README", LONG.encode())


def test_file_over_the_size_limit():
    with pytest.raises(FileTooLargeError, match=r"x\.txt is 2,001 bytes, over the limit of 2,000"):
        parse_prompt_file("x.txt", b"a" * 2001, max_bytes=2000)


@pytest.mark.parametrize("data", [b"", b"  \n\n\t ", b"\xef\xbb\xbf\n"])
def test_empty_file(data):
    with pytest.raises(EmptyFileError, match=r"x\.jsonl is empty"):
        parse_prompt_file("x.jsonl", data)


def test_not_utf8_names_the_byte_offset_and_line():
    data = f"{LONG}\n\n".encode() + "Café au lait".encode("latin-1")
    offset = len(LONG) + 2 + len("Caf")
    with pytest.raises(NotUtf8Error, match=rf"byte 0xe9 at byte offset {offset} \(line 3\).*UTF-8") as info:
        parse_prompt_file("x.txt", data)
    assert info.value.offset == offset


def test_utf16_is_reported_as_not_utf8():
    with pytest.raises(NotUtf8Error, match="UTF-16") as info:
        parse_prompt_file("x.txt", LONG.encode("utf-16"))
    assert info.value.offset == 0


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"),
        (b"abc\x00def" * 10, "NUL bytes"),
        (bytes(range(1, 9)) * 20, "control bytes"),
    ],
)
def test_binary_content(data, what):
    with pytest.raises(BinaryFileError, match=what):
        parse_prompt_file("x.txt", data)


class _Trap:
    def __reduce__(self):
        return (exec, ("raise SystemExit('unpickled!')",))


def test_a_pickle_is_refused_as_binary_and_never_loaded():
    with pytest.raises(BinaryFileError, match="pickle"):
        parse_prompt_file("x.jsonl", pickle.dumps(_Trap()))


def test_jsonl_line_that_is_not_json_names_the_line():
    data = jsonl({"text": LONG}) + b"\n\n{'text': 'single quotes'}\n"
    with pytest.raises(InvalidJsonLineError, match=r"x\.jsonl line 3 is not valid JSON") as info:
        parse_prompt_file("x.jsonl", data)
    assert info.value.line == 3


def test_jsonl_line_that_is_not_an_object():
    with pytest.raises(InvalidJsonLineError, match=r"line 2 is a JSON array, not an object"):
        parse_prompt_file("x.jsonl", jsonl({"text": LONG}, [LONG]))


def test_missing_text_field_names_the_line_and_the_fields_present():
    with pytest.raises(MissingTextFieldError, match=r"line 2 has no \"text\" field \(its fields: 'prompt'\)") as info:
        parse_prompt_file("x.jsonl", jsonl({"text": LONG}, {"prompt": LONG2}))
    assert info.value.line == 2


@pytest.mark.parametrize(("value", "kind"), [(42, "number"), (None, "null"), (["a"], "array"), (True, "boolean")])
def test_non_string_text(value, kind):
    with pytest.raises(TextFieldTypeError, match=rf'line 1: "text" is a {kind} .*not a string') as info:
        parse_prompt_file("x.jsonl", jsonl({"text": value}))
    assert info.value.line == 1


def test_bad_and_duplicate_ids():
    with pytest.raises(InvalidIdError, match=r'line 1: "id" must be a non-empty string or an integer'):
        parse_prompt_file("x.jsonl", jsonl({"text": LONG, "id": [1]}))
    with pytest.raises(InvalidIdError, match=r"line 3: \"id\" 'a' was already used on line 1") as info:
        parse_prompt_file("x.jsonl", jsonl({"text": LONG, "id": "a"}, {"text": LONG2}, {"text": LONG2, "id": "a"}))
    assert info.value.line == 3


def test_a_given_id_that_equals_an_automatic_id_is_refused():
    with pytest.raises(InvalidIdError, match=r"line 2 has no \"id\", and its automatic id 'x:2'"):
        parse_prompt_file("x.jsonl", jsonl({"text": LONG, "id": "x:2"}, {"text": LONG2}))


def test_all_passages_skipped_is_an_error_that_carries_the_counts():
    data = jsonl({"text": ""}, {"text": "hi"}, {"text": "hello there"})
    with pytest.raises(NoUsablePassagesError, match=rf"all 3 were skipped \(1 empty, 2 shorter than {DEFAULT_MIN_TOKENS} tokens\)") as info:
        parse_prompt_file("x.jsonl", data)
    assert info.value.skipped == {"empty": 1, "too_short": 2}


def test_read_prompt_file_checks_the_size_before_reading(tmp_path):
    path = tmp_path / "prompts.txt"
    path.write_text(f"{LONG}\n\n{LONG2}\n", encoding="utf-8")
    assert len(read_prompt_file(path)) == 2
    with pytest.raises(FileTooLargeError, match="prompts.txt"):
        read_prompt_file(path, max_bytes=10)
