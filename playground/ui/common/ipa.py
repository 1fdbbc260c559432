"""ARPAbet -> IPA, so a reader who knows IPA (or neither) can check a pronunciation at a glance.

The shipped models use CMUdict's 39 phonemes with stress digits removed. Without stress, AH and ER
are ambiguous (AH1 = /ʌ/ "but", AH0 = /ə/ "about"); we pick the unstressed reading, which is the
more frequent one in CMUdict. If stress digits are present (AH1, ER0 ...) they are honoured and a
stress mark is placed before the syllable onset.
"""

from __future__ import annotations

import re
from types import MappingProxyType

# General American values, after the CMUdict documentation and Wikipedia's "ARPABET" table.
ARPABET_TO_IPA = MappingProxyType({
    "AA": "ɑ", "AE": "æ", "AH": "ə", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "EH": "ɛ", "ER": "ɚ",
    "EY": "eɪ", "IH": "ɪ", "IY": "i", "OW": "oʊ", "OY": "ɔɪ", "UH": "ʊ", "UW": "u",
    "B": "b", "CH": "tʃ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "dʒ", "K": "k",
    "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t",
    "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
})
STRESSED = MappingProxyType({"AH": "ʌ", "ER": "ɝ"})  # the stressed readings of the two ambiguous vowels
VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})
STRESS_MARK = MappingProxyType({"1": "ˈ", "2": "ˌ"})
# Two-consonant English onsets; a stress mark moves back over at most this much of a cluster
# (maximal onset principle), e.g. "AH0 B R EY1 K" -> əˈbɹeɪk, not əbˈɹeɪk.
ONSETS2 = frozenset({
    ("P", "R"), ("P", "L"), ("B", "R"), ("B", "L"), ("T", "R"), ("D", "R"), ("K", "R"), ("K", "L"),
    ("G", "R"), ("G", "L"), ("F", "R"), ("F", "L"), ("TH", "R"), ("SH", "R"), ("S", "P"), ("S", "T"),
    ("S", "K"), ("S", "M"), ("S", "N"), ("S", "L"), ("S", "W"), ("K", "W"), ("T", "W"), ("D", "W"),
    ("G", "W"), ("P", "Y"), ("B", "Y"), ("K", "Y"), ("F", "Y"), ("M", "Y"), ("HH", "Y"), ("V", "Y"),
})
_SYMBOL = re.compile(r"^([A-Z]+)([012]?)$")


def _onset_start(bases: list[str], vowel: int) -> int:
    """Index where the syllable of the vowel at ``vowel`` begins (its onset consonants included)."""
    start = vowel
    while start > 0 and bases[start - 1] not in VOWELS:
        cluster = tuple(bases[start - 1:vowel])
        legal = (len(cluster) == 1 and cluster[0] != "NG"  # NG never begins an English syllable
                 or len(cluster) == 2 and cluster in ONSETS2
                 or len(cluster) == 3 and cluster[0] == "S" and cluster[1:] in ONSETS2)  # str, spl, skw
        if not legal:
            break
        start -= 1
    # consonants before the first vowel all belong to the first syllable
    return start if any(b in VOWELS for b in bases[:start]) else 0


def to_ipa(symbols) -> str:
    """IPA for a sequence of ARPAbet symbols; unknown symbols are kept as they are, in angle brackets."""
    parsed = [_SYMBOL.match(s) for s in symbols]
    bases = [m.group(1) if m else s for m, s in zip(parsed, symbols, strict=True)]
    stresses = [m.group(2) if m else "" for m in parsed]
    marks: dict[int, str] = {}
    n_vowels = sum(b in VOWELS for b in bases)
    for i, (base, stress) in enumerate(zip(bases, stresses, strict=True)):
        if base in VOWELS and stress in STRESS_MARK and n_vowels > 1:  # monosyllables carry no mark
            marks[_onset_start(bases, i)] = STRESS_MARK[stress]
    out = []
    for i, (base, stress, symbol) in enumerate(zip(bases, stresses, symbols, strict=True)):
        out.append(marks.get(i, ""))
        if base in STRESSED and stress in ("1", "2"):
            out.append(STRESSED[base])
        else:
            out.append(ARPABET_TO_IPA.get(base, f"⟨{symbol}⟩"))
    return "".join(out)
