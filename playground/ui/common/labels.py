"""How outputs read on the page: ARPAbet with its IPA (``K ER N AH L  /kɚnəl/``), spellings as words."""

from __future__ import annotations

from playground.models.vocab import SPECIALS
from playground.ui.common.ipa import ARPABET_TO_IPA, to_ipa


def is_arpabet(symbols) -> bool:
    """True if the content symbols look like ARPAbet phonemes (then outputs get an IPA rendering)."""
    content = [s for s in symbols if s not in SPECIALS]
    return bool(content) and all(s.rstrip("012") in ARPABET_TO_IPA for s in content)


def readable(tokens, arpabet: bool, max_chars: int = 48) -> str:
    """'K ER N AH L  /kɚnəl/' for phonemes, 'colonel' for spellings; long outputs are cut with '…'."""
    if not tokens:
        return "(empty)"
    if not arpabet:
        text = "".join(tokens)
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
