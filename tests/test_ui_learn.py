"""The Learn tab's handlers without a browser (untrained tiny models: the tab's behaviour is under test, not the
lessons'): predict-first hides the chart and the explanation until a choice, the verdict follows the question,
each lesson is computed once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers import tiny_store

from playground.analysis.lesson_cache import LessonMemo
from playground.ui.tabs import learn
from playground.ui.tabs import learn_view as view


@pytest.fixture(scope="module")
def store():
    return tiny_store()


@pytest.fixture
def tab(store):
    computed: list = []

    def compute(key, name):
        computed.append(key)
        return view.compute(store, key, name)

    return SimpleNamespace(memo=LessonMemo(compute), computed=computed)


def test_predict_first_shows_the_setting_and_the_question_and_no_chart(store, tab):
    key, text, formula, chart, download, question, choices, verdict = learn.show(store, tab, "length_penalty", True)
    assert key == "length_penalty" and text == "" and formula == "" and download is None and verdict == ""
    assert chart.layout.annotations[0].text == view.HIDDEN_CHART and not chart.data
    assert "Your prediction" in question and "Length penalty" in question and "changes the winner" not in question
    assert choices["choices"] == ["shorter", "as long", "longer"] and choices["visible"] and choices["value"] is None


def test_a_choice_reveals_the_lesson_with_a_verdict_that_follows_the_question(store, tab):
    learn.show(store, tab, "beam_beats_greedy", True)
    q = tab.memo.get("beam_beats_greedy", "g2p-tiny").question
    for choice in q.choices:
        text, formula, chart, path, choices, verdict = learn.reveal(store, tab, "beam_beats_greedy", choice)
        assert verdict.startswith("✓ **Right:**" if choice == q.answer else "✗ **Not this time:**"), verdict
        assert "Beam beats greedy" in text and formula.startswith("$$") and chart.data and path.endswith(".json")
        assert choices["interactive"] is False  # the guess stays as given
    assert tab.computed.count("beam_beats_greedy") == 1  # computed once, then from the memo
    with pytest.raises(ValueError, match="choose one of the answers"):
        learn.reveal(store, tab, "beam_beats_greedy", "perhaps")
    with pytest.raises(ValueError, match="pick a lesson first"):
        learn.reveal(store, tab, "", "shorter")


def test_without_predict_first_a_lesson_opens_whole_and_a_lesson_without_question_says_so(store, tab):
    _, text, formula, chart, _, question, choices, verdict = learn.show(store, tab, "top_p_adaptive", False)
    assert "Top-p adapts to uncertainty" in text and chart.data and question == "" and not choices["visible"]
    _, text, *_, verdict = learn.show(store, tab, "heads_differ", True)  # an RNN: no heads to ask about
    assert "asks no question" in verdict and "Attention heads look at different letters" in text
    with pytest.raises(ValueError, match="unknown lesson"):
        learn.show(store, tab, "nope", True)
