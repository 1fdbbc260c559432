"""Stochastic beam search (Kool et al. 2019): the truncated Gumbel, distinct samples, and inclusion
probabilities of sampling without replacement, all with fixed seeds."""

import math

import pytest
import torch

from playground.decoding import DecodeConfig, decode
from playground.decoding.samplers import gumbel_noise
from playground.decoding.scripted import ScriptedModel
from playground.decoding.strategies.stochastic_beam import truncated_gumbel
from tests import decoding_cases  # noqa: F401  (one torch thread)

EULER_GAMMA = 0.5772156649  # mean of a standard Gumbel
# Five outputs of two tokens: aa, ab, ba, bb .225 each, ca .1. "ca" sits under the least probable first
# token but has all of its mass: without the truncated Gumbel (perturbing children independently of
# their parent), its inclusion probability drops from .216 to about .11 (simulated), which the
# inclusion test below detects at more than 5 standard deviations.
TREE = ScriptedModel(target_symbols="abc", table={
    "": {"a": 0.45, "b": 0.45, "c": 0.1},
    "a": {"a": 0.5, "b": 0.5}, "b": {"a": 0.5, "b": 0.5}, "c": {"a": 1.0},
})
LEAVES = {"aa": 0.225, "ab": 0.225, "ba": 0.225, "bb": 0.225, "ca": 0.1}


def sbs(k, seed, **kw):
    config = DecodeConfig(strategy="stochastic_beam", beam_width=k, num_return=k, seed=seed, **kw)
    return decode(TREE, "ab", config)


def test_truncated_gumbel_keeps_order_and_puts_the_max_at_the_parent_value():
    generator = torch.Generator().manual_seed(0)
    phi = torch.tensor([[-0.5, -1.0, float("-inf"), -3.0]], dtype=torch.float64).repeat(5, 1)
    gumbels = phi + gumbel_noise(phi.shape, generator)
    upper = torch.tensor([[0.0], [-1.0], [2.0], [-30.0], [5.0]], dtype=torch.float64)
    truncated = truncated_gumbel(gumbels, upper)
    assert torch.equal(truncated.max(-1).values, upper[:, 0])
    assert torch.equal(truncated.argsort(-1), gumbels.argsort(-1))
    assert (truncated[:, 2] == float("-inf")).all() and not truncated.isnan().any()


def test_truncated_children_of_a_gumbel_parent_are_independent_gumbels():
    """If T ~ Gumbel(logsumexp(phi)), the truncated children are i.i.d. Gumbel(phi_i) (Kool et al. 2019,
    section 3.2), so each has mean phi_i + gamma and variance pi^2 / 6."""
    n, generator = 200_000, torch.Generator().manual_seed(1)
    phi = torch.tensor([0.5, 0.3, 0.15, 0.05], dtype=torch.float64).log()
    parent = torch.logsumexp(phi, 0) + gumbel_noise((n, 1), generator)
    children = truncated_gumbel(phi + gumbel_noise((n, 4), generator), parent)
    assert children.mean(0).tolist() == pytest.approx((phi + EULER_GAMMA).tolist(), abs=0.015)
    assert children.var(0).tolist() == pytest.approx([math.pi**2 / 6] * 4, abs=0.03)
    assert torch.corrcoef(children.T)[0, 1].abs() < 0.01


def test_samples_are_distinct_and_a_wide_beam_returns_the_whole_support():
    for seed in range(20):
        result = sbs(3, seed, record_trace=False)
        outputs = ["".join(h.tokens) for h in result.hypotheses]
        assert len(set(outputs)) == 3 and set(outputs) <= set(LEAVES)
        scores = [h.score for h in result.hypotheses]
        assert scores == sorted(scores, reverse=True) and scores[0] == 0.0  # G(root) = 0 is the max
    everything = sbs(5, 0)
    assert {"".join(h.tokens) for h in everything.hypotheses} == set(LEAVES)
    for h in everything.hypotheses:
        assert h.log_prob == pytest.approx(math.log(LEAVES["".join(h.tokens)]), abs=1e-6)


def test_same_seed_same_sample():
    assert sbs(2, 11).trace == sbs(2, 11).trace


def test_inclusion_probabilities_match_sampling_without_replacement():
    """P(i in a sample of 2 without replacement) = p_i + sum_{j != i} p_j p_i / (1 - p_j)."""
    runs = 500
    counts = dict.fromkeys(LEAVES, 0)
    for seed in range(runs):
        for h in sbs(2, seed, record_trace=False).hypotheses:
            counts["".join(h.tokens)] += 1
    for leaf, p in LEAVES.items():
        expected = p + sum(q * p / (1 - q) for other, q in LEAVES.items() if other != leaf)
        sd = math.sqrt(expected * (1 - expected) / runs)
        assert abs(counts[leaf] / runs - expected) < 4 * sd + 0.005, (leaf, counts[leaf] / runs, expected)


def test_filters_shape_the_sampled_distribution():
    # At T = 0 only the argmax path (the first of tied maxima) is possible: one sample, however wide the beam
    assert ["".join(h.tokens) for h in sbs(4, 0, temperature=0.0).hypotheses] == ["aa"]
    # top-p 0.9 removes "c" at the root (.45 + .45 reaches .9): four samples, none starting with "c"
    assert sorted("".join(h.tokens) for h in sbs(5, 0, top_p=0.9).hypotheses) == ["aa", "ab", "ba", "bb"]
