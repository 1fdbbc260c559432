"""What the Learn tab shows of a lesson: computed once per (lesson, model) and kept (analysis/lesson_cache.py), then
laid out either whole, or predict-first: the setting and the question, then, once a guess is in, the verdict and
the whole lesson (learn.py wires both).

``compute(store, key, model_name)`` runs the demonstration and renders everything a later open needs (the chart,
the JSON download), so an open from the memo does no work beyond picking strings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import plotly.graph_objects as go

from playground.analysis.lesson_demos import Demo
from playground.analysis.lessons import BY_KEY, Lesson, demonstrate, lesson_question, lesson_task
from playground.analysis.question import Question
from playground.models.card import task_of
from playground.ui.common.export import write_json
from playground.ui.common.style import empty_figure, esc
from playground.ui.store import describe
from playground.ui.tabs.learn_plots import demo_figure

HIDDEN_CHART = "answer the question to see the chart"


@dataclass(frozen=True, kw_only=True, eq=False)
class Opened:
    """A lesson demonstrated on one served model, with everything the tab shows of it."""

    lesson: Lesson
    model_name: str
    model_label: str  # the picker's label of that model
    partner_label: str = ""  # a lesson comparing two models: the picker's label of the second ("": none served)
    demo: Demo
    question: Question | None  # None: this demonstration cannot pose it on this model
    figure: go.Figure
    json_path: str


def lesson_of(key) -> Lesson:
    if not isinstance(key, str) or key not in BY_KEY:
        raise ValueError(f"unknown lesson {str(key)[:40]!r}; choose one of {', '.join(BY_KEY)}")
    return BY_KEY[key]


def model_for(store, lesson: Lesson) -> str:
    """The served model the lesson was written for, else the first one of its task (G2P or P2G)."""
    if lesson.model in store.models:
        return lesson.model
    task = lesson_task(lesson.model)
    for name, model in store.models.items():
        if task_of(model) == task:
            return name
    raise ValueError(f"this lesson needs a {task.upper()} model, and none is served")


def compute(store, key: str, model_name: str) -> Opened:
    """Run lesson ``key``'s demonstration on ``model_name`` and render its chart and its JSON download."""
    lesson = lesson_of(key)
    model = store.get(model_name)
    partner = store.get(lesson.partner) if lesson.partner in store.models else None
    demo = demonstrate(lesson, model, partner)
    question = lesson_question(lesson, demo)
    payload = {"lesson": dataclasses.asdict(lesson), "demo": dataclasses.asdict(demo),
               "question": dataclasses.asdict(question) if question else None}
    return Opened(lesson=lesson, model_name=model_name, model_label=describe(model_name, model), demo=demo,
                  partner_label=describe(lesson.partner, partner) if partner is not None else "",
                  question=question, figure=demo_figure(demo, f"{lesson.title} · {lesson.word}").update_layout(
                      meta={"subject": lesson.word}),  # the toolbar names its downloads learn-<word> (page.js)
                  json_path=write_json(payload, f"lesson-{key}"))


def where(opened: Opened) -> str:
    lesson = opened.lesson
    text = f" (`{esc(lesson.text)}`)" if lesson.text != lesson.word else ""
    also = f" and {esc(opened.partner_label)}" if opened.partner_label else ""
    return f"*{esc(lesson.word)}*{text} with {esc(opened.model_label)}{also}"


def lesson_text(opened: Opened) -> str:
    """The whole lesson: its headline, explanation, and what the live run measured."""
    lesson, demo = opened.lesson, opened.demo
    holds = ("✓ **It holds here:** " if demo.holds else  # (plain symbols: no emoji font needed)
             "✗ **Not with this model:** the phenomenon did not show on this word: ")
    return (f"### {esc(lesson.title)}\n{esc(lesson.explanation)}\n\n"
            f"**Live, on {where(opened)}.** {holds}{esc(demo.summary)}")


def formula_text(lesson: Lesson) -> str:
    return f"$${lesson.formula}$$\n\n<small>{esc(lesson.source)}</small>"


def setting_text(opened: Opened) -> str:
    """Predict-first: what runs, never what it finds (the lesson's name and blurb, not its headline)."""
    return (f"### {esc(opened.lesson.name)}\n{esc(opened.lesson.blurb)} Live, on {where(opened)}. *Predict first: "
            "pick an answer; the chart and the explanation follow.*")


def question_text(question: Question) -> str:
    return f"**Your prediction.** {esc(question.text)}"


def verdict_text(question: Question, choice) -> str:
    """Right or wrong, the right answer and why, with the measured numbers."""
    picked = question.index(choice)
    if picked == question.right:
        head = f"✓ **Right:** {esc(question.answer)}."
    else:
        head = f"✗ **Not this time:** you said {esc(question.choices[picked])}; the answer is {esc(question.answer)}."
    return f"{head} {esc(question.why)}"


def hidden_chart() -> go.Figure:
    return empty_figure(HIDDEN_CHART)


def public(opened: Opened) -> dict:
    """/lesson_question's answer: the lesson and its question, not the answer."""
    lesson = opened.lesson
    out = {"lesson": lesson.key, "name": lesson.name, "group": lesson.group, "blurb": lesson.blurb,
           "word": lesson.word, "input": lesson.text, "model": opened.model_name}
    return out | (opened.question.public() if opened.question else {"question": None, "choices": []})


def answered(opened: Opened, choice) -> dict:
    """/lesson_answer's answer: right or not, the right answer, why, and the lesson's headline and summary."""
    question = opened.question
    if question is None:
        raise ValueError(f"lesson {opened.lesson.key!r} asks no question on {opened.model_name}")
    return {"lesson": opened.lesson.key, "right": question.check(choice), "answer": question.answer,
            "why": question.why, "title": opened.lesson.title, "summary": opened.demo.summary}
