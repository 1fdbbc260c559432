"""Symbol vocabularies: the map between text, symbols and integer ids.

A `Vocab` knows how its side of a task is written:
  * ``kind="chars"``  -> a word is split into characters ("cat" -> c a t)   [G2P source, P2G target]
  * ``kind="words"``  -> symbols are separated by spaces ("K AE T")         [G2P target, P2G source]
It validates text before anything reaches a model, and names the symbols it does not know.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from types import MappingProxyType

PAD, BOS, EOS = "<pad>", "<s>", "</s>"
SPECIALS = (PAD, BOS, EOS)
MAX_SOURCE_SYMBOLS = 48  # longest input the playground accepts (the longest cmudict word has 34 letters)
MAX_INPUT_CHARS = 1000  # raw characters looked at: a pasted novel is refused before any normalisation
MAX_NAMED = 8  # unknown symbols named in one message (a pasted paragraph of Cyrillic names 8, not 30)
CHAR_NAMES = MappingProxyType({"'": "the apostrophe", "-": "the hyphen", ".": "the full stop", " ": "the space"})


class InputError(ValueError):
    """Text that cannot be fed to a model; the message says what is allowed."""


@dataclass(frozen=True)
class Vocab:
    symbols: tuple[str, ...]  # ids are positions; the first three are PAD, BOS, EOS
    kind: str = "chars"  # "chars" or "words"
    lowercase: bool = True  # normalise input case (spellings are stored lowercase)
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if tuple(self.symbols[:3]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}, got {self.symbols[:3]}")
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError("vocabulary symbols must be unique")
        if self.kind not in ("chars", "words"):
            raise ValueError(f"kind must be 'chars' or 'words', got {self.kind!r}")
        object.__setattr__(self, "index", {s: i for i, s in enumerate(self.symbols)})

    @classmethod
    def build(cls, sequences, *, kind: str, lowercase: bool) -> Vocab:
        """Vocabulary of every symbol in ``sequences`` (lists of symbols), sorted for stable ids."""
        seen = sorted({s for seq in sequences for s in seq})
        return cls(symbols=SPECIALS + tuple(seen), kind=kind, lowercase=lowercase)

    # ids ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.symbols)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def bos_id(self) -> int:
        return 1

    @property
    def eos_id(self) -> int:
        return 2

    @property
    def content_symbols(self) -> tuple[str, ...]:
        return self.symbols[len(SPECIALS):]

    @property
    def never_generated(self) -> frozenset[int]:
        """Ids no strategy may output (common.never_generated): <pad> and <s>."""
        return frozenset({0, 1})

    def encode(self, symbols) -> list[int]:
        unknown = sorted({s for s in symbols if s not in self.index or s in SPECIALS})
        if unknown:
            raise InputError(f"unknown symbol(s) {name_symbols(unknown)}; allowed: {self.describe()}")
        return [self.index[s] for s in symbols]

    def decode(self, ids) -> list[str]:
        return [self.symbols[int(i)] for i in ids]

    # text -----------------------------------------------------------------------------------
    def describe(self) -> str:
        """What valid input looks like, for messages: 'letters a-z and the apostrophe'."""
        if self.kind == "chars":
            return describe_chars(self.content_symbols)
        return "space-separated symbols from " + " ".join(self.content_symbols)

    def tokenize(self, text: str) -> list[str]:
        """Normalise harmless differences (case, surrounding space) and split ``text`` into symbols.

        Raises InputError for anything a model could not read, with a message that says why.
        """
        if not isinstance(text, str):
            raise InputError(f"input must be a string, got {type(text).__name__}")
        if len(text) > MAX_INPUT_CHARS:
            raise InputError(f"input has {len(text)} characters; the maximum is {MAX_SOURCE_SYMBOLS} symbols")
        # NFC joins a letter and a combining accent typed separately (e + U+0301 -> é); a mark left over
        # after that is a symbol of its own and is refused by name below
        text = unicodedata.normalize("NFC", text).strip()
        if self.lowercase:
            text = text.lower()
        elif self.kind == "words":
            text = text.upper()
        if not text:
            raise InputError(f"input is empty; type a word made of {self.describe()}")
        hidden = sorted({c for c in text if unicodedata.category(c).startswith("C")})
        if hidden:
            raise InputError(f"input contains control or invisible character(s) {name_symbols(hidden)}; "
                             f"type only {self.describe()}")
        symbols = list(text) if self.kind == "chars" else text.split()
        if len(symbols) > MAX_SOURCE_SYMBOLS:
            raise InputError(f"input has {len(symbols)} symbols; the maximum is {MAX_SOURCE_SYMBOLS}")
        self.encode(symbols)  # raises, naming unknown symbols
        return symbols

    def detokenize(self, symbols) -> str:
        return ("" if self.kind == "chars" else " ").join(symbols)

    # serialisation ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"symbols": list(self.symbols), "kind": self.kind, "lowercase": self.lowercase}

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        return cls(symbols=tuple(d["symbols"]), kind=d["kind"], lowercase=d["lowercase"])


def name_symbols(symbols) -> str:
    """Symbols for a message: 'x', '1' as themselves; marks, spaces and invisible characters by code
    point and name (U+0301 COMBINING ACUTE ACCENT), since printing them shows nothing useful."""
    shown = []
    for s in list(symbols)[:MAX_NAMED]:
        if len(s) == 1 and unicodedata.category(s)[0] in "MZC":
            kind = {"Cc": "(a control character)", "Cs": "(a lone surrogate)"}.get(unicodedata.category(s), "")
            shown.append(f"U+{ord(s):04X} {unicodedata.name(s, kind)}".rstrip())
        else:
            shown.append(repr(s))
    more = len(symbols) - MAX_NAMED
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def describe_chars(symbols) -> str:
    """'letters a-z and the apostrophe' for a spelling vocabulary: ranges of consecutive letters and digits,
    other characters by name or quoted."""
    def ranges(chars: list[str]) -> list[str]:
        runs: list[list[str]] = []
        for c in sorted(chars):
            if runs and ord(c) == ord(runs[-1][-1]) + 1:
                runs[-1].append(c)
            else:
                runs.append([c])
        return [f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(r) for r in runs]

    letters = [s for s in symbols if len(s) == 1 and s.isascii() and s.isalpha()]
    digits = [s for s in symbols if len(s) == 1 and s.isascii() and s.isdigit()]
    others = [CHAR_NAMES.get(s, repr(s)) for s in symbols if s not in letters and s not in digits]
    parts = ([f"letters {', '.join(ranges(letters))}"] if letters else []) + (
        [f"digits {', '.join(ranges(digits))}"] if digits else []) + others
    if not parts:
        return "nothing (the vocabulary is empty)"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
