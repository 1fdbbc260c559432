"""The page's behaviour without a server: decode, render, clamp, summarise, the strict /decode."""

from __future__ import annotations

import json

import pytest
from helpers import colonel_model, tiny_model

from playground.decoding.trace import Trace
from playground.models.checkpoint import CheckpointError
from playground.models.vocab import InputError
from playground.ui.common.controls import UiParams
from playground.ui.explore import charts
from playground.ui.explore.handlers import api_decode, render_views, run_decode, summary_html
from playground.ui.explore.selection import Selection
from playground.ui.store import ModelStore


@pytest.fixture
def store():
    return ModelStore({"colonel": colonel_model(), "tiny": tiny_model()})


def test_run_decode_keeps_the_trace_and_the_input(store):
    session = run_decode(store, "colonel", " Colonel ", UiParams(strategy="greedy"))
    assert session.trace.source == list("colonel") and session.model == "colonel" and session.notes == []
    assert session.trace.hypotheses[0].tokens == ["K", "ER", "N", "AH", "L"]


def test_render_views_for_the_selected_hypothesis_and_step(store):
    session = run_decode(store, "colonel", "colonel", UiParams(strategy="beam", beam_width=3, num_return=2))
    views = render_views(session, hyp=1, t=99)  # a step past the end is clamped to the last one
    # length-normalised: K OW L AH (p .18 over 5 tokens) beats K ER N (p .13 over 4)
    labels = [label for label, _ in views.hypotheses]
    assert labels == ["1. K ER N AH L  /kɚnəl/", "2. K OW L AH  /koʊlə/"]
    assert views.steps == 5  # K OW L AH </s>
    assert "Step 5" in views.figure("distribution").layout.title.text
    assert "K OW L AH  /koʊlə/" in views.summary


def test_summary_has_input_output_ipa_and_probability(store):
    session = run_decode(store, "colonel", "colonel", UiParams(strategy="greedy"))
    text = summary_html(Selection.of(session.trace))
    assert text.startswith("<b>colonel</b> → <b>K ER N AH L  /kɚnəl/</b>")
    assert "p = 0.272" in text  # .9 * .6 * .8 * .7 * .9 * 1
    nothing = Trace(strategy="greedy", config={}, source=list("cab"), target_symbols=["<pad>", "<s>", "</s>"])
    assert summary_html(Selection.of(nothing)) == "No output yet."


def test_summary_reports_cut_outputs_and_engine_notes(store):
    session = run_decode(store, "colonel", "colonel", UiParams(strategy="greedy", max_length=2))
    assert "cut at the maximum length" in summary_html(Selection.of(session.trace))
    assert "max_length" in summary_html(Selection.of(session.trace))  # the engine's message, in italics


def test_the_selection_clamps_the_hypothesis_and_the_step():
    session = run_decode(ModelStore({"c": colonel_model()}), "c", "colonel", UiParams(strategy="beam",
                                                                                     beam_width=3, num_return=2))
    sel = Selection.of(session.trace, 99)
    assert sel.index == 1 and sel.hypothesis is session.trace.hypotheses[1] and len(sel.shown) == 2
    assert [sel.clamp(t) for t in (-5, 0, 3, 99)] == [0, 0, 3, sel.steps - 1]
    assert [ps.t for ps in sel.path] == list(range(sel.steps)) and Selection.of(session.trace, -3).index == 0
    nothing = Trace(strategy="greedy", config={}, source=list("cab"), target_symbols=["<pad>", "<s>", "</s>"])
    assert Selection.of(nothing).clamp(4) == 0 and Selection.of(nothing).hypothesis is None


@pytest.mark.parametrize("text, message", [
    ("", "empty"), ("   ", "empty"), ("c0l0nel", "'0'"), ("<script>", "'<'"), ("naïve", "'ï'"),
    ("a" * 49, "maximum is 48"), ("col\u200bonel", "control or invisible"),
])
def test_bad_input_raises_a_message_for_people(store, text, message):
    with pytest.raises(InputError, match=message):
        run_decode(store, "colonel", text, UiParams())


def test_unknown_model_and_hub_ids_are_refused(store):
    with pytest.raises(CheckpointError, match="choose one of colonel, tiny"):
        run_decode(store, "nope", "cat", UiParams())
    with pytest.raises(CheckpointError, match="PLAYGROUND_ALLOW_HUB"):
        run_decode(store, "someone/g2p", "cat", UiParams())


def test_api_decode_is_strict_and_json(store):
    with pytest.raises(ValueError, match="num_return"):
        api_decode(store, "tiny", "cat", dict(strategy="beam", beam_width=2, num_return=3))
    with pytest.raises(ValueError, match="unknown DecodeConfig field"):
        api_decode(store, "tiny", "cat", dict(strategy="beam", width=2))
    out = json.loads(json.dumps(api_decode(store, "colonel", "colonel", dict(strategy="beam", num_return=2))))
    assert out["model"] == "colonel" and len(out["returned"]) == 2
    trace = Trace.from_dict({k: v for k, v in out.items() if k not in ("model", "returned")})
    assert trace.hypotheses[0].tokens == ["K", "ER", "N", "AH", "L"]


def test_the_five_charts_of_a_wide_beam_update_stay_under_60_kb(store):
    params = UiParams(strategy="beam", beam_width=8, max_length=20)
    session = run_decode(store, "tiny", "worcestershire", params)
    views = render_views(session, 0, 4)
    figures = [views.figure(chart.name) for chart in charts.CHARTS]
    assert sum(len(f.to_json()) for f in figures) + len(views.summary) < 60_000


def test_sessions_share_cached_traces_read_only(store):
    # two sessions asking for the same decoding get the store's cached trace; rendering one session's views
    # (another hypothesis, another step) must not change what the other session holds or sees
    import copy

    params = UiParams(strategy="beam", beam_width=4, num_return=3)
    a, b = (run_decode(store, "tiny", "cat", params) for _ in range(2))
    assert a.trace is b.trace  # the result cache: shared, so it must never be modified
    before, seen_by_b = copy.deepcopy(b.trace), render_views(b, 0, 0)
    for hyp in range(3):
        for t in range(4):
            render_views(a, hyp, t)
    assert b.trace == before and render_views(b, 0, 0).step_views == seen_by_b.step_views
