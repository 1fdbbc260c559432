"""The trace: JSON round trip, deep copies, navigation helpers, recording off, and the invariants every
strategy's trace keeps on random scripted models and random valid configs (hypothesis)."""

import copy
import json

import numpy as np
import pytest
from decoding_cases import BEAM_MISSES
from helpers import check_invariants, tiny_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.decoding import DecodeConfig, Trace, decode
from playground.decoding.scripted import random_scripted_model
from playground.decoding.trace import LOG_ZERO, Step


def beam_trace(**kw):
    return decode(BEAM_MISSES, "abc", DecodeConfig(strategy="beam", beam_width=2, num_return=2, **kw)).trace


def test_json_round_trip_gives_an_equal_trace():
    trace = beam_trace()
    text = json.dumps(trace.to_dict(), allow_nan=False)  # strict JSON: no NaN, no Infinity
    again = Trace.from_dict(json.loads(text))
    assert again == trace and again.to_dict() == trace.to_dict()
    step = again.steps[0]
    assert step.logits.dtype == np.float32 and step.kept.dtype == np.int64
    assert step.logits.shape == (1, len(trace.target_symbols))
    assert step.attention.shape == (1, 1, 1, 3)  # (H, L, K, S): one layer, one head


def test_impossible_tokens_are_log_zero_not_minus_infinity():
    step = beam_trace().steps[0]
    assert step.log_probs[0, 0] == LOG_ZERO and np.isfinite(step.logits).all()  # <pad> has probability 0
    assert step.probs_filtered[0, 0] == 0.0


def test_deep_copies_are_equal_and_independent():
    trace = beam_trace()
    clone = copy.deepcopy(trace)
    assert clone == trace
    clone.steps[0].probs_filtered[0, 3] = 0.5
    clone.nodes[1].status = "pruned"
    assert clone != trace and trace.steps[0].probs_filtered[0, 3] != 0.5 and trace.nodes[1].status != "pruned"


def test_path_step_row_and_attention_path():
    trace = beam_trace()
    best = trace.hypotheses[0]  # "b" </s>: root -> b -> </s>
    path = trace.path(best.node)
    assert path[0] == 0 and [trace.nodes[i].token for i in path[1:]] == [4, 2]
    assert trace.step_row(0) == (0, 0)  # the root is expanded at step 0, row 0
    where = trace.step_row(path[1])
    assert trace.steps[where[0]].node_ids[where[1]] == path[1]
    assert trace.step_row(best.node) is None  # finished leaves are never expanded
    attention = trace.attention_path(best.node)
    assert attention.shape == (2, 3) and np.allclose(attention.sum(1), 1.0)
    assert trace.attention_heads == (1, 1)


def test_attention_path_picks_a_layer_and_a_head_or_their_mean():
    trace = beam_trace()
    for step in trace.steps:  # two layers of two heads, each a distinct one-hot pattern over 3 positions
        h = len(step.node_ids)
        step.attention = np.zeros((h, 2, 2, 3), dtype=np.float32)
        step.attention[:, 0, 0, 0] = step.attention[:, 0, 1, 1] = 1.0  # layer 1: heads on positions 0 and 1
        step.attention[:, 1, 0, 2] = step.attention[:, 1, 1, 2] = 1.0  # layer 2: both heads on position 2
    node = trace.hypotheses[0].node
    assert trace.attention_heads == (2, 2)
    assert np.array_equal(trace.attention_path(node), [[0, 0, 1], [0, 0, 1]])  # last layer, mean of heads
    assert np.array_equal(trace.attention_path(node, layer=0), [[0.5, 0.5, 0], [0.5, 0.5, 0]])
    assert np.array_equal(trace.attention_path(node, layer=0, head=1), [[0, 1, 0], [0, 1, 0]])
    assert Trace.from_dict(json.loads(json.dumps(trace.to_dict()))) == trace  # 4-D arrays survive JSON


def test_a_trace_saved_with_two_dimensional_attention_still_loads():
    d = beam_trace().to_dict()
    for step in d["steps"]:
        step["attention"] = [row[0][0] for row in step["attention"]]  # (H, S), as traces were written before
    loaded = Trace.from_dict(d)
    assert loaded.steps[0].attention.shape == (1, 1, 1, 3) and loaded == beam_trace()


