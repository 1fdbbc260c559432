"""Word and phoneme error rates, as in published CMUdict G2P results.

WER: the share of items whose hypothesis equals none of the acceptable references.
PER: edit distance to the closest reference, summed over items, over the summed length of those
     closest references (Levenshtein distance with unit costs).
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences (insertions, deletions, substitutions cost 1).

    a, b: strings or sequences of hashable symbols, e.g. tuples of phonemes. rapidfuzz computes it in C++
    (bit-parallel) instead of a Python double loop: each evaluation scores every wrong item against every
    alternate reference. The costs are the textbook unit costs, so PER stays comparable with published
    numbers."""
    return Levenshtein.distance(a, b)


def error_rates(hypotheses, references) -> dict:
    """hypotheses: list of symbol sequences; references: list of sets of acceptable sequences."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} reference sets")
    if not hypotheses:
        raise ValueError("no items to score")
    wrong, edits, ref_len = 0, 0, 0
    for hyp, refs in zip(hypotheses, references, strict=True):
        hyp = tuple(hyp)
        if hyp in refs:
            ref_len += len(hyp)
            continue
        wrong += 1
        dist, ref = min((edit_distance(hyp, r), r) for r in refs)
        edits += dist
        ref_len += len(ref)
    return {"wer": wrong / len(hypotheses), "per": edits / max(ref_len, 1), "items": len(hypotheses)}
