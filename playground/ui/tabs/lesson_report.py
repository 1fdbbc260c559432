"""A Learn lesson as a report (common/report.py): a sheet to hand out or project, of the lesson the Learn tab runs.

In the order a class meets it: the setting (the word, the model, every control), the predict-first question and
its choices, the chart, what the model did (the measured numbers), the answer and why, then the explanation, the
formula (rendered without the network, with its LaTeX source) and where it comes from; last, the links that open
the lesson and its settings in the playground.
"""

from __future__ import annotations

import dataclasses
import json

from playground.ui.common.controls import UiParams
from playground.ui.common.report import Chart, Link, Links, Report, Section, Table
from playground.ui.explore.report import setting_rows, view_link
from playground.ui.explore.share import share_string


def lesson_report(opened, *, base_url: str = "") -> Report:
    """The report of ``opened`` (learn_view.Opened: a lesson demonstrated on one served model, its question and its
    chart, as the Learn tab shows it)."""
    lesson, demo, question = opened.lesson, opened.demo, opened.question
    params = dataclasses.replace(UiParams(), **lesson.settings)
    setting = [("Word", lesson.word), ("Input", lesson.text), ("Model", f"{opened.model_label} ({opened.model_name})"),
               *([("Compared with", f"{opened.partner_label} ({lesson.partner})")] if opened.partner_label else []),
               *setting_rows(params)]
    held = "It holds here" if demo.holds else "Not with this model: the phenomenon did not show on this word"
    blocks = [Table(title="Setting", columns=(), rows=tuple(setting))]
    if question is not None:
        blocks.append(Section(title="Predict first", paragraphs=(question.text,), items=tuple(question.choices)))
    blocks += [Chart(name="lesson", figure=opened.figure.to_json()),  # (its numbers follow: after the question)
               Section(title="What the model did", paragraphs=(f"{held}. {demo.summary}",)),
               Table(title="Measured", columns=(), rows=tuple((k, _number(v)) for k, v in demo.numbers.items()))]
    if question is not None:
        blocks.append(Section(title="Answer", paragraphs=(f"The answer: {question.answer}.", question.why)))
    blocks += [Section(title="Why", paragraphs=(lesson.explanation,), formula=lesson.formula, source=lesson.source),
               Links(title="Open in the playground", links=_links(opened, params, base_url))]
    return Report(title=f"Lesson: {lesson.title}", subject=lesson.word, blocks=tuple(blocks))


def _links(opened, params: UiParams, base_url: str) -> tuple[Link, ...]:
    """The lesson's own link (?lesson=, predict-first) and its settings as an Explore view."""
    lesson = opened.lesson
    share = share_string(model=opened.model_name, text=lesson.text, params=params)
    links = [view_link(share, base_url, "Open the lesson's settings in Explore")]
    if base_url.startswith(("http://", "https://")):
        links.insert(0, Link(label="Open this lesson in the playground (predict first)",
                             url=f"{base_url.split('?')[0]}?lesson={lesson.key}"))
    return tuple(links)


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
