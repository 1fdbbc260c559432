"""Beam search (and diverse beam search) on scripted models with hand-computed answers."""

import math

import pytest
import torch
from decoding_cases import BEAM_MISSES, SHORT_OR_LONG, exhaustive
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.decoding import DecodeConfig, decode
from playground.decoding.common import length_penalty, top_values
from playground.decoding.scripted import ScriptedModel, random_scripted_model


def beam(model, **kw):
    return decode(model, "ab", DecodeConfig(strategy="beam", **kw))


def words(hypotheses):
    return ["".join(h.tokens) for h in hypotheses]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), num_symbols=st.integers(1, 4), depth=st.integers(1, 4),
       zero_prob=st.sampled_from([0.0, 0.3]))
def test_beam_width_one_is_greedy(seed, num_symbols, depth, zero_prob):
    model = random_scripted_model(seed, num_symbols=num_symbols, depth=depth, zero_prob=zero_prob)
    greedy = decode(model, "ab", DecodeConfig(strategy="greedy", max_length=6))
    for formula in ("none", "length", "gnmt"):
        one = beam(model, beam_width=1, max_length=6, length_penalty_formula=formula, early_stopping=True)
        assert one.hypotheses[0].tokens == greedy.hypotheses[0].tokens
        assert one.hypotheses[0].log_prob == pytest.approx(greedy.hypotheses[0].log_prob, abs=1e-5)
    none = beam(model, beam_width=1, max_length=6, length_penalty_formula="none")  # no early stop needed
    assert none.hypotheses[0].tokens == greedy.hypotheses[0].tokens


