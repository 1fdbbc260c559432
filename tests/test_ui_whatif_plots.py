"""What-if charts: built from hand-computable reports (scripted model), checked on the figure's data."""

from __future__ import annotations

from decoding_cases import BEAM_MISSES

from playground.analysis.whatif import Candidate, TokenStep, score_target, search_check
from playground.ui.tabs.whatif_plots import C_FORCED, C_OFF_TOP, log_prob_figure, token_figure


def test_token_figure_has_one_bar_per_position_with_rank_labels():
    report = score_target(BEAM_MISSES, "qqz", "ad", beam_width=1)
    fig = token_figure(report.steps, "title")
    (bar,) = fig.data
    assert list(fig.layout.xaxis.ticktext) == ["1<br><b>a</b>", "2<br><b>d</b>", "3<br><b>&lt;/s&gt;</b>"]
    assert [round(float(v), 2) for v in bar.y] == [0.6, 0.33, 1.0]
    assert bar.text[1] == "0.33<br>rank 2<br>top: c" and bar.marker.color[1] == C_OFF_TOP  # c: the favourite
    assert bar.text[0] == "0.60<br>rank 1"
    assert fig.layout.yaxis.title.text and fig.layout.xaxis.title.text


def test_forced_positions_are_grey_and_named_in_the_key():
    steps = (TokenStep(symbol="b", prob=0.4, rank=1, top_symbol="a", top_prob=0.6, forced=True),
             TokenStep(symbol="</s>", prob=0.9, rank=0, top_symbol="</s>", top_prob=0.9))
    fig = token_figure(steps, "t")
    assert fig.data[0].marker.color[0] == C_FORCED and "forced" in fig.layout.title.subtitle.text


def test_log_prob_figure_sorts_most_probable_first_and_highlights_the_target():
    report = score_target(BEAM_MISSES, "qqz", "b", beam_width=1)
    fig = log_prob_figure(report.candidates, "t")
    labels, values = list(fig.layout.yaxis.ticktext), [float(v) for v in fig.data[0].x]
    assert values == sorted(values, reverse=True)
    assert labels[0] == "<b>your target: b</b>"  # ties with the mode (both b </s>): listed first, in bold
    assert fig.layout.xaxis.range[1] == 0 and fig.layout.xaxis.range[0] < min(values)


def test_dictionary_marks_and_ipa_for_phonemes():
    candidates = (Candidate(label="beam (width 2)", tokens=("K", "AE", "T"), log_prob=-0.5, correct=True),
                  Candidate(label="exact search (the mode)", tokens=("K", "AA", "T"), log_prob=-0.4, correct=False))
    fig = log_prob_figure(candidates, "t", highlight="")
    labels = list(fig.layout.yaxis.ticktext)
    assert labels[0].endswith("/kɑt/ ✗") and labels[1].endswith("/kæt/ ✓")
    assert "dictionary" in fig.layout.title.subtitle.text


def test_search_check_figure_and_empty_inputs():
    check = search_check(BEAM_MISSES, "qqz", 1)
    fig = log_prob_figure((check.beam, check.mode), "t", highlight="")
    assert len(fig.layout.yaxis.ticktext) == 2
    assert token_figure((), "t").layout.annotations[0].text == "nothing to show"
    assert log_prob_figure((), "t").layout.annotations[0].text == "nothing to compare"
