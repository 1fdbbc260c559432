"""The Sample tab's MBR views, headless, on hand-made MbrResults: the heatmap, the bars, the ✓/✗ comparison."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from playground.analysis.mbr import Anchor, MbrCandidate, MbrResult
from playground.decoding import DecodeConfig
from playground.ui.tabs.mbr_plots import (
    TOP,
    comparison_markdown,
    expected_figure,
    matrix_figure,
    shown_indices,
    summary_markdown,
)

OUTPUTS = (("F", "OW", "K", "L", "ER"), ("F", "OW", "K", "L", "AO", "R"), ("F", "OW", "L", "K", "L", "AO", "R"))


def result_of(weights, matrix, choice, correct=(False, True, False), beam=0, method="beam") -> MbrResult:
    matrix = np.asarray(matrix, dtype=np.float64)
    expected = matrix @ np.asarray(weights)
    candidates = tuple(MbrCandidate(tokens=OUTPUTS[i % 3] + ("AH",) * (i // 3), text="", finished=True, count=1,
                                    weight=w, log_prob=float(np.log(w)), expected_utility=float(e),
                                    correct=correct[i % 3] if correct else None)
                       for i, (w, e) in enumerate(zip(weights, expected, strict=True)))

    def anchor(label, i):
        c = candidates[i]
        return Anchor(label=label, tokens=c.tokens, text="", log_prob=c.log_prob, expected_utility=c.expected_utility,
                      correct=c.correct, candidate=i)

    return MbrResult(source=tuple("folklore"), method=method, n=len(weights), utility="1 − Levenshtein / max length",
                     config=DecodeConfig(), candidates=candidates, matrix=matrix, choice=choice,
                     beam=anchor("beam search's best (width 5)", beam), mode=anchor("the mode (exact search)", beam))


FOLKLORE = result_of([0.46, 0.38, 0.16], [[1, 0.67, 0.57], [0.67, 1, 0.86], [0.57, 0.86, 1]], choice=1)


def assert_valid(fig: go.Figure) -> None:
    assert json.loads(go.Figure(fig.to_dict()).to_json()) == json.loads(fig.to_json())


def test_the_heatmap_is_the_matrix_with_the_choice_starred_and_marked():
    fig = matrix_figure(FOLKLORE)
    assert_valid(fig)
    heat = fig.data[0]
    assert np.asarray(heat.z) == pytest.approx(FOLKLORE.matrix)
    assert list(heat.x) == ["#1", "#2", "#3"] and heat.zmin == 0 and heat.zmax == 1
    assert heat.y[1].startswith("<b>★ #2 F OW K L AO R") and heat.y[1].endswith("✓</b>")
    assert heat.y[0].startswith("#1 F OW K L ER") and "✗" in heat.y[0]
    assert heat.texttemplate == "%{z:.2f}"  # few rows: the values are written in the cells


def test_bars_are_the_expected_utilities_best_first_the_choice_in_the_accent_colour():
    fig = expected_figure(FOLKLORE)
    assert_valid(fig)
    bar = fig.data[0]
    assert list(np.asarray(bar.x)) == sorted(FOLKLORE.expected.astype(np.float32), reverse=True)
    assert bar.marker.color[0] == "#ea580c" and "★" in fig.layout.yaxis.ticktext[0]
    assert "[beam, mode]" in fig.layout.yaxis.ticktext[1]  # beam search's best and the mode are candidate #1
    assert "renormalised" in fig.layout.xaxis.title.text


def test_an_anchor_that_was_not_drawn_gets_its_own_grey_bar():
    undrawn = dict(tokens=("F", "OW"), candidate=-1, expected_utility=0.3)
    both = dataclasses.replace(FOLKLORE, beam=dataclasses.replace(FOLKLORE.beam, **undrawn),
                               mode=dataclasses.replace(FOLKLORE.mode, **undrawn))
    ticks = expected_figure(both).layout.yaxis.ticktext
    assert len(ticks) == 4 and ticks[3].startswith("F OW") and ticks[3].endswith("[beam, mode, not drawn]")
    beam_only = dataclasses.replace(FOLKLORE, beam=both.beam)
    ticks = expected_figure(beam_only).layout.yaxis.ticktext
    assert len(ticks) == 4 and "[beam, not drawn]" in ticks[3] and ticks[1].endswith("[mode]")


def test_only_the_top_candidates_are_charted_but_the_choice_always_is():
    n = TOP + 10
    weights = np.full(n, 1 / n)
    many = result_of(weights, np.eye(n), choice=n - 1, beam=n - 2)
    kept = shown_indices(many)
    assert len(kept) == TOP and {n - 1, n - 2} <= set(kept)
    assert f"{TOP} of {n} shown" in matrix_figure(many).layout.title.text
    assert matrix_figure(many).data[0].texttemplate is None  # too many cells to write in


def test_the_comparison_marks_each_choice_against_the_dictionary_or_not_at_all():
    text = comparison_markdown(FOLKLORE)
    rows = text.splitlines()
    assert "MBR's choice" in rows[2] and "F OW K L AO R" in rows[2] and "✓ dictionary" in rows[2]
    assert "beam search's best" in rows[3] and "✗" in rows[3] and "the mode" in rows[4]
    plain = result_of([0.46, 0.38, 0.16], FOLKLORE.matrix, choice=1, correct=None)
    assert "✓" not in comparison_markdown(plain) and "✗" not in comparison_markdown(plain)


def test_the_summary_says_whether_mbr_left_beam_search():
    assert "not beam search's best" in summary_markdown(FOLKLORE, "folklore") and "**folklore**" in \
        summary_markdown(FOLKLORE, "folklore")
    agree = dataclasses.replace(FOLKLORE, choice=0)
    assert "the same as beam search's best" in summary_markdown(agree, "folklore")
    assert "press Run MBR" in matrix_figure(None).layout.annotations[0].text