@pytest.mark.parametrize("formula, alpha", [("none", 1.0), ("length", 1.0), ("length", -0.5), ("gnmt", 2.0)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_beam_wider_than_the_tree_equals_the_exhaustive_ranking(seed, formula, alpha):
    # 2 symbols, depth 3: at most 2^3 = 8 live prefixes and 15 outputs, so width 16 never prunes.
    model = random_scripted_model(seed, num_symbols=2, depth=3)
    result = beam(model, beam_width=16, num_return=16, max_length=4, length_penalty_formula=formula,
                  length_penalty=alpha)
    config = DecodeConfig(length_penalty_formula=formula, length_penalty=alpha)
    reference = sorted(((seq, lp / length_penalty(len(seq) + 1, config)) for seq, lp in exhaustive(model, 4)),
                       key=lambda item: -item[1])
    assert [h.tokens for h in result.hypotheses] == [seq for seq, _ in reference]
    assert [h.score for h in result.hypotheses] == pytest.approx([s for _, s in reference], abs=1e-5)
    assert all(h.finished for h in result.hypotheses) and not result.trace.truncated


def test_length_penalty_flips_the_winner():
    # see tests/decoding_cases.py: "a" (p .4, L 2) against "bc" (p .2835, L 3)
    assert words(beam(SHORT_OR_LONG, beam_width=2, length_penalty_formula="none").hypotheses) == ["a"]
    assert words(beam(SHORT_OR_LONG, beam_width=2, length_penalty=0.0).hypotheses) == ["a"]
    assert words(beam(SHORT_OR_LONG, beam_width=2, length_penalty=1.0).hypotheses) == ["bc"]
    assert words(beam(SHORT_OR_LONG, beam_width=2, length_penalty=-1.0).hypotheses) == ["a"]
    assert words(beam(SHORT_OR_LONG, beam_width=2, length_penalty_formula="gnmt").hypotheses) == ["a"]
    assert words(beam(SHORT_OR_LONG, beam_width=2, length_penalty_formula="gnmt", length_penalty=3.0)
                 .hypotheses) == ["bc"]


def test_penalty_applies_to_finished_hypotheses_with_raw_log_prob_kept():
    result = beam(SHORT_OR_LONG, beam_width=2, num_return=2, length_penalty=1.0)
    best, second = result.hypotheses
    assert best.log_prob == pytest.approx(math.log(0.35 * 0.9 * 0.9), abs=1e-6)
    assert best.score == pytest.approx(best.log_prob / 3, abs=1e-6)  # L = 3 tokens with </s>
    assert second.tokens == ["a"] and second.score == pytest.approx(math.log(0.4) / 2, abs=1e-6)
    gnmt = beam(SHORT_OR_LONG, beam_width=2, length_penalty_formula="gnmt", length_penalty=1.0).hypotheses[0]
    assert gnmt.score == pytest.approx(math.log(0.4) / (7 / 6), abs=1e-6)  # ((5 + 2) / 6)^1


def test_candidates_statuses_and_batching():
    model = ScriptedModel(target_symbols="abc", table={"": {"a": 0.5, "b": 0.3, "c": 0.15, "</s>": 0.05}})
    result = beam(model, beam_width=2, num_return=2, length_penalty_formula="none")
    trace = result.trace
    first = trace.steps[0]
    # top 2k = 4 candidates from the root: a, b kept; c pruned; </s> at rank 3 >= k is not finished
    assert [(trace.nodes[i].token, trace.nodes[i].status) for i in first.candidates] == [
        (3, "kept"), (4, "kept"), (5, "pruned"), (2, "pruned")]
    assert (first.chosen == -1).all() and (first.chosen_rank == -1).all()
    assert len(trace.steps[1].node_ids) == 2 and model.batch_sizes[-1] == 2  # both beams in one call
    assert words(result.hypotheses) == ["a", "b"]
    assert {trace.nodes[h.node].status for h in result.hypotheses} == {"finished"}


def test_early_stopping_stops_once_the_pool_is_full():
    # "" -> "a" finishes at once with p .5; the live "b" (.45) could still reach .45 * .9 = .405 ...
    model = ScriptedModel(target_symbols="ab", table={"": {"</s>": 0.5, "b": 0.45, "a": 0.05},
                                                      "b": {"</s>": 0.9, "a": 0.1}})
    early = beam(model, beam_width=1, early_stopping=True, length_penalty=2.0)
    assert words(early.hypotheses) == [""]
    assert len(early.trace.steps) == 1
    # ... and with length penalty L^2, "b" scores log(.405) / 4 = -0.226 > log(.5) / 1 = -0.693. The live
    # "ba" (p .045) could still score log(.045) / 32^2 > -0.226 by max_length, so the search goes on until
    # "ba</s>" (log(.045) / 9 = -0.345) is out too.
    patient = beam(model, beam_width=1, early_stopping=False, length_penalty=2.0)
    assert words(patient.hypotheses) == ["b"] and len(patient.trace.steps) == 3
    assert [t.status for t in patient.trace.nodes if t.token == 2] == ["pruned", "finished", "pruned"]


def test_max_length_adds_live_beams_as_unfinished():
    endless = ScriptedModel(target_symbols="ab", steps=[{"a": 0.6, "b": 0.4}, {"a": 0.7, "b": 0.3},
                                                       {"a": 0.8, "b": 0.2}, {"a": 1.0}])
    result = beam(endless, beam_width=2, num_return=2, max_length=3)
    # live after t=1: aa (.42), ba (.28); after t=2: aaa (.336), baa (.224)
    assert words(result.hypotheses) == ["aaa", "baa"] and not any(h.finished for h in result.hypotheses)
    assert result.hypotheses[0].score == pytest.approx(math.log(0.336) / 3, abs=1e-6)
    assert result.trace.truncated and "max_length=3" in result.trace.message


def test_diverse_beam_with_one_group_is_beam_search():
    model = random_scripted_model(4, num_symbols=3, depth=3)
    plain = beam(model, beam_width=4, num_return=4)
    diverse = decode(model, "ab", DecodeConfig(strategy="diverse_beam", beam_width=4, num_return=4))
    assert diverse.hypotheses == plain.hypotheses


def test_diversity_penalty_steers_later_groups_away_from_earlier_choices():
    ends = {"</s>": 1.0}
    model = ScriptedModel(target_symbols="abc", table={"": {"a": 0.6, "b": 0.3, "c": 0.1},
                                                       "a": ends, "b": ends, "c": ends})
    config = dict(strategy="diverse_beam", beam_width=2, num_groups=2, num_return=2,
                  length_penalty_formula="none")
    same = decode(model, "ab", DecodeConfig(**config, diversity_penalty=0.0))
    # both groups take the best token; the merged list names that output once
    assert words(same.hypotheses) == ["a"]
    assert [n.status for n in same.trace.nodes if n.token == 2].count("finished") == 2
    diverse = decode(model, "ab", DecodeConfig(**config, diversity_penalty=1.0))
    # group 2 sees log .6 - 1 = -1.51 for "a" and log .3 = -1.20 for "b": it takes "b"
    assert words(diverse.hypotheses) == ["a", "b"]
    assert diverse.hypotheses[1].score == pytest.approx(math.log(0.3), abs=1e-6)  # no penalty in the score
    steps = diverse.trace.steps
    assert [s.t for s in steps] == [0, 0, 1, 1]  # one Step per group and t
    hamming = [diverse.trace.nodes[i] for i in steps[1].candidates if diverse.trace.nodes[i].token == 3][0]
    assert hamming.score == pytest.approx(math.log(0.6) - 1.0, abs=1e-6)  # the penalised ranking key
    strong = decode(model, "ab", DecodeConfig(**config, diversity_penalty=10.0))
    assert words(strong.hypotheses) == ["a", "b"]


def test_beam_search_misses_what_a_wider_beam_finds():
    assert words(beam(BEAM_MISSES, beam_width=1, length_penalty_formula="none").hypotheses) == ["ac"]
    assert words(beam(BEAM_MISSES, beam_width=2, length_penalty_formula="none").hypotheses) == ["b"]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_the_chunked_top_candidates_are_topks_very_tensors(dtype):
    """common.top_values looks for a beam's candidates among the chunks with the largest maxima; what it returns is
    what topk over every value returns, ties (where topk's own order decides) and -inf rows included."""
    generator = torch.Generator().manual_seed(0)
    for trial in range(60):
        rows, size = 1 + trial % 3, 3_000 + 977 * trial  # (sizes that leave a shorter last chunk)
        values = torch.randn(rows, size, generator=generator, dtype=torch.float64).to(dtype)
        if trial % 3 == 0:
            values = values.mul(3).round()  # many ties
        if trial % 5 == 0:
            values[:, : size // 2] = float("-inf")
        count = 1 + trial % 11
        expected = values.topk(count, dim=1)
        found = top_values(values, count)
        assert torch.equal(found[0], expected.values) and torch.equal(found[1], expected.indices)


def test_a_search_adds_the_models_float32_log_softmax_widened_to_float64():
    """As generate()'s beam search adds float32 log-softmax scores; removed tokens at -inf, not renormalised."""
    from playground.decoding.common import search_log_probs
    from playground.decoding.pipeline import FilterSettings

    logits = torch.tensor([[0.1, 1.3, -2.0, 0.7], [2.5, -1.0, 0.0, 0.3]])  # (B, V) float32
    expected = torch.log_softmax(logits, dim=-1).double()
    expected[:, 2] = -math.inf
    history = torch.zeros(2, 0, dtype=torch.long)
    settings = FilterSettings()
    by_ids = search_log_probs(logits, logits, settings, history, samples=False, banned=torch.tensor([2]))
    filtered = logits.clone()
    filtered[:, 2] = -math.inf
    by_mask = search_log_probs(logits, filtered, settings, history, samples=False)
    for out in (by_ids, by_mask):
        assert out.dtype == torch.float64 and torch.equal(out, expected)
