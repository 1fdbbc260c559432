"""The Learn chart: panels of a Demo become labelled subplots."""

from __future__ import annotations

import pytest
from decoding_cases import BEAM_MISSES

from playground.analysis import lesson_demos
from playground.analysis.lesson_demos import Demo, Panel, Series
from playground.ui.tabs.learn_plots import demo_figure


def test_no_demo_is_a_placeholder_that_says_what_to_do():
    fig = demo_figure(None)
    assert fig.layout.annotations[0].text == "pick a lesson above" and not fig.data


def test_a_distribution_panel_has_one_bar_series_per_temperature_and_labelled_axes():
    demo = lesson_demos.temperature_zero(BEAM_MISSES, "qqz")
    fig = demo_figure(demo, "Temperature → 0 is greedy · qqz")
    assert [t.name for t in fig.data] == ["T = 1", "T = 0.5", "T = 0.2", "T = 0"]
    assert fig.layout.yaxis.title.text == "probability" and fig.layout.xaxis.title.text
    assert fig.layout.showlegend and "qqz" in fig.layout.title.text
    assert all(t == "" for t in fig.data[1].text)  # grouped bars: only the first series is labelled


def test_two_panels_sit_side_by_side_with_their_titles_and_a_cut_line():
    panel = Panel(title="Step 2 (uncertain): keeps 2", categories=("a", "b", "c"), cut=2, value_title="probability",
                  series=(Series(name="model", values=(0.5, 0.4, 0.1)), Series(name="top-p", values=(0.55, 0.45, 0))))
    counts = Panel(title="samples", categories=("ab", "ba"), series=(Series(name="times drawn", values=(3, 1)),),
                   value_title="times drawn", horizontal=True, counts=True)
    fig = demo_figure(Demo(key="k", holds=True, summary="s", numbers={}, panels=(panel, counts)))
    assert [a.text for a in fig.layout.annotations][:2] == ["Step 2 (uncertain): keeps 2", "samples"]
    assert any(s.type == "line" and s.line.dash == "dash" for s in fig.layout.shapes)  # the cut after 2 kept
    horizontal = fig.data[-1]
    assert horizontal.orientation == "h" and list(horizontal.text) == ["3", "1"]
    assert list(fig.layout.yaxis2.ticktext) == ["ab", "ba"] and fig.layout.xaxis2.title.text == "times drawn"


def test_sequence_panels_escape_special_tokens_and_leave_out_a_lone_legend():
    panel = Panel(title="outputs", categories=("<s> x",), series=(Series(name="log p", values=(-1.5,)),),
                  value_title="log p", horizontal=True)
    fig = demo_figure(Demo(key="k", holds=True, summary="", numbers={}, panels=(panel,)))
    assert list(fig.layout.yaxis.ticktext) == ["&lt;s&gt; x"] and not fig.layout.showlegend
    assert fig.layout.xaxis.range[0] < -1.5 <= fig.layout.xaxis.range[1]


def test_panels_refuse_series_of_the_wrong_length():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        Panel(title="t", categories=("a", "b", "c"), series=(Series(name="s", values=(1, 2)),), value_title="v")
