"""A lesson's report (ui/tabs/lesson_report.py): a sheet with the setting, the question before the chart, the answer
after it, the explanation, the formula rendered without the network and its source, and the links."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import tiny_store
from test_ui_report import Parsed

from playground.analysis.lessons import LESSONS
from playground.analysis.question import Question
from playground.ui.common import latex
from playground.ui.common.report import build_html
from playground.ui.tabs import learn_view
from playground.ui.tabs.lesson_report import lesson_report


@pytest.fixture(scope="module")
def opened():
    store = tiny_store()
    lesson = learn_view.lesson_of("beam_beats_greedy")
    found = learn_view.compute(store, lesson.key, learn_view.model_for(store, lesson))
    question = Question(text="Is <beam> better?", choices=("more probable", "the same", "less probable"), right=2,
                        why="greedy -1.0 against beam -2.0")
    return dataclasses.replace(found, question=question)


def test_the_sheet_asks_first_shows_the_chart_then_answers_and_explains(opened):
    report = lesson_report(opened, base_url="http://127.0.0.1:7860/?view=x")
    html = build_html(report, plotly="/* plotly */")
    page = Parsed(html)
    text = " ".join(page.text)
    order = [text.index(s) for s in ("Setting", "Predict first", "Is <beam> better?", "What the model did",
                                     "The answer: less probable.", "greedy -1.0 against beam -2.0", "Why",
                                     opened.lesson.explanation[:40], "LaTeX:", opened.lesson.source)]
    assert order == sorted(order)
    assert [c["name"] for c in page.charts()] == ["lesson"]
    assert html.index("Predict first") < html.index('id="chart-lesson"') < html.index("The answer:")
    assert [item for item in opened.question.choices if item in text] == list(opened.question.choices)
    setting = dict(next(b for b in report.blocks if getattr(b, "title", "") == "Setting").rows)
    assert setting["Word"] == opened.lesson.word and setting["Beam width"] == "5"
    assert f"({opened.model_name})" in setting["Model"]
    assert [d for d in page.tags("div") if d.get("class") == "formula"]  # rendered, beside its source
    hrefs = [a["href"] for a in page.tags("a")]
    assert hrefs[0] == "http://127.0.0.1:7860/?lesson=beam_beats_greedy" and hrefs[1].startswith(
        "http://127.0.0.1:7860/?view=")


def test_a_lesson_without_a_question_has_no_question_or_answer(opened):
    report = lesson_report(dataclasses.replace(opened, question=None))
    titles = [getattr(b, "title", "") for b in report.blocks]
    assert "Predict first" not in titles and "Answer" not in titles and "Why" in titles
    assert all(not link.url for link in report.blocks[-1].links)  # no address: the view string alone


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.key)
def test_every_lessons_formula_renders_without_the_network(lesson):
    assert latex.to_html(lesson.formula) is not None
