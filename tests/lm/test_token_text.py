"""Issue 13, item 3: tokens that hold part of a character show it, never "�"."""

from lm import load_model, resolve_model
from lm.extract import token_strings, tokenize
from lm.token_text import _byte_decoder, covered_texts, piece_bytes


def _byte_level(data: bytes) -> str:
    encoder = {b: c for c, b in _byte_decoder().items()}
    return "".join(encoder[b] for b in data)


def test_byte_level_pieces_split_inside_a_character():
    # 日 = e6 97 a5 split as (e6 97)(a5), as SmolLM2 does; then a whole token " cat".
    pieces = [_byte_level(b"\xe6\x97"), _byte_level(b"\xa5"), _byte_level(b" cat")]
    assert covered_texts(["\ufffd", "\ufffd", " cat"], pieces) == ("⟨日 e6 97⟩", "⟨日 a5⟩", " cat")


def test_whole_characters_inside_a_partial_token_are_shown_as_text():
    # 本 whole (e6 9c ac) followed by the first byte of 語 (e8): one token.
    pieces = [_byte_level(b"\xe6\x9c\xac\xe8"), _byte_level(b"\xaa\x9e")]
    assert covered_texts(["本\ufffd", "\ufffd"], pieces) == ("本⟨語 e8⟩", "⟨語 aa 9e⟩")


def test_byte_fallback_pieces_and_invalid_orders():
    assert piece_bytes("<0xF0>") == b"\xf0" and piece_bytes("▁word") is None
    emoji = ["<0xF0>", "<0x9F>", "<0x99>", "<0x82>"]  # 🙂
    assert covered_texts(["\ufffd"] * 4, emoji) == tuple(f"⟨🙂 {p[3:5].lower()}⟩" for p in emoji)
    assert covered_texts(["\ufffd"] * 2, ["<0x9F>", "<0xF0>"]) == ("⟨9f⟩", "⟨f0⟩")  # shuffled bytes


def test_clean_tokens_and_special_tokens_are_unchanged():
    assert covered_texts(["<s>", " the", "\ufffd"], ["<s>", "Ġthe", "ï¿½"]) == ("<s>", " the", "\ufffd")


def test_a_real_tokenizer_shows_cjk_and_emoji(tiny_model_dir):
    loaded = load_model(resolve_model(str(tiny_model_dir)))
    text = "日本 🙂 fox"
    tokens = token_strings(loaded, tokenize(loaded, text))
    assert not any("\ufffd" in token for token in tokens)
    assert len(tokens) > 4  # the tiny tokenizer splits each character into bytes
    assert all(character in "".join(tokens) for character in "日本🙂")
