"""The text each token of a sequence covers, readable even when a token holds part of a character.

Byte-level tokenizers (GPT-2, Llama 3, SmolLM2) and SentencePiece's byte fallback (Gemma) split a
rare character (CJK, emoji) into tokens of one or a few UTF-8 bytes. Decoded on its own such a
token is "�", so a painted prompt showed rows of "�". Here each token is shown as:

* its own decoded text when that text is whole characters (almost every token);
* otherwise, within the run of such partial tokens, the characters that lie wholly inside the
  token, and for a character it holds only part of, ``⟨char b1 b2⟩``: the character and the
  token's bytes of it in hex (e.g. SmolLM2 splits 日 = e6 97 a5 into ``⟨日 e6 97⟩`` and
  ``⟨日 a5⟩``); bytes that are no valid UTF-8 in this order (a shuffled prompt) show as ``⟨b1⟩``.

The bytes of a partial token come from its vocabulary piece: ``<0xNN>`` (byte fallback) or the
GPT-2 byte-to-unicode alphabet (byte-level BPE).
"""

from __future__ import annotations

import re
from functools import lru_cache

_REPLACEMENT = "\ufffd"
_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """GPT-2's reversible map from the 256 byte values to printable characters, inverted."""
    values = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    characters = values[:]
    extra = 0
    for byte in range(256):
        if byte not in values:
            values.append(byte)
            characters.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(values, characters)}


def piece_bytes(piece: str) -> bytes | None:
    """The bytes a vocabulary piece stands for when it is a byte token, else None."""
    match = _BYTE_PIECE.fullmatch(piece)
    if match:
        return bytes([int(match.group(1), 16)])
    decoder = _byte_decoder()
    if piece and all(character in decoder for character in piece):
        return bytes(decoder[character] for character in piece)
    return None


def _characters(data: bytes) -> list[tuple[int, int, str | None]]:
    """(start, stop, character) of each UTF-8 character of ``data``; invalid bytes alone, as None."""
    spans, start = [], 0
    while start < len(data):
        lead = data[start]
        length = 1 if lead < 0x80 else 2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4 if lead >> 3 == 0b11110 else 0
        try:
            character = data[start : start + length].decode("utf-8") if length else None
        except UnicodeDecodeError:
            character = None
        if character is None:
            spans.append((start, start + 1, None))
            start += 1
        else:
            spans.append((start, start + length, character))
            start += length
    return spans


def _run_texts(chunks: list[bytes]) -> list[str]:
    """Display text of each token of a run of partial tokens with these bytes."""
    data = b"".join(chunks)
    bounds, position = [], 0
    for chunk in chunks:
        bounds.append((position, position + len(chunk)))
        position += len(chunk)
    spans = _characters(data)
    texts = []
    for start, stop in bounds:
        parts, invalid = [], []
        for first, last, character in spans:
            if last <= start or first >= stop:
                continue
            if character is None:
                invalid.append(f"{data[first]:02x}")
                continue
            if invalid:
                parts.append(f"⟨{' '.join(invalid)}⟩")
                invalid = []
            if start <= first and last <= stop:
                parts.append(character)
            else:
                hexes = " ".join(f"{byte:02x}" for byte in data[max(first, start) : min(last, stop)])
                parts.append(f"⟨{character} {hexes}⟩")
        if invalid:
            parts.append(f"⟨{' '.join(invalid)}⟩")
        texts.append("".join(parts))
    return texts


def covered_texts(decoded: list[str], pieces: list[str]) -> tuple[str, ...]:
    """Display text of each token of a sequence, from each token decoded alone and its piece."""
    texts = list(decoded)
    run: list[int] = []
    chunks: list[bytes] = []

    def flush() -> None:
        for index, text in zip(run, _run_texts(chunks)):
            texts[index] = text
        run.clear()
        chunks.clear()

    for index, (text, piece) in enumerate(zip(decoded, pieces)):
        raw = piece_bytes(piece) if _REPLACEMENT in text and _REPLACEMENT not in piece else None
        if raw is None:
            flush()
        else:
            run.append(index)
            chunks.append(raw)
    flush()
    return tuple(texts)
