"""Check an uploaded file's bytes and decode them: size, emptiness, binary content, UTF-8.

Nothing is ever unpickled or executed; the bytes are only inspected and decoded.
"""

from __future__ import annotations

from prompts.errors import BinaryFileError, EmptyFileError, FileTooLargeError, NotUtf8Error

DEFAULT_MAX_BYTES = 5 * 1024 * 1024

_MAGIC = (  # leading bytes of common non-text files people upload by mistake
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or .docx/.xlsx/.odt, which are ZIP files)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x80", "a Python pickle (never loaded here)"),
    (b"\x93NUMPY", "a NumPy array file"),
    (b"SQLite format 3", "an SQLite database"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROL_OK = frozenset(b"\t\n\r\f\v")


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    head = data[:8192]
    if b"\x00" in head:
        return "binary data (it contains NUL bytes)"
    controls = sum(1 for b in head if b < 32 and b not in _CONTROL_OK)
    if controls > 0.05 * len(head):
        return f"binary data ({controls} control bytes in the first {len(head)})"
    return None


def decode_upload(name: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Validate an upload's bytes and return its text.

    Checks, in order: size, emptiness, UTF-16 byte-order mark, binary content, UTF-8. A UTF-8
    byte-order mark is dropped; Windows and old Mac line endings become ``"\\n"``.

    Returns:
        The decoded text, with ``"\\n"`` line endings.

    Raises:
        FileTooLargeError, EmptyFileError, NotUtf8Error (``offset`` = first bad byte),
        BinaryFileError.
    """
    if len(data) > max_bytes:
        raise FileTooLargeError(
            f"{name} is {len(data):,} bytes, over the limit of {max_bytes:,} bytes; split it into "
            "smaller files or keep fewer passages."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise EmptyFileError(
            f"{name} is empty{' (only whitespace)' if data else ''}; put one passage per "
            'blank-line-separated block (.txt) or one {"text": ...} object per line (.jsonl).'
        )
    if data.startswith(_UTF16_BOMS):
        raise NotUtf8Error(
            f"{name} is UTF-16 text (byte-order mark at offset 0), not UTF-8; re-save it with "
            "UTF-8 encoding.",
            offset=0,
        )
    kind = _binary_kind(data)
    if kind is not None:
        raise BinaryFileError(
            f"{name} looks like {kind}, not text; upload a plain-text .txt or .jsonl file "
            "(export or copy the text out first)."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise NotUtf8Error(
            f"{name} is not valid UTF-8: byte 0x{data[err.start]:02x} at byte offset {err.start} "
            f"(line {line}) cannot be decoded; re-save the file with UTF-8 encoding "
            "(for example `iconv -f latin1 -t utf-8 in.txt > out.txt`).",
            offset=err.start,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
