"""The Learn lesson on minimum Bayes risk decoding (lessons.py lists it), and the finder's shortcut for it.

Same contract as lesson_demos.py: ``(model, text) -> Demo``, deterministic, with the numbers a test asserts on,
chart panels and ``holds``: over beam search's n-best list, weighted by the model's renormalised probabilities,
the MBR choice (analysis/mbr.py) is another output than beam search's best, and it is the dictionary's answer.
Sources: Kumar & Byrne 2004 (N-best MBR); Eikema & Aziz 2020 (MBR against the mode).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from playground.analysis.lesson_demos import Demo, sequence_panel, shown
from playground.analysis.mbr import minimum_bayes_risk
from playground.analysis.utility import utilities
from playground.decoding import DecodeConfig, decode_many

NBEST = 8  # the n-best list the lesson's MBR chooses from (a beam of this width)


def _mark(correct) -> str:
    return "" if correct is None else (" ✓" if correct else " ✗")


def mbr_consensus(model, text: str, n: int = NBEST) -> Demo:
    """MBR over the beam's ``n``-best list against beam search's best (width 5) and the mode."""
    result = minimum_bayes_risk(model, text, DecodeConfig(), n, source="beam")
    mbr, beam, mode = result.mbr, result.beam, result.mode
    holds = mbr.tokens != beam.tokens and mbr.correct is True
    rows = [(f"{'★ ' if i == result.choice else ''}#{i + 1}{_mark(c.correct)}", c.tokens, c.expected_utility)
            for i, c in enumerate(result.candidates)]
    compared = [(f"MBR{_mark(mbr.correct)}", mbr.tokens, mbr.log_prob),
                (f"beam's best{_mark(beam.correct)}", beam.tokens, beam.log_prob),
                (f"the mode{_mark(mode.correct)}", mode.tokens, mode.log_prob)]
    numbers = {"mbr_expected_utility": mbr.expected_utility, "beam_expected_utility": beam.expected_utility,
               "mbr_log_prob": mbr.log_prob, "beam_log_prob": beam.log_prob, "mode_log_prob": mode.log_prob,
               "mbr_correct": mbr.correct, "beam_correct": beam.correct, "mode_correct": mode.correct,
               "mbr_is_beams_best": mbr.tokens == beam.tokens,
               "mbr_weight": mbr.weight, "beam_weight": result.candidates[beam.candidate].weight
               if beam.candidate >= 0 else 0.0}
    summary = (f"Beam search's best {shown(model, beam.tokens)!r}{_mark(beam.correct)} (log p {beam.log_prob:.3f}, "
               f"expected utility {beam.expected_utility:.3f})"
               + (" is also the model's mode" if mode.tokens == beam.tokens else "")
               + f"; over the {n}-best list MBR picks {shown(model, mbr.tokens)!r}{_mark(mbr.correct)} "
               f"(log p {mbr.log_prob:.3f}, expected utility {mbr.expected_utility:.3f}).")
    return Demo(key="mbr_consensus", holds=holds, numbers=numbers, summary=summary,
                panels=(sequence_panel(model, f"The {n}-best list: expected utility (★ = MBR's choice)", rows,
                                       "expected utility Σ w·u"),
                        sequence_panel(model, "log p(y|x) of the three choices", compared)))


def mbr_differs(model, texts: list[str], n: int = NBEST) -> list[bool]:
    """For each text (decoded together, decode_many): does MBR over the beam's ``n``-best list choose another
    output than the list's most probable one? The finder's shortcut: only those words get the full demonstration."""
    results = decode_many(model, texts, DecodeConfig(strategy="beam", beam_width=n, num_return=n,
                                                     length_penalty_formula="none", record_trace=False))
    out = []
    for result in results:
        tokens = [tuple(h.tokens) for h in result.hypotheses]
        log_probs = np.array([h.log_prob for h in result.hypotheses])
        weights = np.exp(log_probs - log_probs.max())
        out.append(bool(np.argmax(utilities(model, tokens, tokens) @ (weights / weights.sum())) != 0))
    return out


DEMOS = MappingProxyType({"mbr_consensus": mbr_consensus})
