"""ARPAbet -> IPA rendering next to every phoneme output."""

from __future__ import annotations

import pytest

from playground.ui.common.ipa import ARPABET_TO_IPA, to_ipa
from playground.ui.common.labels import is_arpabet, readable


def test_table_covers_cmudicts_39_phonemes():
    assert len(ARPABET_TO_IPA) == 39 and all(ARPABET_TO_IPA.values())


@pytest.mark.parametrize("arpabet, ipa", [
    ("K ER N AH L", "kɚnəl"),  # stress-free (the shipped models): AH -> schwa, ER -> r-coloured schwa
    ("Y AA T", "jɑt"),
    ("N AY T", "naɪt"),
    ("SH AH F AH L", "ʃəfəl"),
    ("TH IH NG K", "θɪŋk"),
    ("CH EH JH", "tʃɛdʒ"),
    ("K ER1 N AH0 L", "ˈkɝnəl"),  # with stress digits: stressed readings and a stress mark
    ("AH0 B R EY1 K", "əˈbɹeɪk"),  # the mark goes before the whole onset "br"
    ("S IH1 NG ER0", "ˈsɪŋɚ"),  # NG never starts a syllable
    ("IH0 K S T R AO1 R D AH0 N EH2 R IY0", "ɪkˈstɹɔɹdəˌnɛɹi"),
    ("K AE1 T", "kæt"),  # one syllable: no mark
])
def test_to_ipa(arpabet, ipa):
    assert to_ipa(arpabet.split()) == ipa


def test_unknown_symbols_are_kept_visibly():
    assert to_ipa(["K", "XX"]) == "k⟨XX⟩"


def test_readable_outputs():
    assert readable(["K", "ER", "N", "AH", "L"], arpabet=True) == "K ER N AH L  /kɚnəl/"
    assert readable(list("colonel"), arpabet=False) == "colonel"
    assert readable(["K", "<s>"], arpabet=True) == "K <s>"  # no IPA for special tokens
    assert readable([], arpabet=True) == "(empty)"
    assert readable(list("a" * 80), arpabet=False).endswith("…")
    assert is_arpabet(["<s>", "K", "AE1"]) and not is_arpabet(list("cat"))


def test_a_tokenizers_pieces_read_as_text_and_word_tokens_with_spaces():
    from playground.ui.common.labels import readable

    assert readable(["▁The", "▁ho", "use", "."], False) == "The house."  # SentencePiece's word starts
    assert readable(["the", "cat", "sat"], False) == "the cat sat"  # a word-level tokenizer
    assert readable(list("colonel"), False) == "colonel"  # a spelling
