"""Curated examples: every one readable by the shipped vocabularies, filtered for any other."""

from __future__ import annotations

from helpers import CHARS, PHONES

from playground.models.vocab import SPECIALS, Vocab
from playground.ui.common.examples import G2P, P2G, default_input, examples_for
from playground.ui.common.ipa import ARPABET_TO_IPA

ARPABET = Vocab(symbols=SPECIALS + tuple(sorted(ARPABET_TO_IPA)), kind="words", lowercase=False)


def test_categories_the_issue_asks_for():
    words = dict(G2P)
    for w in ("read", "lead", "live"):
        assert words[w] == "heteronym"
    for w in ("colonel", "yacht", "worcester"):
        assert words[w] == "irregular"
    assert words["quinoa"] == words["gnocchi"] == "loanword"
    assert {"name", "invented"} <= set(words.values())


def test_every_example_fits_the_shipped_vocabularies():
    assert examples_for("g2p", CHARS) == list(G2P)
    assert examples_for("p2g", ARPABET) == list(P2G)


def test_examples_a_model_cannot_read_are_dropped():
    kept = examples_for("p2g", PHONES)  # a tiny phoneme set: only examples inside it survive
    for text, _ in kept:
        PHONES.tokenize(text)
    assert len(kept) < len(P2G)


def test_default_input_is_always_valid():
    assert default_input("g2p", CHARS) == "colonel"
    assert default_input("p2g", ARPABET) == "K ER N AH L"
    tiny = Vocab(symbols=SPECIALS + ("Q", "X"), kind="words", lowercase=False)
    tiny.tokenize(default_input("p2g", tiny))  # no example fits: fall back to the vocabulary's own symbols


class AnyText:
    """A vocabulary that reads any text (a real tokenizer's behaviour on plain English)."""
    content_symbols = ("▁a",)

    def tokenize(self, text: str) -> list[str]:
        return text.split()


def test_a_hugging_face_model_gets_examples_of_its_kind():
    from playground.ui.common.examples import SUMMARISE, T5, TRANSLATE

    assert examples_for("hf", AnyText(), "marian") == list(TRANSLATE)
    assert examples_for("hf", AnyText(), "t5") == list(T5)  # T5 names its task in the input
    assert all(text.split(":")[0] in ("translate English to German", "translate English to French", "summarize")
               for text, _ in T5)
    assert examples_for("hf", AnyText(), "pegasus") == list(SUMMARISE)
    assert default_input("hf", AnyText(), "m2m_100") == TRANSLATE[0][0]


def test_the_target_language_picker_shows_only_for_a_multilingual_model():
    from types import SimpleNamespace

    from helpers import tiny_model

    from playground.ui.common.controls import language_props

    assert language_props(tiny_model()) == {"choices": [("chosen by the model", "")], "visible": False}
    multilingual = SimpleNamespace(target_languages=[("de_DE", "de_DE"), ("fr_XX", "fr_XX")])
    props = language_props(multilingual)
    assert props["visible"] and [value for _, value in props["choices"]] == ["", "de_DE", "fr_XX"]
