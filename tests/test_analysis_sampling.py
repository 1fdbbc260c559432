"""Sample: counts, exact and filtered probabilities (hand-computed on scripted models), diversity figures."""

from __future__ import annotations

import copy
import json
import math
from collections import Counter
from pathlib import Path

import pytest
from decoding_cases import BEAM_MISSES

from playground.analysis.sampling import (
    DistinctOutput,
    SampleStats,
    forced_log_probs,
    sample_distribution,
    sampling_config,
)
from playground.decoding import DecodeConfig, decode, score
from playground.decoding.scripted import ScriptedModel
from playground.decoding.trace import LOG_ZERO
from playground.models.vocab import InputError

CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "g2p-bahdanau"
# one symbol, then </s>: p(a) = 0.5, p(b) = 0.3, p(c) = 0.2 are the sequence probabilities themselves
ONE_SYMBOL = ScriptedModel(target_symbols="abc", table={"": {"a": 0.5, "b": 0.3, "c": 0.2}})
SEQS = [([ONE_SYMBOL.target_vocab.index[s]], True) for s in "abc"]


def test_forced_log_probs_top_k_renormalises_and_marks_the_removed_token():
    model_lp, filtered_lp = forced_log_probs(ONE_SYMBOL, "x", DecodeConfig(strategy="sample", top_k=2), SEQS)
    assert model_lp == pytest.approx([math.log(0.5), math.log(0.3), math.log(0.2)], abs=1e-6)
    assert filtered_lp[:2] == pytest.approx([math.log(0.5 / 0.8), math.log(0.3 / 0.8)], abs=1e-6)
    assert filtered_lp[2] == LOG_ZERO  # c is outside the top 2: probability 0 under the filtered distribution


def test_forced_log_probs_temperature():
    _, filtered_lp = forced_log_probs(ONE_SYMBOL, "x", DecodeConfig(strategy="sample", temperature=2.0), SEQS)
    roots = [math.sqrt(p) for p in (0.5, 0.3, 0.2)]  # p^(1/T), renormalised
    assert filtered_lp == pytest.approx([math.log(r / sum(roots)) for r in roots], abs=1e-6)


def test_forced_log_probs_is_one_batch_and_matches_the_engine():
    model = ScriptedModel(target_symbols="abcd", table={  # a fresh copy of BEAM_MISSES: batch_sizes is ours
        "": {"a": 0.6, "b": 0.4}, "a": {"c": 0.34, "d": 0.33, "</s>": 0.33}, "b": {"</s>": 0.9, "c": 0.1}})
    seqs = [([model.target_vocab.index[s] for s in w], True) for w in ("ac", "b", "a", "bc")]
    model.batch_sizes.clear()
    model_lp, _ = forced_log_probs(model, "xy", DecodeConfig(), seqs)
    assert set(model.batch_sizes) == {4}  # every step scores all four outputs at once
    for (ids, _), lp in zip(seqs, model_lp, strict=True):
        assert lp == pytest.approx(model.sequence_log_prob(model.target_vocab.decode(ids)), abs=1e-6)


def test_sample_distribution_counts_frequencies_entropy_and_beam_share():
    config = DecodeConfig(top_k=2, seed=3)
    stats = sample_distribution(ONE_SYMBOL, "x", config, 1000)
    drawn = decode(ONE_SYMBOL, "x", sampling_config(config, 1000)).trace.hypotheses  # the same draw
    counts = Counter(tuple(h.tokens) for h in drawn)
    assert {o.tokens: o.count for o in stats.outputs} == counts and stats.n == 1000
    assert ("c",) not in counts and stats.distinct == 2  # top-k 2 never draws c
    assert [o.count for o in stats.outputs] == sorted(counts.values(), reverse=True)
    assert stats.entropy == pytest.approx(-sum(c / 1000 * math.log(c / 1000) for c in counts.values()))
    a = next(o for o in stats.outputs if o.tokens == ("a",))
    assert a.frequency == counts[("a",)] / 1000 and abs(a.frequency - 0.625) < 0.05  # -> 0.5 / 0.8
    assert stats.beam_top.tokens == ("a",) and stats.beam_share == a.frequency
    assert stats.model_mass == pytest.approx(0.8) and stats.filtered_mass == pytest.approx(1.0)


