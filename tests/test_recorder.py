"""Recorder.finish builds every step at once; each Step holds what a per-step computation would."""

import math

import numpy as np
import pytest
import torch

from playground.decoding.protocol import StepOutput
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


# --- large vocabularies: rows cut to their top columns, statistics exact -----------------------------------------
class RandomLogits:
    """A step model over ``vocab`` target symbols whose logits are random but a function of the prefix (so two
    decodes see the same model), </s> unlikely so that decodes run to max_length; attention over 3 layers x 2
    heads."""

    def __init__(self, vocab: int = 50_000):
        from playground.models.vocab import SPECIALS, Vocab

        self.source_vocab = Vocab(symbols=(*SPECIALS, *"abc"), kind="chars")
        self.target_vocab = Vocab(symbols=(*SPECIALS, *(f"t{i}" for i in range(vocab - 3))), kind="words")
        self.outputs = frozenset({"attention"})

    def encode(self, src_ids):
        return ((),) * src_ids.shape[0], src_ids.shape[1]

    def step(self, prev, state):
        prefixes, length = state
        prefixes = tuple(p + (int(token),) for p, token in zip(prefixes, prev.tolist(), strict=True))
        logits = torch.stack([torch.randn(len(self.target_vocab), generator=torch.Generator().manual_seed(
            hash(p) % 2**31)) * 3 for p in prefixes])  # (B, V)
        logits[:, self.target_vocab.eos_id] = -20.0
        return StepOutput(logits=logits, state=(prefixes, length),
                          attention=torch.full((len(prefixes), 3, 2, length), 1.0 / length))

    def reorder(self, state, index):
        return tuple(state[0][i] for i in index.tolist()), state[1]


def decode_recorded(model, config, top_n=None, monkeypatch=None):
    """decode, its recorders keeping ``top_n`` columns (None: the default, TRACE_TOP_N)."""
    from playground.decoding import DecodeConfig, decode, recorder

    if top_n is not None:
        monkeypatch.setattr(recorder, "TRACE_TOP_N", top_n)
    return decode(model, "abc", DecodeConfig(**config)).trace


@pytest.mark.parametrize("config", [dict(strategy="sample", num_samples=3, top_k=100, top_p=0.9, temperature=1.5),
                                    dict(strategy="beam", beam_width=4, num_return=4)])
def test_a_large_vocabulary_keeps_exact_statistics_and_its_top_columns(config, monkeypatch):
    """The same decode recorded twice, cut to 50 columns and whole (top_n = V): everything computed over the
    whole vocabulary is equal, the kept columns hold the whole rows' values, and the mass outside them is exact."""
    from helpers import check_trace_columns

    model, config = RandomLogits(vocab=3000), dict(config, max_length=6)
    cut = decode_recorded(model, config)
    whole = decode_recorded(model, config, top_n=3000, monkeypatch=monkeypatch)
    assert cut.hypotheses == whole.hypotheses and cut.nodes == whole.nodes
    check_trace_columns(cut)
    check_trace_columns(whole)
    for a, b in zip(cut.steps, whole.steps, strict=True):
        assert a.cut and not b.cut and a.logits.shape[1] == 50 and b.logits.shape[1] == 3000
        for name in ("kept", "entropy", "entropy_temperature", "entropy_filtered", "chosen", "chosen_rank",
                     "chosen_prob"):
            np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-6)
        for row in range(len(a.node_ids)):
            for name in ("logits", "log_probs", "probs_temperature", "probs_filtered"):
                np.testing.assert_array_equal(getattr(a, name)[row], getattr(b, name)[row, a.columns[row]])
            for k, probs in enumerate((np.exp(b.log_probs[row]), b.probs_temperature[row], b.probs_filtered[row])):
                left_out = np.delete(probs.astype(np.float64), a.columns[row]).sum()
                assert a.outside[row, k] == pytest.approx(left_out, abs=1e-6)
            assert (np.diff(a.log_probs[row]) <= 0).all()  # columns most probable first (T=1)
            assert np.array_equal(np.sort(a.columns[row][:10]), np.sort(np.argsort(-b.log_probs[row])[:10]))


def test_a_50k_vocabulary_decode_stays_within_the_stated_json_bound():
    """recorder.py's bound: per recorded row at most 5·W + 11 numbers (one model) and its attention, at most
    JSON_BYTES_PER_NUMBER bytes each; whole rows of 50,000 logits would be ~1 MB of JSON per row and array."""
    import json

    from playground.decoding.recorder import JSON_BYTES_PER_NUMBER, TRACE_TOP_N

    trace = decode_recorded(RandomLogits(), dict(strategy="beam", beam_width=4, num_return=4, max_length=64))
    steps = trace.to_dict()["steps"]
    rows = sum(len(s["node_ids"]) for s in steps)
    assert len(steps) == 64 and rows == 1 + 63 * 4
    for step in steps:
        h, width = len(step["node_ids"]), len(step["columns"][0])
        numbers = h * (5 * width + 11 + 3 * 2 * 3)  # + attention: 3 layers x 2 heads x 3 source symbols
        assert width == TRACE_TOP_N
        assert len(json.dumps(step)) <= numbers * JSON_BYTES_PER_NUMBER + 400  # + the keys and candidates
    assert len(json.dumps(trace.to_dict())) < 2_000_000  # 253 rows; whole rows would be ~1 GB


def test_traces_written_before_columns_existed_still_load():
    from decoding_cases import BEAM_MISSES

    from playground.decoding import DecodeConfig, decode
    from playground.decoding.trace import Trace

    trace = decode(BEAM_MISSES, "abc", DecodeConfig(strategy="beam", beam_width=2, num_return=2)).trace
    old = trace.to_dict()
    for step in old["steps"]:
        for key in ("columns", "outside", "member_outside"):
            del step[key]
    assert Trace.from_dict(old) == trace and not trace.steps[0].cut
    assert trace.steps[0].column(0, 4) == 4 and trace.steps[0].dense("log_probs", 0, 7).shape == (7,)


def test_summarising_a_large_vocabulary_in_batches_changes_nothing(monkeypatch):
    """Rows held past PENDING_VALUES are summarised early (memory stays bounded): the trace is the same."""
    from playground.decoding import recorder as module

    model, config = RandomLogits(vocab=3000), dict(strategy="beam", beam_width=3, num_return=3, max_length=5)
    at_the_end = decode_recorded(model, config)
    monkeypatch.setattr(module, "PENDING_VALUES", 2 * 3000)  # summarise every step or two
    assert decode_recorded(model, config) == at_the_end and at_the_end.steps[0].cut


def test_the_columns_are_a_set_of_the_largest_values_found_by_chunks():
    """columns.top_columns, over 64-value chunks for a large vocabulary: distinct positions holding each row's
    ``width`` largest values (which of equal values, either)."""
    from playground.decoding.columns import top_columns

    generator = torch.Generator().manual_seed(1)
    for trial in range(30):
        values = torch.rand(1 + trial % 4, 50_000 - 7 * trial, generator=generator)
        if trial % 2:
            values = values.mul(20).floor()  # ties
        columns = top_columns(values, 50)
        assert all(len(set(row)) == 50 for row in columns.tolist())
        assert torch.equal(values.gather(1, columns).sort(1).values, values.topk(50, dim=1).values.sort(1).values)