def test_recording_off_keeps_nodes_and_hypotheses_but_no_steps():
    on, off = beam_trace(), beam_trace(record_trace=False)
    assert off.steps == [] and off.hypotheses == on.hypotheses and off.nodes == on.nodes
    assert off.attention_path(off.hypotheses[0].node).shape == (2, 3)  # zeros: nothing recorded


def test_empty_steps_keep_their_shapes():
    step = beam_trace().steps[0].to_dict()
    step.update(node_ids=[], logits=[], log_probs=[], probs_temperature=[], probs_filtered=[], attention=[],
                kept=[], entropy=[], entropy_temperature=[], entropy_filtered=[], chosen=[], chosen_rank=[],
                chosen_prob=[])
    assert Step.from_dict(step).logits.shape == (0, 0)


# --- invariants under random models and configs ----------------------------------------------------

STRATEGY_NAMES = ("greedy", "sample", "beam", "stochastic_beam", "diverse_beam", "exact")


@st.composite
def configs(draw):
    strategy = draw(st.sampled_from(STRATEGY_NAMES))
    width = draw(st.integers(1, 4))
    groups = draw(st.sampled_from([g for g in (1, 2, 4) if width % g == 0]))
    samples = draw(st.integers(1, 6))
    return DecodeConfig(
        strategy=strategy, beam_width=width, num_groups=groups if strategy == "diverse_beam" else 1,
        num_samples=samples, num_return=draw(st.integers(1, samples if strategy == "sample" else width)),
        temperature=draw(st.sampled_from([0.0, 1e-4, 0.3, 1.0, 2.5, 100.0])),
        top_k=draw(st.integers(0, 4)), top_p=draw(st.sampled_from([1.0, 0.9, 0.5, 0.05])),
        min_p=draw(st.sampled_from([0.0, 0.1, 0.9])), typical_mass=draw(st.sampled_from([1.0, 0.5])),
        epsilon=draw(st.sampled_from([0.0, 0.05, 0.6])),
        sampler=draw(st.sampled_from(["multinomial", "gumbel"])),
        repetition_penalty=draw(st.sampled_from([1.0, 1.5, 0.7])),
        no_repeat_ngram_size=draw(st.integers(0, 2)),
        length_penalty=draw(st.sampled_from([0.0, 1.0, -1.0, 2.0])),
        length_penalty_formula=draw(st.sampled_from(["none", "length", "gnmt"])),
        early_stopping=draw(st.booleans()), diversity_penalty=draw(st.sampled_from([0.0, 0.5, 5.0])),
        max_length=(max_length := draw(st.integers(1, 5))), seed=draw(st.integers(0, 2**32)),
        prefix=draw(st.sampled_from([(), ("a",)])) if max_length > 1 else (),
        node_budget=draw(st.sampled_from([3, 200])),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_seed=st.integers(0, 10_000), num_symbols=st.integers(1, 3), depth=st.integers(1, 4),
       zero_prob=st.sampled_from([0.0, 0.4]), attention=st.sampled_from(["uniform", "monotonic"]),
       config=configs())
def test_trace_invariants_hold_for_random_models_and_configs(model_seed, num_symbols, depth, zero_prob,
                                                             attention, config):
    model = random_scripted_model(model_seed, num_symbols=num_symbols, depth=depth, zero_prob=zero_prob,
                                  attention=attention)
    result = decode(model, "ab", config)
    check_invariants(result.trace, config)
    assert result.hypotheses == result.trace.hypotheses[: config.num_return]
    assert result.trace.config == config.to_dict() and result.trace.strategy == config.strategy


@pytest.mark.parametrize("strategy", ["sample", "stochastic_beam"])
@pytest.mark.parametrize("temperature", [1e-4, 0.7, 100.0])
@pytest.mark.parametrize("filters", [{}, {"top_k": 1, "top_p": 0.01}, {"min_p": 0.5, "typical_mass": 0.2},
                                     {"epsilon": 0.3, "top_k": 3, "repetition_penalty": 2.0}])
def test_a_neural_model_trace_is_finite_for_extreme_temperatures_and_filters(strategy, temperature, filters):
    config = DecodeConfig(strategy=strategy, temperature=temperature, num_samples=4, beam_width=3,
                          max_length=6, **filters)
    check_invariants(decode(tiny_model(), "cat", config).trace, config)
