"""Utilities u(h, y) in [0, 1] between two outputs, for minimum Bayes risk decoding (analysis/mbr.py).

* Our symbol models (G2P, P2G): ``symbol_utility``, 1 - Levenshtein(h, y) / max(|h|, |y|) over output symbols,
  unit costs (rapidfuzz computes the distance); 1 when both are empty. Symmetric.
* A tokenizer's pieces (Hugging Face models): ``chrf`` of the detokenized strings, written here from its
  definition (Popović 2015, "chrF: character n-gram F-score for automatic MT evaluation") with sacrebleu's
  defaults: character n-grams of n = 1..6 with whitespace removed, each order's precision and recall (clipped
  counts) averaged over the orders that both strings have, then F_beta with beta = 2 (recall weighs more, so it is
  not symmetric). On [0, 1] where sacrebleu writes 0-100, and 1 for two empty strings (sacrebleu says 0).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from rapidfuzz.distance import Levenshtein

CHRF_ORDER, CHRF_BETA = 6, 2.0  # sacrebleu's defaults


def symbol_utility(a, b) -> float:
    """1 - Levenshtein(a, b) / max(|a|, |b|) over symbols (unit costs); 1 when both are empty."""
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - Levenshtein.distance(list(a), list(b)) / longest


def char_ngrams(text: str, order: int = CHRF_ORDER) -> tuple[tuple[Counter, int], ...]:
    """(counts, total) of the character n-grams of ``text`` for n = 1..order, whitespace removed."""
    s = re.sub(r"\s+", "", text)
    return tuple((Counter(s[i:i + n] for i in range(len(s) - n + 1)), max(len(s) - n + 1, 0))
                 for n in range(1, order + 1))


def chrf_ngrams(hyp, ref, beta: float = CHRF_BETA) -> float:
    """chrF of two ``char_ngrams`` profiles (Popović 2015; sacrebleu's default computation, scaled to [0, 1]):
    precision and recall of each order n with n-grams on both sides, averaged over those orders, then
    F_beta = (1 + beta²) P R / (beta² P + R). Both strings empty: 1 (sacrebleu says 0); one empty: 0."""
    precision = recall = 0.0
    orders = 0
    for (h, nh), (r, nr) in zip(hyp, ref, strict=True):
        if nh and nr:
            small, large = (h, r) if len(h) <= len(r) else (r, h)
            match = sum(min(c, large[g]) for g, c in small.items() if g in large)
            precision, recall, orders = precision + match / nh, recall + match / nr, orders + 1
    if not orders:
        return 1.0 if hyp[0][1] == ref[0][1] == 0 else 0.0
    precision, recall = precision / orders, recall / orders
    if precision + recall == 0:
        return 0.0
    return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)


def chrf(hyp: str, ref: str, order: int = CHRF_ORDER, beta: float = CHRF_BETA) -> float:
    """chrF(hyp, ref) in [0, 1]: character n-grams of n = 1..``order``, whitespace removed (``chrf_ngrams``)."""
    return chrf_ngrams(char_ngrams(hyp, order), char_ngrams(ref, order), beta)


def uses_chrf(model) -> bool:
    """A tokenizer's pieces (Hugging Face models) are compared as text; our symbols as symbols."""
    return getattr(model.target_vocab, "kind", "") == "pieces"


def utility_name(model) -> str:
    return ("chrF of the detokenized outputs (character 1- to 6-grams, β = 2, whitespace removed)" if uses_chrf(model)
            else "1 − Levenshtein / max length, over output symbols")


def utilities(model, hyps, refs) -> np.ndarray:
    """(H, R) float64: u(hyps[i], refs[j]) for token tuples."""
    if uses_chrf(model):
        detok = model.target_vocab.detokenize
        h_grams = [char_ngrams(detok(list(t))) for t in hyps]
        r_grams = h_grams if refs is hyps else [char_ngrams(detok(list(t))) for t in refs]
        return np.array([[chrf_ngrams(h, r) for r in r_grams] for h in h_grams], dtype=np.float64).reshape(
            len(hyps), len(refs))
    return np.array([[symbol_utility(h, r) for r in refs] for h in hyps], dtype=np.float64).reshape(
        len(hyps), len(refs))
