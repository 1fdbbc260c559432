"""The page's behaviour without a server: decode, render, clamp, summarise, the strict /decode."""

from __future__ import annotations

import json

import pytest
from test_ui_plots import colonel_model

from playground.decoding.trace import Trace
from playground.models.checkpoint import CheckpointError
from playground.models.vocab import InputError
from playground.ui.common.controls import UiParams
from playground.ui.explore.handlers import Session, api_decode, clamp_step, render_views, run_decode, summary_markdown
from playground.ui.store import ModelStore
from tests.conftest import tiny_model


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
    assert "Step 5" in views.distribution.layout.title.text
    assert "K OW L AH  /koʊlə/" in views.summary


def test_summary_has_input_output_ipa_and_probability(store):
    session = run_decode(store, "colonel", "colonel", UiParams(strategy="greedy"))
    text = summary_markdown(session)
    assert text.startswith("**colonel** → **K ER N AH L  /kɚnəl/**")
    assert "p = 0.272" in text  # .9 * .6 * .8 * .7 * .9 * 1
    assert summary_markdown(Session()) == "No output yet."


def test_summary_reports_cut_outputs_and_engine_notes(store):
    session = run_decode(store, "colonel", "colonel", UiParams(strategy="greedy", max_length=2))
    assert "cut at the maximum length" in summary_markdown(session)
    assert "max_length" in summary_markdown(session)  # the engine's message, in italics


def test_clamp_step():
    session = run_decode(ModelStore({"c": colonel_model()}), "c", "colonel", UiParams())
    assert [clamp_step(session.trace, 0, t) for t in (-5, 0, 3, 99)] == [0, 0, 3, 5]
    assert clamp_step(None, 0, 4) == 0


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


def test_each_update_is_well_under_100_kb(store):
    params = UiParams(strategy="beam", beam_width=8, max_length=20)
    session = run_decode(store, "tiny", "worcestershire", params)
    views = render_views(session, 0, 4)
    figures = [views.results, views.distribution, views.attention, views.tree, views.uncertainty]
    assert sum(len(f.to_json()) for f in figures) + len(views.summary) < 60_000


def test_sessions_do_not_share_state(store):
    a = run_decode(store, "tiny", "cat", UiParams())
    b = run_decode(store, "tiny", "bat", UiParams())
    assert a.trace is not b.trace and a.trace.source == list("cat") and b.trace.source == list("bat")
