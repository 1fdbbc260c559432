"""A Learn lesson's predict-first question: asked before the demonstration is shown, answered by the demonstration.

    q = lesson_question(lesson, demo)   # lessons.py: None when this model's demonstration cannot pose it
    q.text, q.choices                   # what a student sees first (``public()``: the same, without the answer)
    q.check(1)                          # -> True / False; a choice is its index or its exact text
    q.answer, q.why                     # the right choice, and why, with the measured numbers

``right`` is never written by hand: each lesson's question function (lesson_questions.py and the lessons' own
modules) computes it from the numbers its demonstration measured, so the answer follows the live model.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_CHOICES, MAX_CHOICES = 2, 4


@dataclass(frozen=True, kw_only=True)
class Question:
    text: str  # the question, with the setting it needs (plain text: the page escapes it)
    choices: tuple[str, ...]  # 2-4 answers, in a fixed order (never sorted by the outcome)
    right: int  # index of the right answer, computed from the live demonstration
    why: str  # why it is right: the measured numbers

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip() or not isinstance(self.why, str) or not self.why:
            raise ValueError("a question needs a text and a why")
        if not isinstance(self.choices, tuple) or not MIN_CHOICES <= len(self.choices) <= MAX_CHOICES:
            raise ValueError(f"a question has {MIN_CHOICES} to {MAX_CHOICES} choices, got {self.choices!r}")
        if len(set(self.choices)) != len(self.choices) or not all(isinstance(c, str) and c for c in self.choices):
            raise ValueError(f"a question's choices must be distinct non-empty strings, got {self.choices!r}")
        if isinstance(self.right, bool) or not isinstance(self.right, int) or not 0 <= self.right < len(self.choices):
            raise ValueError(f"right must index a choice (0 to {len(self.choices) - 1}), got {self.right!r}")

    @property
    def answer(self) -> str:
        return self.choices[self.right]

    def index(self, choice) -> int:
        """A choice given as its index (0-based) or its exact text -> its index; ValueError otherwise."""
        if isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < len(self.choices):
            return choice
        if isinstance(choice, str) and choice in self.choices:
            return self.choices.index(choice)
        raise ValueError(f"choose one of the answers {list(self.choices)} (or its index, 0 to "
                         f"{len(self.choices) - 1}); got {str(choice)[:60]!r}")

    def check(self, choice) -> bool:
        """Whether ``choice`` (index or text) is the right answer."""
        return self.index(choice) == self.right

    def public(self) -> dict:
        """What may be shown before a guess: the question and its choices, not the answer."""
        return {"question": self.text, "choices": list(self.choices)}


def pick(text: str, choices: tuple[str, ...], right: int, why: str) -> Question:
    """A Question (keyword-free shorthand for the lessons' question functions)."""
    return Question(text=text, choices=choices, right=right, why=why)


def compare(a: float, b: float, tolerance: float = 1e-3) -> int:
    """0 when a > b (beyond ``tolerance``), 1 when they are equal within it, 2 when a < b: the index of a
    (higher, same, lower) choice."""
    if a > b + tolerance:
        return 0
    return 1 if a >= b - tolerance else 2
