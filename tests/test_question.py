"""A lesson's question (analysis/question.py), the question functions on hand-written numbers, and the memo that
computes each lesson once (analysis/lesson_cache.py)."""

from __future__ import annotations

import threading

import pytest

from playground.analysis.lesson_cache import LessonMemo
from playground.analysis.lesson_demos import Demo
from playground.analysis.lessons import BY_KEY, lesson_question
from playground.analysis.question import Question, compare


def question(**changes) -> Question:
    fields = dict(text="Which?", choices=("a", "b", "c"), right=1, why="because b")
    return Question(**(fields | changes))


def demo(key: str, **numbers) -> Demo:
    return Demo(key=key, holds=True, summary="", numbers=numbers, panels=())


def test_a_question_checks_a_choice_by_index_or_text_and_shows_no_answer_before():
    q = question()
    assert q.answer == "b" and q.check(1) and q.check("b") and not q.check(0) and not q.check("c")
    assert q.public() == {"question": "Which?", "choices": ["a", "b", "c"]}
    for bad in (3, -1, True, "B", None):
        with pytest.raises(ValueError, match="choose one of the answers"):
            q.check(bad)


@pytest.mark.parametrize("changes, message", [
    (dict(choices=("a",), right=0), "2 to 4 choices"), (dict(choices=("a", "b", "c", "d", "e")), "2 to 4 choices"),
    (dict(choices=("a", "a")), "distinct"), (dict(right=3), "right must index"), (dict(right=True), "right must"),
    (dict(text=" "), "needs a text"), (dict(why=""), "needs a text")])
def test_a_malformed_question_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        question(**changes)


def test_compare_says_higher_same_or_lower_within_a_tolerance():
    assert [compare(-1.0, -1.5), compare(-1.0, -1.0005), compare(-1.5, -1.0), compare(3, 3, 0)] == [0, 1, 2, 1]


def test_questions_follow_the_numbers_they_are_given():
    beam = BY_KEY["beam_beats_greedy"]
    assert lesson_question(beam, demo("beam_beats_greedy", greedy=-1.4, beam=-1.1)).answer == "more probable"
    assert lesson_question(beam, demo("beam_beats_greedy", greedy=-1.1, beam=-1.1)).answer == "the same output"
    length = BY_KEY["length_penalty"]
    shorter = demo("length_penalty", raw_winner_len=6, penalised_winner_len=5, raw_winner_log_prob=-1.0,
                   penalised_winner_log_prob=-1.2)
    assert lesson_question(length, shorter).answer == "shorter"
    exact = BY_KEY["exact_search_error"]
    found = lesson_question(exact, demo("exact_search_error", beam=-2.0, mode=-2.0, verdict="found the mode",
                                        model_error=True))
    assert found.answer == "beam found the mode, but it is wrong"
    no_dictionary = lesson_question(exact, demo("exact_search_error", beam=-2.3, mode=-2.1, verdict="search error",
                                                model_error=None))
    assert no_dictionary.choices == ("yes", "no: a search error") and no_dictionary.right == 1
    assert lesson_question(exact, demo("exact_search_error", beam=-2.0, mode=-2.0, verdict="undetermined",
                                       model_error=None)) is None  # nobody knows: no question
    assert lesson_question(BY_KEY["heads_differ"], demo("heads_differ", heads=1)) is None  # an RNN


def test_the_question_never_names_its_outcome():
    # the branching lessons ask the same question; only the measured edits decide it
    numbers = dict(step=2, original="AE", original_p=0.77, forced="EY", forced_p=0.23, greedy_log_prob=-0.4,
                   branch_log_prob=-1.8, greedy_right=True, branch_right=False)
    one = lesson_question(BY_KEY["branch_recovers"], demo("branch_recovers", edits=1, **numbers))
    three = lesson_question(BY_KEY["branch_derails"], demo("branch_derails", edits=3, **numbers))
    assert one.choices == three.choices and (one.right, three.right) == (0, 1)
    assert "edit" not in one.text and "edit" in one.why


def test_the_memo_computes_each_key_once_even_when_asked_at_the_same_time():
    calls: list = []
    gate = threading.Event()

    def compute(key, model):
        calls.append((key, model))
        gate.wait(5)
        return f"{key}@{model}"

    memo = LessonMemo(compute, size=2)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(memo.get("a", "m"))) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert results == ["a@m"] * 4 and calls == [("a", "m")]
    memo.get("b", "m")
    memo.get("a", "m")  # a is now the most recent: c evicts b
    memo.get("c", "m")
    assert memo.cached("a", "m") and memo.cached("c", "m") and not memo.cached("b", "m")


def test_the_memo_warms_in_the_background_and_keeps_no_failure():
    attempts: list = []

    def compute(key):
        attempts.append(key)
        if key == "bad" and attempts.count("bad") == 1:
            raise ValueError("first time fails")
        return key.upper()

    memo = LessonMemo(compute)
    thread = memo.warm([("x",), ("bad",), ("y",)])
    thread.join(5)
    assert memo.cached("x") and memo.cached("y") and not memo.cached("bad")
    assert memo.get("bad") == "BAD" and attempts.count("bad") == 2  # tried again when asked
    assert memo.warm([]) is None  # nothing to do: no thread
    with pytest.raises(ValueError, match="at least 1"):
        LessonMemo(compute, size=0)
