"""The Moses + BPE converter's pieces that need no reference: alignment and BPE by rank."""

from __future__ import annotations

import pytest

from tfx_core.tokenization.converters.moses_bpe import align, replace_unicode_punct


def test_align_exact_words_ignoring_case_accents_and_spaces():
    text = "Über  Bäcker,\tCAFÉ!"
    words = ["uber", "backer", ",", "cafe", "!"]
    assert align(text, words) == [(0, 4), (6, 12), (12, 13), (14, 18), (18, 19)]


def test_align_rewritten_and_moved_characters_stay_in_the_text():
    text = "«away»... it’s ＡＢＣ"
    words = ['"', "away", "...", '"', "it", "'s", "abc"]
    spans = align(text, words)
    assert spans[1] == (1, 5)  # the word itself is exact
    assert spans[-1] == (15, 18)  # full-width letters fold to ASCII
    assert all(0 <= start <= end <= len(text) for start, end in spans)
    assert [start for start, _ in spans] == sorted(start for start, _ in spans)


def test_align_long_texts_word_by_word():
    sentence = "L'école « coûte » 12,50 € -- n'est-ce pas ? "
    text = sentence * 400
    words = ["l", "'ecole", '"', "coute", '"', "12,50", "€", "--", "n", "'est-ce", "pas", "?"] * 400
    spans = align(text, words)
    step = len(sentence)
    assert spans[12] == (spans[0][0] + step, spans[0][1] + step)
    assert spans[-1] == (len(text) - 2, len(text) - 1)


@pytest.mark.parametrize(
    ("text", "expected"), [("，。 x", ",. x"), ("１２３％", "123%"), ("…’", "...'")]
)
def test_unicode_punctuation(text, expected):
    assert replace_unicode_punct(text) == expected
