"""Curated inputs that show interesting decoder behaviour, one list per task.

Each example is (input, a short tag saying why it is interesting). P2G inputs are ARPAbet strings
without stress digits, like the shipped models' vocabulary. ``examples_for`` keeps only the inputs a
given model can read, so a model with a different vocabulary never shows a broken example.
"""

from __future__ import annotations

from types import MappingProxyType

from playground.models.vocab import InputError

G2P = (  # (word, what makes it interesting)
    ("colonel", "irregular"),  # /kɚnəl/: an R that is not spelled
    ("read", "heteronym"),  # present /ɹid/ or past /ɹɛd/
    ("lead", "heteronym"),  # the verb or the metal
    ("live", "heteronym"),  # /lɪv/ or /laɪv/
    ("yacht", "irregular"),  # silent CH
    ("worcester", "irregular"),  # three letters go silent
    ("quinoa", "loanword"),  # Quechua via Spanish
    ("gnocchi", "loanword"),  # Italian: silent G, CH = /k/
    ("siobhan", "name"),  # Irish: /ʃɪvɔn/
    ("nguyen", "name"),  # Vietnamese
    ("brillig", "invented"),  # Lewis Carroll
    ("blorptastic", "invented"),  # no dictionary to lean on
)

P2G = (  # (ARPAbet, what makes it interesting)
    ("K ER N AH L", "colonel/kernel"),
    ("R AY T", "right/write/rite"),
    ("N OW", "no/know"),
    ("F L AW ER", "flower/flour"),
    ("Y AA T", "yacht"),
    ("N AY T", "night/knight"),
    ("F OW N IY M", "phoneme"),
    ("K Y UW", "queue/cue"),
    ("SH AH F AH L", "shuffle"),
    ("B L AO R F T", "invented"),
)

EXAMPLES = MappingProxyType({"g2p": G2P, "p2g": P2G})


def examples_for(task: str, source_vocab) -> list[tuple[str, str]]:
    """The examples of ``task`` whose input ``source_vocab`` can tokenise (all of them, normally)."""
    keep = []
    for text, why in EXAMPLES.get(task, ()):
        try:
            source_vocab.tokenize(text)
        except InputError:
            continue
        keep.append((text, why))
    return keep


def default_input(task: str, source_vocab) -> str:
    """The input rendered when the page (or a newly picked model) opens."""
    examples = examples_for(task, source_vocab)
    if examples:
        return examples[0][0]
    # a model with an unfamiliar vocabulary: its first few content symbols still make a valid input
    symbols = source_vocab.content_symbols[:4]
    return source_vocab.detokenize(symbols)
