"""Issue 7, budgets: every long computation stops within its time budget, keeps what it found and says so
(trace.truncated, trace.message) on every surface; a trace's size is bounded however many samples are
drawn. No timing is asserted beyond "it stopped and said so": a budget of 1e-9 s is spent after one step."""

from __future__ import annotations

import io
import json

import pytest
from helpers import tiny_model

from playground.cli import main
from playground.decoding import STRATEGIES, DecodeConfig, decode
from playground.decoding.budget import Deadline, cut_by_budget
from playground.decoding.recorder import MAX_STEP_ROWS, MAX_TRACE_ROWS
from playground.decoding.scripted import ScriptedModel
from playground.ui.common.controls import UiParams
from playground.ui.explore.handlers import run_decode
from playground.ui.explore.service import ExploreService, respond
from playground.ui.store import ModelStore

# Every step: "a" (p .9) or </s> (p .1), for 60 steps: every strategy runs to max_length unless stopped.
LONG = ScriptedModel(target_symbols="ab", steps=[{"a": 0.8, "b": 0.1, "</s>": 0.1}] * 60)
SPENT = 1e-9  # seconds: over as soon as it is checked, i.e. after the first step


def config(strategy: str, **kw) -> DecodeConfig:
    base = dict(strategy=strategy, max_length=40, beam_width=4, num_groups=2 if strategy == "diverse_beam" else 1,
                num_samples=8, num_return=2, node_budget=100_000)
    return DecodeConfig(**{**base, **kw})


def test_the_deadline_follows_its_clock():
    now = [100.0]
    deadline = Deadline(2.0, clock=lambda: now[0])
    assert not deadline.expired() and deadline.elapsed() == 0.0
    now[0] = 101.9
    assert not deadline.expired()
    now[0] = 102.0
    assert deadline.expired() and deadline.seconds == 2.0


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_strategy_stops_when_the_time_is_spent_and_says_so(strategy):
    full = decode(LONG, "ab", config(strategy))
    cut = decode(LONG, "ab", config(strategy, time_budget_s=SPENT))
    assert cut.trace.truncated and "time budget (time_budget_s=1e-09) ran out" in cut.trace.message
    assert "time budget" not in full.trace.message  # the default budget (10 s) is plenty here
    assert cut.hypotheses and all(0 < h.node < len(cut.trace.nodes) for h in cut.hypotheses)  # what it had
    if strategy != "exact":  # (exact search re-scores its best path with teacher forcing: no budget there)
        assert max(s.t for s in cut.trace.steps) == 0 < max(s.t for s in full.trace.steps)
        assert "Stopped after step 1 of at most 40" in cut.trace.message


def test_exact_search_shares_one_budget_with_its_beam_seed():
    wide = ScriptedModel(target_symbols="abcd", steps=[{"a": 0.3, "b": 0.3, "c": 0.2, "d": 0.1, "</s>": 0.1}] * 12)
    cut = decode(wide, "ab", DecodeConfig(strategy="exact", max_length=12, time_budget_s=SPENT))
    assert cut.trace.truncated and "Stopped the exact search after evaluating 1 nodes" in cut.trace.message
    assert len(cut.hypotheses) == 1 and "it found the best" not in cut.trace.message  # nothing proven


def test_a_trace_keeps_at_most_so_many_step_rows_but_every_node():
    result = decode(LONG, "ab", config("sample", num_samples=200, num_return=200, max_length=40))
    trace = result.trace
    rows = [len(s.node_ids) for s in trace.steps]
    assert max(rows) == MAX_STEP_ROWS and sum(rows) <= MAX_TRACE_ROWS
    assert f"at most {MAX_STEP_ROWS} rows per step and {MAX_TRACE_ROWS} in all" in trace.message
    assert len(trace.hypotheses) == 200 and all(trace.nodes[h.node].id == h.node for h in trace.hypotheses)
    assert len(json.dumps(trace.to_dict())) < 6_000_000


def test_the_cli_reports_a_cut_short_search():
    out = io.StringIO()
    assert main(["--strategy", "beam", "--max-length", "40", "--time-budget-s", str(SPENT), "--json", "ab"],
                model=LONG, out=out) == 0
    line = json.loads(out.getvalue())
    assert line["truncated"] and "time budget" in line["message"] and line["hypotheses"]
    out = io.StringIO()
    main(["--strategy", "greedy", "--max-length", "40", "--time-budget-s", str(SPENT), "ab"], model=LONG, out=out)
    assert "  cut short: Stopped after step 1 of at most 40" in out.getvalue()


def test_budget_cuts_are_told_apart_from_the_chosen_max_length():
    assert cut_by_budget(decode(LONG, "ab", config("beam", time_budget_s=SPENT)).trace)
    assert cut_by_budget(decode(LONG, "ab", config("exact", node_budget=2)).trace)
    at_max_length = decode(LONG, "ab", config("greedy", max_length=3)).trace
    assert at_max_length.truncated and not cut_by_budget(at_max_length)


def test_the_page_shows_a_budget_cut_in_the_summary_and_the_status_line():
    store = ModelStore({"tiny": tiny_model()})
    params = UiParams(strategy="beam", beam_width=4, max_length=40, time_budget_s=SPENT)
    session = run_decode(store, "tiny", "cat", params)
    cut = json.loads(respond(session, 0, {}, warning=session.trace.message))
    assert session.trace.truncated and "time budget" in cut["summary"] and "time budget" in cut["warning"]
    short = UiParams(strategy="greedy", max_length=1)  # cut at the chosen length: the summary says so, no warning
    answer = json.loads(ExploreService(store, concurrency=1).explore(
        {"token": "t", "model": "tiny", "text": "cat", **short.controls()}))
    assert "max_length=1" in answer["summary"] and answer["warning"] == ""


@pytest.mark.parametrize("name", ["PLAYGROUND_DECODE_MAX_LOGITS", "PLAYGROUND_TRACES_MAX_BYTES",
                                  "PLAYGROUND_MAX_RESPONSE_BYTES"])
def test_a_bound_set_in_the_environment_is_a_positive_whole_number_or_a_message_naming_it(monkeypatch, name):
    from playground.decoding.budget import max_logits
    from playground.ui.explore.service import traces_max_bytes
    from playground.ui.store import max_response_bytes

    read = {"PLAYGROUND_DECODE_MAX_LOGITS": max_logits, "PLAYGROUND_TRACES_MAX_BYTES": traces_max_bytes,
            "PLAYGROUND_MAX_RESPONSE_BYTES": max_response_bytes}[name]
    default = read()
    monkeypatch.setenv(name, " 12 ")
    assert read() == 12
    for bad in ("0", "-3", "1e6", "lots"):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ValueError, match=f"{name} must be a whole number"):
            read()
    monkeypatch.setenv(name, "")
    assert read() == default > 12
