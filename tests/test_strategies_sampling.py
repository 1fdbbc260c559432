"""Greedy decoding and sampling: hand-checked outputs, seeding, temperature 0, and a chi-square test that
sampled first tokens follow the filtered distribution.

Critical value: chi-square with 2 degrees of freedom, upper-tail probability 0.001, is 13.816 (NIST/SEMATECH
e-Handbook of Statistical Methods, section 1.3.6.7.4, "Critical Values of the Chi-Square Distribution").
scipy is not available, so the statistic is computed by hand; the seeds are fixed, so the test is
deterministic, and alpha = 0.001 leaves room for the choice of seed.
"""

import math

import pytest
import torch
from decoding_cases import BEAM_MISSES

from playground.decoding import DecodeConfig, decode
from playground.decoding.scripted import ScriptedModel, random_scripted_model

CHI2_CRITICAL_DF2_ALPHA_0001 = 13.816
FIRST = ScriptedModel(target_symbols="abcde",
                      table={"": {"a": 0.4, "b": 0.25, "c": 0.2, "d": 0.1, "e": 0.05}})


def outputs(result):
    return ["".join(h.tokens) for h in result.hypotheses]


def test_greedy_takes_the_argmax_at_every_step():
    result = decode(BEAM_MISSES, "abc", DecodeConfig(strategy="greedy"))
    (hyp,) = result.hypotheses
    assert hyp.tokens == ["a", "c"] and hyp.finished
    assert hyp.log_prob == pytest.approx(math.log(0.6 * 0.34)) and hyp.score == hyp.log_prob
    steps = result.trace.steps
    assert [int(s.chosen[0]) for s in steps] == [3, 5, 2] and all(s.chosen_rank[0] == 0 for s in steps)
    assert [n.status for n in result.trace.nodes] == ["kept", "kept", "kept", "finished"]
    assert BEAM_MISSES.batch_sizes[-3:] == [1, 1, 1]


@pytest.mark.parametrize("temperature", [0.0, 1e-4])
def test_sampling_at_temperature_near_zero_is_greedy(temperature):
    for seed in range(3):
        model = random_scripted_model(seed, num_symbols=3, depth=4)
        greedy = decode(model, "ab", DecodeConfig(strategy="greedy", max_length=6))
        sampled = decode(model, "ab", DecodeConfig(strategy="sample", temperature=temperature, num_samples=20,
                                                   num_return=20, max_length=6, seed=seed))
        assert {tuple(h.tokens) for h in sampled.hypotheses} == {tuple(greedy.hypotheses[0].tokens)}
    if temperature == 0:  # the T -> 0 limit: a point mass on the argmax, shown as such in the trace
        step = sampled.trace.steps[0]
        assert (step.probs_temperature.max(1) == 1).all() and (step.kept == 1).all()


def test_same_seed_same_samples_and_other_seeds_differ():
    config = DecodeConfig(strategy="sample", num_samples=30, num_return=30, seed=7, max_length=6)
    model = random_scripted_model(5, num_symbols=3, depth=4)
    one, two = decode(model, "ab", config), decode(model, "ab", config)
    assert outputs(one) == outputs(two) and one.trace == two.trace
    other = decode(model, "ab", DecodeConfig(**{**config.to_dict(), "seed": 8}))
    assert outputs(other) != outputs(one)


def test_samples_are_ranked_by_log_prob_and_num_return_keeps_the_best():
    result = decode(FIRST, "ab", DecodeConfig(strategy="sample", num_samples=50, num_return=3, seed=1))
    all_scores = [h.score for h in result.trace.hypotheses]
    assert len(all_scores) == 50 and all_scores == sorted(all_scores, reverse=True)
    assert result.hypotheses == result.trace.hypotheses[:3]
    assert len(result.trace.steps[0].node_ids) == 50  # one batched step for all 50 rows
    assert FIRST.batch_sizes[-2:] == [50, 50]  # then the 50 rows, each after its first token


def first_token_counts(config: DecodeConfig) -> torch.Tensor:
    result = decode(FIRST, "ab", config)
    counts = torch.zeros(len(FIRST.target_vocab))
    for h in result.trace.hypotheses:
        counts[h.token_ids[0]] += 1
    return counts


def chi_square(counts: torch.Tensor, probs: torch.Tensor) -> float:
    """Pearson's statistic over the categories with positive expected count."""
    expected = counts.sum() * probs
    support = probs > 0
    return float((((counts - expected) ** 2)[support] / expected[support]).sum())


@pytest.mark.parametrize("sampler", ["multinomial", "gumbel"])
@pytest.mark.parametrize("filters, kept", [
    # top-k 3 on [.4 .25 .2 .1 .05] keeps a, b, c, renormalised by 0.85
    ({"top_k": 3}, {"a": 0.4 / 0.85, "b": 0.25 / 0.85, "c": 0.2 / 0.85}),
    # T = 0.5 squares the probabilities: [.16 .0625 .04 .01 .0025] / .275 = [.582 .227 .145 .036 .009];
    # top-p 0.9 needs a, b, c (cumulative .582, .809, .955); renormalised by .2625
    ({"temperature": 0.5, "top_p": 0.9}, {"a": 0.16 / 0.2625, "b": 0.0625 / 0.2625, "c": 0.04 / 0.2625}),
])
def test_sample_frequencies_match_the_filtered_distribution(sampler, filters, kept):
    probs = torch.zeros(len(FIRST.target_vocab))
    for symbol, p in kept.items():
        probs[FIRST.target_vocab.index[symbol]] = p
    counts = sum(first_token_counts(DecodeConfig(strategy="sample", num_samples=1000, num_return=1, seed=seed,
                                                 sampler=sampler, **filters)) for seed in (0, 1))
    assert counts[probs == 0].sum() == 0, "a filtered-out token was sampled"
    assert chi_square(counts, probs) < CHI2_CRITICAL_DF2_ALPHA_0001


def test_max_length_cuts_and_reports():
    endless = ScriptedModel(target_symbols="a", steps=[{"a": 1.0}] * 10)
    result = decode(endless, "ab", DecodeConfig(strategy="greedy", max_length=4))
    (hyp,) = result.hypotheses
    assert hyp.tokens == ["a"] * 4 and not hyp.finished
    assert result.trace.truncated and "max_length=4" in result.trace.message


def test_pad_and_bos_are_never_generated():
    spiky = ScriptedModel(target_symbols="a", table={"": [0.5, 0.3, 0.1, 0.1]})  # <pad> and <s> lead
    for strategy in ("greedy", "beam", "sample", "exact"):
        result = decode(spiky, "ab", DecodeConfig(strategy=strategy, beam_width=2, max_length=3))
        assert all(n.token not in (0, 1) for n in result.trace.nodes[1:]), strategy
        assert result.hypotheses[0].tokens in (["a"], [])
