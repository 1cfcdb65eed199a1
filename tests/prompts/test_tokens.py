"""The default token-count approximation."""

from prompts.tokens import approx_token_count


def test_counts_words_punctuation_numbers_and_newlines():
    assert approx_token_count("") == 0
    assert approx_token_count("   \t ") == 0
    assert approx_token_count("Hello, world!") == 4
    assert approx_token_count("a\nb") == 3
    assert approx_token_count("internationalization") == 1 + 19 // 8  # 20 letters -> 3 pieces
    assert approx_token_count("1234567") == 3  # digits in groups of three


def test_is_close_to_one_token_per_short_english_word():
    text = "The quick brown fox jumps over the lazy dog and runs far away from the farm. " * 20
    words = len(text.split())
    assert words <= approx_token_count(text) <= 1.3 * words


def test_is_additive_over_whitespace_separated_pieces():
    a, b = "def f(x):\n    return x + 1", "The end of it all."
    assert approx_token_count(a + " " + b) == approx_token_count(a) + approx_token_count(b)