def test_progress_is_reported_in_order_up_to_done():
    seen = []
    sample_distribution(ONE_SYMBOL, "x", DecodeConfig(), 30, progress=lambda f, what: seen.append((f, what)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and "30 samples" in seen[0][1]


def test_beam_top_outside_the_filters_has_zero_filtered_probability():
    # beam search (length-normalised) prefers "b" (0.36, L=2); top-k 1 only ever draws "a ..."
    stats = sample_distribution(BEAM_MISSES, "xy", DecodeConfig(top_k=1), 50)
    assert stats.beam_top.tokens == ("b",) and stats.beam_top.count == 0 and stats.beam_share == 0.0
    assert stats.beam_top.filtered_out and stats.beam_top.filtered_log_prob == LOG_ZERO
    assert stats.beam_top.log_prob == pytest.approx(math.log(0.36), abs=1e-6)
    assert stats.distinct == 1 and stats.entropy == 0.0 and stats.outputs[0].tokens == ("a", "c")


def test_temperature_zero_draws_the_greedy_output_every_time():
    stats = sample_distribution(ONE_SYMBOL, "x", DecodeConfig(temperature=0.0), 20)
    assert [(o.tokens, o.count) for o in stats.outputs] == [(("a",), 20)] and stats.entropy == 0.0
    assert stats.outputs[0].filtered_log_prob == pytest.approx(0.0)  # a point mass on the argmax


def test_outputs_cut_at_max_length_are_unfinished_and_scored_without_the_end_token():
    model = ScriptedModel(target_symbols="ab", table={"": {"a": 0.7, "b": 0.3}, "a": {"b": 1.0}, "b": {"a": 1.0}})
    stats = sample_distribution(model, "x", DecodeConfig(max_length=1, seed=1), 40)
    assert all(not o.finished for o in stats.outputs) and "max_length" in stats.message
    assert {o.tokens: round(math.exp(o.log_prob), 5) for o in stats.outputs} == {("a",): 0.7, ("b",): 0.3}


@pytest.mark.parametrize("n", [0, 1001, 2.5, True])
def test_bad_sample_counts_are_named(n):
    with pytest.raises(ValueError, match="number of samples"):
        sample_distribution(ONE_SYMBOL, "x", DecodeConfig(), n)


def test_bad_input_and_settings_are_messages():
    with pytest.raises(InputError):
        sample_distribution(ONE_SYMBOL, "x1", DecodeConfig(), 5)
    with pytest.raises(ValueError, match="top_p"):
        sample_distribution(ONE_SYMBOL, "x", DecodeConfig(top_p=1.5), 5)


def test_stats_validate_and_export():
    out = DistinctOutput(tokens=("a",), finished=True, count=2, frequency=1.0, log_prob=-0.1, filtered_log_prob=0.0)
    with pytest.raises(ValueError, match="add up"):
        SampleStats(source=("x",), config=DecodeConfig(), n=3, outputs=(out,), entropy=0.0, beam_top=out)
    with pytest.raises(ValueError, match="<= 0"):
        DistinctOutput(tokens=(), finished=True, count=1, frequency=1.0, log_prob=0.5, filtered_log_prob=0.0)
    stats = sample_distribution(BEAM_MISSES, "xy", DecodeConfig(top_k=1), 10)
    d = json.loads(json.dumps(stats.to_dict(), allow_nan=False))
    assert d["beam_top"]["filtered_out"] is True and d["n"] == 10 and d["outputs"][0]["tokens"] == ["a", "c"]
    assert copy.deepcopy(stats) == stats


@pytest.mark.skipif(not CHECKPOINT.exists(), reason="no shipped checkpoint")
def test_shipped_model_probabilities_match_teacher_forced_scores():
    from playground import load_model

    model = load_model(str(CHECKPOINT))
    stats = sample_distribution(model, "colonel", DecodeConfig(top_p=0.9, seed=0), 100)
    assert sum(o.count for o in stats.outputs) == 100 and not any(o.filtered_out for o in stats.outputs)
    for o in stats.outputs[:3]:
        assert o.log_prob == pytest.approx(score(model, "colonel", list(o.tokens)).log_prob, abs=1e-4)
        assert o.filtered_log_prob >= o.log_prob  # top-p only removes mass from others: kept ones gain
