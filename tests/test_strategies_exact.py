"""Exact search (depth-first branch and bound): it finds the model's most probable output, which beam
search can miss, and says when its node budget cut it short."""

import math

import pytest
from decoding_cases import BEAM_MISSES, exhaustive
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.decoding import DecodeConfig, decode
from playground.decoding.scripted import ScriptedModel, random_scripted_model


def exact(model, **kw):
    return decode(model, "ab", DecodeConfig(strategy="exact", **kw))


def test_exact_finds_what_beam_search_misses():
    config = DecodeConfig(strategy="beam", beam_width=1, length_penalty_formula="none")
    beam = decode(BEAM_MISSES, "ab", config)
    assert beam.hypotheses[0].tokens == ["a", "c"]
    result = exact(BEAM_MISSES, beam_width=1)
    (best,) = result.hypotheses
    assert best.tokens == ["b"] and best.finished
    assert best.score == pytest.approx(math.log(0.36), abs=1e-6)
    assert best.log_prob == pytest.approx(best.score)
    assert best.score > beam.hypotheses[0].score
    assert "missed the best" in result.trace.message and not result.trace.truncated


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), num_symbols=st.integers(1, 3), depth=st.integers(1, 4),
       zero_prob=st.sampled_from([0.0, 0.3]), width=st.integers(1, 3))
def test_exact_score_is_the_exhaustive_maximum_and_at_least_beams(seed, num_symbols, depth, zero_prob, width):
    model = random_scripted_model(seed, num_symbols=num_symbols, depth=depth, zero_prob=zero_prob)
    result = exact(model, beam_width=width, max_length=5)
    best_tokens, best_log_prob = exhaustive(model, 5)[0]
    assert result.hypotheses[0].tokens == best_tokens
    assert result.hypotheses[0].score == pytest.approx(best_log_prob, abs=1e-5)
    beam = decode(model, "ab", DecodeConfig(strategy="beam", beam_width=width, max_length=5,
                                            length_penalty_formula="none"))
    assert result.hypotheses[0].score >= beam.hypotheses[0].score - 1e-6


def test_the_trace_holds_the_best_path_with_steps_and_the_explored_prefixes():
    trace = exact(BEAM_MISSES, beam_width=1).trace
    best = trace.hypotheses[0]
    path = trace.path(best.node)
    assert [trace.nodes[i].token for i in path] == [1, 4, 2]  # <s> b </s>
    assert [trace.nodes[i].status for i in path] == ["kept", "kept", "finished"]
    assert [int(s.chosen[0]) for s in trace.steps] == [4, 2]  # teacher-forced re-scoring of the path
    assert trace.steps[0].chosen_rank[0] == 1  # "b" was the model's second choice at step 0
    explored = [n for n in trace.nodes if n.status == "pruned"]
    assert explored and all(trace.nodes[n.parent].status == "kept" for n in explored)
    assert trace.attention_path(best.node).shape == (2, 2)


def test_node_budget_truncates_and_says_so():
    wide = random_scripted_model(3, num_symbols=4, depth=4)
    result = exact(wide, beam_width=1, node_budget=3, max_length=6)
    assert result.trace.truncated and "node_budget=3" in result.trace.message
    assert result.hypotheses and result.hypotheses[0].finished  # the beam seed at least
    assert not exact(wide, beam_width=1, node_budget=100_000, max_length=6).trace.truncated


def test_outputs_must_end_within_max_length():
    # the best output "aaa" (p .9^3 .99) needs 4 tokens with </s>; within 3 the best is "" (p .05)
    model = ScriptedModel(target_symbols="a", steps=[{"a": 0.95, "</s>": 0.05}, {"a": 0.95, "</s>": 0.05},
                                                     {"a": 0.99, "</s>": 0.01}])
    assert exact(model, max_length=3).hypotheses[0].tokens == []
    assert exact(model, max_length=4).hypotheses[0].tokens == ["a", "a", "a"]


def test_nothing_ends_in_time_falls_back_to_the_beams_cut_off_output():
    endless = ScriptedModel(target_symbols="a", steps=[{"a": 1.0}] * 5)
    result = exact(endless, max_length=3)
    assert result.hypotheses[0].tokens == ["a", "a", "a"] and not result.hypotheses[0].finished
