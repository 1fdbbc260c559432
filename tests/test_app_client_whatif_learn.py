"""The What-if and Learn endpoints through gradio_client (untrained tiny models: the wiring is under test)."""

from __future__ import annotations

import pytest
from helpers import served_client

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def client():
    yield from served_client(range(7910, 7920))


def test_the_named_endpoints_exist(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/score", "/whatif_score", "/whatif_prefix", "/exact_check", "/lesson", "/lesson_settings",
            "/lesson_question", "/lesson_answer"} <= names


def test_score_returns_json_with_per_symbol_probabilities_and_the_strategies(client):
    out = client.predict("cab", "K AE B", "g2p-tiny", 2, api_name="/score")
    assert [s["symbol"] for s in out["steps"]] == ["K", "AE", "B", "</s>"]
    assert all(0 <= s["prob"] <= 1 and s["rank"] >= 0 for s in out["steps"])
    assert [c["label"] for c in out["candidates"]] == ["your target", "greedy", "beam (width 2)",
                                                       "exact search (the mode)"]


def test_whatif_views_return_a_summary_charts_and_a_json_file(client):
    summary, per_symbol, log_p, path = client.predict("g2p-tiny", "cab", "K AE", 3, api_name="/whatif_score")
    assert "log p =" in summary and per_symbol["type"] == "plotly" and log_p["type"] == "plotly"
    assert str(path).endswith(".json")
    summary, chart, _ = client.predict("g2p-tiny", "cab", "K", "beam", 2, api_name="/whatif_prefix")
    assert summary.startswith("Forcing") and chart["type"] == "plotly"
    verdict, chart, _ = client.predict("g2p-tiny", "cab", 2, api_name="/exact_check")
    assert any(v in verdict for v in ("Search error", "Found the mode", "Undetermined"))


def test_bad_input_gets_a_message_not_a_stack_trace(client):
    summary, *_ = client.predict("g2p-tiny", "cab", "kab", 3, api_name="/whatif_score")
    assert summary.startswith("**Cannot do that:**") and "unknown symbol" in summary
    summary, *_ = client.predict("g2p-tiny", "cab", "K Q", "beam", 2, api_name="/whatif_prefix")
    assert "prefix: unknown symbol" in summary  # (an unknown strategy is refused by the radio itself)
    with pytest.raises(Exception) as err:
        client.predict("c4b", "K", "g2p-tiny", 2, api_name="/score")
    assert "unknown symbol" in str(err.value) and "Traceback" not in str(err.value)


def test_a_lesson_shows_its_text_formula_and_chart_and_opens_in_explore(client):
    text, formula, chart, path = client.predict("beam_beats_greedy", api_name="/lesson")
    assert "Beam beats greedy" in text and formula.startswith("$$") and chart["type"] == "plotly"
    assert str(path).endswith(".json")
    model, word, strategy, *rest = client.predict("beam_beats_greedy", api_name="/lesson_settings")
    assert (model, word, strategy) == ("g2p-tiny", "acetone", "beam")
    with pytest.raises(Exception, match="unknown lesson"):
        client.predict("nope", api_name="/lesson")


def test_a_lesson_question_comes_without_its_answer_and_an_answer_is_checked(client):
    q = client.predict("beam_beats_greedy", api_name="/lesson_question")
    assert (q["lesson"], q["model"], q["word"]) == ("beam_beats_greedy", "g2p-tiny", "acetone")
    assert len(q["choices"]) == 3 and not {"right", "answer", "why"} & set(q)
    verdicts = [client.predict("beam_beats_greedy", choice, api_name="/lesson_answer") for choice in q["choices"]]
    assert sum(v["right"] for v in verdicts) == 1 and len({v["answer"] for v in verdicts}) == 1
    assert verdicts[0]["why"] and verdicts[0]["title"] == "Beam beats greedy"
    by_index = client.predict("beam_beats_greedy", "0", api_name="/lesson_answer")
    assert by_index["right"] == verdicts[0]["right"]
    with pytest.raises(Exception, match="choose one of the answers"):
        client.predict("beam_beats_greedy", "maybe", api_name="/lesson_answer")
    # an RNN has no attention heads to ask about: no question, and an answer is refused with a reason
    assert client.predict("heads_differ", api_name="/lesson_question")["choices"] == []
    with pytest.raises(Exception, match="asks no question"):
        client.predict("heads_differ", "0", api_name="/lesson_answer")
