"""How outputs read on the page: ARPAbet with its IPA (``K ER N AH L  /kɚnəl/``), spellings as words, a
tokenizer's pieces as the text they spell."""

from __future__ import annotations

from playground.models.vocab import SPECIALS
from playground.ui.common.ipa import ARPABET_TO_IPA, to_ipa


def is_arpabet(symbols) -> bool:
    """True if the content symbols look like ARPAbet phonemes (then outputs get an IPA rendering)."""
    content = [s for s in symbols if s not in SPECIALS]
    return bool(content) and all(s.rstrip("012") in ARPABET_TO_IPA for s in content)


WORD_START = "▁"  # SentencePiece's word-start mark (hf_vocab.py shows byte-level BPE's the same way)


def readable(tokens, arpabet: bool, max_chars: int = 48) -> str:
    """'K ER N AH L  /kɚnəl/' for phonemes, 'colonel' for spellings, 'The house' for a tokenizer's pieces
    ('▁The', '▁house'), words joined by spaces; long outputs are cut with '…'."""
    if not tokens:
        return "(empty)"
    if not arpabet:
        if any(WORD_START in t for t in tokens):
            text = "".join(tokens).replace(WORD_START, " ").strip()
        else:
            text = "".join(tokens) if all(len(t) == 1 for t in tokens) else " ".join(tokens)
    elif is_arpabet(tokens) and not any(t in SPECIALS for t in tokens):
        text = f"{' '.join(tokens)}  /{to_ipa(tokens)}/"
    else:  # an untrained model can emit <s> or <pad> mid-sequence: no IPA for that
        text = " ".join(tokens)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def unique_labels(labels: list[str]) -> list[str]:
    """Make repeated labels distinct with zero-width spaces (invisible), e.g. the two o's of "colonel":
    plotly merges equal categories into one column, and numeric axes would lose the symbol on hover."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        out.append(label + "\u200b" * seen.get(label, 0))
        seen[label] = seen.get(label, 0) + 1
    return out
