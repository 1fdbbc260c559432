"""Recorder.finish builds every step at once; each Step holds what a per-step computation would."""

import math

import numpy as np
import pytest
import torch

from playground.decoding.recorder import Recorder
from playground.decoding.trace import LOG_ZERO


def recorder() -> Recorder:
    return Recorder(strategy="test", config={}, source=["a", "b"], target_symbols=["x", "y", "z"])


def test_steps_of_both_kinds_are_built_by_hand_values():
    rec = recorder()
    inf = float("-inf")
    # step 0: one chain row choosing token 2; filtered keeps tokens 1 and 2
    rec.add_step(t=0, node_ids=torch.tensor([0]), logits=torch.tensor([[0.0, 0.0, math.log(2.0)]]),
                 temperature_logits=torch.tensor([[0.0, 0.0, math.log(2.0)]]),
                 filtered_logits=torch.tensor([[inf, 0.0, math.log(3.0)]]),
                 attention=torch.tensor([[0.25, 0.75]])[:, None, None], chosen=torch.tensor([2]),
                 candidates=torch.tensor([1]))
    # step 1: a beam-type step of two rows (no chosen token), uniform and one-hot
    rec.add_step(t=1, node_ids=torch.tensor([1, 2]), logits=torch.tensor([[1.0, 1.0, 1.0], [0.0, inf, inf]]),
                 temperature_logits=torch.tensor([[1.0, 1.0, 1.0], [0.0, inf, inf]]),
                 filtered_logits=torch.tensor([[1.0, 1.0, 1.0], [0.0, inf, inf]]),
                 attention=torch.tensor([[0.5, 0.5], [1.0, 0.0]])[:, None, None], candidates=torch.tensor([3, 4]))
    first, second = rec.finish([]).steps
    assert first.t == 0 and first.node_ids == [0] and first.candidates == [1]
    np.testing.assert_allclose(first.log_probs[0], np.log([0.25, 0.25, 0.5]), rtol=1e-6)
    np.testing.assert_allclose(first.probs_filtered[0], [0, 0.25, 0.75], atol=1e-7)
    assert first.kept.tolist() == [2] and first.chosen.tolist() == [2] and first.chosen_rank.tolist() == [0]
    assert first.chosen_prob[0] == pytest.approx(0.75)
    assert first.entropy[0] == pytest.approx(-(2 * 0.25 * math.log(0.25) + 0.5 * math.log(0.5)), rel=1e-6)
    assert second.node_ids == [1, 2] and second.candidates == [3, 4]
    assert second.chosen.tolist() == [-1, -1] and second.chosen_rank.tolist() == [-1, -1]
    assert second.chosen_prob.tolist() == [0.0, 0.0] and second.kept.tolist() == [3, 1]
    assert second.entropy[0] == pytest.approx(math.log(3), rel=1e-6) and second.entropy[1] == 0.0
    assert second.logits[1, 1] == LOG_ZERO  # -inf is stored as the most negative float32
    np.testing.assert_array_equal(second.attention[:, 0, 0], [[0.5, 0.5], [1.0, 0.0]])  # (H, L, K, S)
    for step in (first, second):  # dtypes of the trace contract
        assert step.logits.dtype == np.float32 and step.kept.dtype == np.int64 and step.chosen.dtype == np.int64


def test_a_chosen_token_tied_with_others_shares_their_rank():
    rec = recorder()
    logits = torch.tensor([[2.0, 1.0, 1.0], [2.0, 1.0, 1.0]])
    rec.add_step(t=0, node_ids=torch.tensor([0, 0]), logits=logits, temperature_logits=logits,
                 filtered_logits=logits, attention=torch.tensor([[1.0, 0.0], [1.0, 0.0]])[:, None, None],
                 chosen=torch.tensor([2, 0]))
    (step,) = rec.finish([]).steps
    assert step.chosen_rank.tolist() == [1, 0]


def test_no_steps_when_nothing_is_recorded():
    rec = Recorder(strategy="test", config={}, source=["a"], target_symbols=["x"], record_steps=False)
    rec.add_step(t=0, node_ids=torch.tensor([0]), logits=torch.zeros(1, 1), temperature_logits=torch.zeros(1, 1),
                 filtered_logits=torch.zeros(1, 1), attention=torch.ones(1, 1, 1, 1))
    assert rec.finish([]).steps == []


def test_large_attention_lowers_the_rows_a_trace_records():
    from playground.decoding.recorder import MAX_ATTENTION_VALUES, MAX_TRACE_ROWS

    small, large = torch.ones(1, 3, 4, 48), torch.ones(1, 6, 8, 512)  # 576 and 24,576 weights a row
    assert Recorder.row_limit(small) == MAX_TRACE_ROWS
    assert Recorder.row_limit(large) == MAX_ATTENTION_VALUES // 24_576 == 85
    rec = Recorder(strategy="test", config={}, source=["a"] * 512, target_symbols=["x", "y"])
    for t in range(90):  # one row a step: the 86th is no longer recorded, and the trace says so
        rec.add_step(t=t, node_ids=torch.tensor([t]), logits=torch.zeros(1, 2), temperature_logits=torch.zeros(1, 2),
                     filtered_logits=torch.zeros(1, 2), attention=large / 512, chosen=torch.tensor([0]))
    trace = rec.finish([])
    assert len(trace.steps) == 85 and "85 in all" in trace.message
