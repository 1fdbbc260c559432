"""Re-pick a Learn lesson's word after a retrain: try the words of a split (never the test split) until the
lesson's phenomenon holds. The command is lessons.py's:

    python -m playground.analysis.lessons --find beam_beats_greedy --split dev --limit 5
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from playground.analysis import mbr_lesson
from playground.analysis.lesson_base import Lesson, demonstrate, lesson_task
from playground.decoding import DecodeConfig, decode_many
from playground.models.checkpoint import SHIPPED


def candidate_inputs(task: str, split: str, max_len: int) -> list[tuple[str, str]]:
    """(word, model input) pairs of a split, shortest words first, at most ``max_len`` letters."""
    from playground.training.data import load_lexicon, load_test_words, make_splits

    splits = make_splits(load_lexicon(), load_test_words())
    words = sorted((w for w in getattr(splits, split) if len(w) <= max_len), key=lambda w: (len(w) < 4, w))
    if task == "g2p":
        return [(w, w) for w in words]
    return [(w, " ".join(getattr(splits, split)[w][0])) for w in words]


def _beams_differ(model, texts: list[str], first: dict, second: dict, better: bool) -> list[bool]:
    """For each text: does beam search with ``second``'s settings end on another top output than with ``first``'s
    (``better``: on a strictly more probable one)? Both decoded for all texts at once (decode_many)."""
    a, b = (decode_many(model, texts, DecodeConfig(strategy="beam", num_return=1, record_trace=False, **knobs))
            for knobs in (first, second))
    return [(rb.hypotheses[0].log_prob > ra.hypotheses[0].log_prob + 1e-3) if better else
            rb.hypotheses[0].tokens != ra.hypotheses[0].tokens for ra, rb in zip(a, b, strict=True)]


# key -> a batched test a word must pass before its full demonstration is run (the finder's shortcut)
PRESCREENS = MappingProxyType({
    # beam 5 beats greedy (= beam 1): exactly the demonstration's condition
    "beam_beats_greedy": lambda model, texts: _beams_differ(
        model, texts, dict(beam_width=1, length_penalty_formula="none"),
        dict(beam_width=5, length_penalty_formula="none"), better=True),
    "length_penalty": lambda model, texts: _beams_differ(
        model, texts, dict(beam_width=5, length_penalty_formula="none"), dict(beam_width=5, length_penalty=2.0),
        better=False),
    # a search error of width 2 needs a more probable output, which a wider beam often finds
    "exact_search_error": lambda model, texts: _beams_differ(
        model, texts, dict(beam_width=2, length_penalty_formula="none"),
        dict(beam_width=16, length_penalty_formula="none"), better=True),
    # a beam of 10 ends on a more probable output than greedy's (the demonstration then asks which is right)
    "beam_curse": lambda model, texts: _beams_differ(
        model, texts, dict(beam_width=1, length_penalty_formula="none"),
        dict(beam_width=10, length_penalty_formula="none"), better=True),
    "mbr_consensus": mbr_lesson.mbr_differs,  # MBR over the 8-best list leaves its most probable output
})


def find(lesson: Lesson, split: str = "dev", limit: int = 5, max_len: int = 7, start: int = 0, chunk: int = 256):
    """Yield (word, text, demo) for words of ``split`` where ``lesson``'s phenomenon holds. Lessons with a
    PRESCREENS test try only the words of each ``chunk`` that pass it (decoded together), in order."""
    from playground import load_model

    model = load_model(SHIPPED / lesson.model)
    partner = load_model(SHIPPED / lesson.partner) if lesson.partner else None
    candidates = candidate_inputs(lesson_task(lesson.model), split, max_len)[start:]
    found = 0
    for first in range(0, len(candidates), chunk):
        batch = candidates[first:first + chunk]
        if lesson.key in PRESCREENS:
            batch = [c for c, ok in zip(batch, PRESCREENS[lesson.key](model, [text for _, text in batch]),
                                        strict=True) if ok]
        for word, text in batch:
            try:
                demo = demonstrate(dataclasses.replace(lesson, word=word, text=text), model, partner)
            except ValueError:
                continue
            if demo.holds:
                yield word, text, demo
                found += 1
                if found >= limit:
                    return
