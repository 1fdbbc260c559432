import pytest
from helpers import CHARS, PHONES

from playground.models.vocab import MAX_SOURCE_SYMBOLS, InputError, Vocab


def test_ids_round_trip():
    ids = CHARS.encode(list("cat's"))
    assert CHARS.decode(ids) == list("cat's")
    assert (CHARS.pad_id, CHARS.bos_id, CHARS.eos_id) == (0, 1, 2)


def test_dict_round_trip():
    assert Vocab.from_dict(PHONES.to_dict()) == PHONES
    assert Vocab.from_dict(PHONES.to_dict()).index == PHONES.index


def test_build_is_sorted_and_starts_with_specials():
    v = Vocab.build([["b", "a"], ["c"]], kind="chars", lowercase=True)
    assert v.symbols == ("<pad>", "<s>", "</s>", "a", "b", "c")


def test_tokenize_normalises_case_and_space():
    assert CHARS.tokenize("  Colonel ") == list("colonel")
    assert PHONES.tokenize(" k  ae t ") == ["K", "AE", "T"]
    assert PHONES.detokenize(["K", "AE", "T"]) == "K AE T" and CHARS.detokenize(list("cat")) == "cat"


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"), ("   ", "empty"), ("café", "'é'"), ("a1", "'1'"), ("<script>", "'<'"),
    ("ab\x00c", "control"), ("x" * (MAX_SOURCE_SYMBOLS + 1), "maximum"), ("naïve", "'ï'"),
])
def test_tokenize_rejects_with_a_clear_message(text, fragment):
    with pytest.raises(InputError, match=fragment):
        CHARS.tokenize(text)


def test_unknown_phoneme_named_and_specials_not_accepted_as_input():
    with pytest.raises(InputError, match="'XX'"):
        PHONES.tokenize("K XX T")
    with pytest.raises(InputError, match="'<s>'"):
        PHONES.encode(["<s>", "K"])


def test_invalid_vocabularies():
    with pytest.raises(ValueError, match="must start"):
        Vocab(symbols=("a", "b", "c"))
    with pytest.raises(ValueError, match="unique"):
        Vocab(symbols=("<pad>", "<s>", "</s>", "a", "a"))
