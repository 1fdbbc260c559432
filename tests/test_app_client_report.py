"""/report through gradio_client: a view string's report (the one /explore's `share` names), a lesson's, and clear
messages."""

from __future__ import annotations

import pytest
from helpers import served_client
from test_ui_report import Parsed

from playground.ui.explore import charts

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def client():
    yield from served_client(range(7940, 7950))


def test_a_view_strings_report_is_the_html_of_that_view(client):
    share = client.predict("cab", "g2p-tiny", strategy="beam", beam_width=3, num_return=2, max_length=6,
                           api_name="/explore")["share"]
    page = client.predict(view=share, hypothesis=1, step=2, base_url="http://example.org/", api_name="/report")
    assert page.startswith("<!DOCTYPE html>") and "plotly.js v" in page[:100_000]
    parsed = Parsed(page)
    text = " ".join(parsed.text)
    assert "cab · beam search" in text and "output 2 of 2, step 2 of" in text
    assert [c["name"] for c in parsed.charts()] == charts.names()
    assert [a["href"] for a in parsed.tags("a")] == [f"http://example.org/?view={share}"]


def test_a_lessons_report_is_its_sheet(client):
    page = client.predict(lesson="beam_beats_greedy", base_url="http://example.org/", api_name="/report")
    parsed = Parsed(page)
    text = " ".join(parsed.text)
    assert "Lesson: " in text and "Why" in text and "LaTeX:" in text and "Source:" in text
    assert [c["name"] for c in parsed.charts()] == ["lesson"]
    assert [a["href"] for a in parsed.tags("a")][0] == "http://example.org/?lesson=beam_beats_greedy"


@pytest.mark.parametrize("kwargs, message", [
    ({}, "either a view string"),
    (dict(view="abc", lesson="beam_beats_greedy"), "either a view string"),
    (dict(view="not a view"), "not a view string"),
    (dict(lesson="no_such_lesson"), "unknown lesson"),
])
def test_bad_requests_get_a_message(client, kwargs, message):
    with pytest.raises(Exception) as err:
        client.predict(api_name="/report", **kwargs)
    assert message in str(err.value) and "Traceback" not in str(err.value)
