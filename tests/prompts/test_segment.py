"""Sentence and line boundaries: where passages may be cut."""

from prompts.segment import line_spans, sentence_spans


def _sentences(text):
    return [text[s:e] for s, e in sentence_spans(text)]


def test_sentences_split_on_terminal_punctuation_and_keep_quotes():
    text = 'It rained. Did it? "Yes!" she said. Then it stopped…  The end.'
    assert _sentences(text) == ["It rained.", "Did it?", '"Yes!" she said.', "Then it stopped…", "The end."]


def test_abbreviations_initials_and_lowercase_continuations_do_not_end_a_sentence():
    text = "Mr. Smith met Gen. Grant in the U.S. Capitol at 3 p.m. today. J. Doe came too, etc. and more. Done."
    assert _sentences(text) == [
        "Mr. Smith met Gen. Grant in the U.S. Capitol at 3 p.m. today.",
        "J. Doe came too, etc. and more.",
        "Done.",
    ]


def test_blank_line_ends_a_sentence_even_without_punctuation():
    text = "A Heading\n\nBody text here. More body\n\n\nTail"
    assert _sentences(text) == ["A Heading", "Body text here.", "More body", "Tail"]


def test_spans_are_trimmed_ordered_and_disjoint():
    text = "  One. Two!\n\n  Three?  "
    spans = sentence_spans(text)
    assert all(text[s:e] == text[s:e].strip() for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert sentence_spans("   \n\n ") == []


def test_line_spans_are_nonblank_lines_with_indentation():
    text = "def f():\n\n    return 1\n   \nx = 2"
    assert [text[s:e] for s, e in line_spans(text)] == ["def f():", "    return 1", "x = 2"]
