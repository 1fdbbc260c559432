"""What a Learn lesson is (lessons.py lists them): its data, its topic group, its demonstration and its question.

``demonstrate(lesson, model)`` runs the lesson's demonstration (a ``(model, text) -> Demo`` function of
lesson_demos.py, mbr_lesson.py, model_lessons.py, search_lessons.py, branch_lessons.py or lens_lesson.py);
``lesson_question(lesson, demo)`` derives its predict-first question from what that demonstration measured
(question.py). A new lesson is a demonstration and a question function registered here, and a Lesson line in
lessons.py; a new shipped checkpoint is a name in MODELS.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from playground.analysis import (
    branch_lessons,
    decoder_only_lessons,
    lens_lesson,
    lesson_demos,
    lesson_questions,
    mbr_lesson,
    model_lessons,
    search_lessons,
)
from playground.analysis.lesson_demos import Demo
from playground.analysis.question import Question

# the shipped checkpoints a lesson may name (directories of checkpoints/); the prefix is the task
MODELS = ("g2p-bahdanau", "p2g-luong", "g2p-transformer", "g2p-ensemble", "g2p-decoder-only")
# the Learn tab's topics, in the tab's order: (key, label, what its lessons are about)
GROUPS = (("sampling", "Sampling", "drawing outputs at random: temperature, filters, samplers"),
          ("search", "Search", "looking for the best output: greedy, beam, exact, MBR, contrastive"),
          ("models", "Models", "what a model does with its own outputs, models together, decoder-only against "
                               "encoder-decoder"),
          ("inside", "Inside the model", "attention heads, where a decoder-only model looks, what each layer predicts"))
GROUP_KEYS = tuple(key for key, _, _ in GROUPS)
PARTNERED = decoder_only_lessons.PARTNERED  # the demonstrations that take a second model
MODULES = (lesson_demos, mbr_lesson, model_lessons, search_lessons, branch_lessons, lens_lesson, decoder_only_lessons)
DEMOS = MappingProxyType({k: f for m in MODULES for k, f in m.DEMOS.items()})
QUESTIONS = MappingProxyType({**lesson_questions.QUESTIONS, **{k: f for m in MODULES
                                                               for k, f in getattr(m, "QUESTIONS", {}).items()}})


def lesson_task(model_name: str) -> str:
    """'g2p' or 'p2g', from a MODELS name."""
    return model_name.split("-")[0]


@dataclass(frozen=True, kw_only=True)
class Lesson:
    key: str
    group: str  # one of GROUP_KEYS
    name: str  # the button's label: what it runs, never what it finds (the tab asks first)
    blurb: str  # one line: what it runs, for the lesson lists (the tab, the README)
    title: str  # what it shows: the headline once revealed
    word: str  # the dictionary word the input comes from
    text: str  # the model's input: the spelling (G2P) or its ARPAbet (P2G)
    model: str  # the shipped checkpoint it runs on: one of MODELS
    explanation: str  # two or three sentences
    formula: str  # LaTeX, shown between $$ … $$ (short: it must fit a third of the page)
    source: str  # where the formula comes from
    settings: dict  # Explore controls (UiParams fields) that reproduce the demonstration
    partner: str = ""  # a second shipped checkpoint the demonstration compares ``model`` with (one of MODELS)

    def __post_init__(self) -> None:
        if self.model not in MODELS or self.partner and self.partner not in MODELS:
            raise ValueError(f"model and partner must be among {tuple(MODELS)}, got {self.model!r}, {self.partner!r}")
        if bool(self.partner) != (self.key in PARTNERED):
            raise ValueError(f"lesson {self.key!r}: a partner model goes with a demonstration that compares two")
        if self.key not in DEMOS or self.key not in QUESTIONS:
            raise ValueError(f"no demonstration or question for lesson key {self.key!r}; known: {sorted(DEMOS)}")
        if self.group not in GROUP_KEYS:
            raise ValueError(f"group must be one of {GROUP_KEYS}, got {self.group!r}")
        if not self.text.strip() or not self.explanation or not self.formula or not self.name or not self.blurb:
            raise ValueError(f"lesson {self.key!r} needs a name, a blurb, an input text, an explanation and a "
                             "formula")


def demonstrate(lesson: Lesson, model, partner=None) -> Demo:
    """Run the engine on the lesson's input and measure the phenomenon (``Demo.holds``); ``partner``: the loaded
    ``lesson.partner`` for a lesson comparing two models (without it, such a lesson says what it needs)."""
    if lesson.key in PARTNERED:
        return DEMOS[lesson.key](model, lesson.text, partner=partner)
    return DEMOS[lesson.key](model, lesson.text)


def lesson_question(lesson: Lesson, demo: Demo) -> Question | None:
    """The lesson's predict-first question, its right answer computed from ``demo`` (what the model did); None
    when this demonstration could not measure it (e.g. a lesson on attention heads run on an RNN)."""
    return QUESTIONS[lesson.key](demo, lesson.word)
