"""Symbol vocabularies: the map between text, symbols and integer ids.

A `Vocab` knows how its side of a task is written:
  * ``kind="chars"``  -> a word is split into characters ("cat" -> c a t)   [G2P source, P2G target]
  * ``kind="words"``  -> symbols are separated by spaces ("K AE T")         [G2P target, P2G source]
It validates text before anything reaches a model, and names the symbols it does not know.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

PAD, BOS, EOS = "<pad>", "<s>", "</s>"
SPECIALS = (PAD, BOS, EOS)
MAX_SOURCE_SYMBOLS = 48  # longest input the playground accepts (the longest cmudict word has 34 letters)


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

    def encode(self, symbols) -> list[int]:
        unknown = sorted({s for s in symbols if s not in self.index or s in SPECIALS})
        if unknown:
            raise InputError(f"unknown symbol(s) {', '.join(map(repr, unknown))}; allowed: {self.describe()}")
        return [self.index[s] for s in symbols]

    def decode(self, ids) -> list[str]:
        return [self.symbols[int(i)] for i in ids]

    # text -----------------------------------------------------------------------------------
    def describe(self) -> str:
        if self.kind == "chars":
            return "the characters " + "".join(self.content_symbols)
        return "space-separated symbols from " + " ".join(self.content_symbols)

    def tokenize(self, text: str) -> list[str]:
        """Normalise harmless differences (case, surrounding space) and split ``text`` into symbols.

        Raises InputError for anything a model could not read, with a message that says why.
        """
        if not isinstance(text, str):
            raise InputError(f"input must be a string, got {type(text).__name__}")
        text = unicodedata.normalize("NFC", text).strip()
        if self.lowercase:
            text = text.lower()
        elif self.kind == "words":
            text = text.upper()
        if not text:
            raise InputError(f"input is empty; type a word made of {self.describe()}")
        if any(unicodedata.category(c).startswith("C") for c in text):
            raise InputError("input contains control or invisible characters")
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
