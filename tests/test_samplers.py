"""Samplers: shapes, seeding, -inf handling, and a chi-square test that torch.multinomial and the
Gumbel-max trick draw the same distribution.

Critical value: chi-square with 3 degrees of freedom, upper-tail probability 0.001, is 16.266
(NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.4, "Critical Values of the
Chi-Square Distribution"). scipy is not available, so the statistic is computed by hand. All draws
use fixed seeds, so the test is deterministic; alpha = 0.001 leaves room for the seed choice.
"""

import math

import pytest
import torch

from playground.decoding.samplers import SAMPLERS, gumbel_noise, sample_gumbel, sample_multinomial

INF = float("inf")
CHI2_CRITICAL_DF3_ALPHA_0001 = 16.266
PROBS = torch.tensor([0.5, 0.25, 0.15, 0.1, 0.0])  # the last token is removed (-inf logit)
LOGITS = PROBS.log()[None]  # (1, 5)
N = 4000


def chi_square(counts: torch.Tensor, probs: torch.Tensor) -> float:
    """Pearson's goodness-of-fit statistic sum (O - E)^2 / E over categories with E > 0."""
    expected = counts.sum() * probs
    support = probs > 0
    return float((((counts - expected) ** 2)[support] / expected[support]).sum())


def chi_square_homogeneity(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson's statistic for a 2 x C contingency table (are a and b draws of one distribution?)."""
    table = torch.stack([a, b]).double()
    table = table[:, table.sum(0) > 0]
    expected = table.sum(1, keepdim=True) * table.sum(0, keepdim=True) / table.sum()
    return float(((table - expected) ** 2 / expected).sum())


def draw_counts(sampler, seed: int) -> torch.Tensor:
    ids = sampler(LOGITS, torch.Generator().manual_seed(seed), num_samples=N)  # (1, N)
    return torch.bincount(ids.flatten(), minlength=5).double()


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_sampler_matches_distribution(name):
    counts = draw_counts(SAMPLERS[name], seed=1234)
    assert counts[4] == 0  # a -inf token is never drawn
    assert chi_square(counts, PROBS) < CHI2_CRITICAL_DF3_ALPHA_0001  # df = 4 categories - 1


def test_multinomial_and_gumbel_draw_the_same_distribution():
    multinomial, gumbel = draw_counts(sample_multinomial, 7), draw_counts(sample_gumbel, 7)
    assert chi_square_homogeneity(multinomial, gumbel) < CHI2_CRITICAL_DF3_ALPHA_0001  # df = (2-1)(4-1)


def test_chi_square_has_power():
    # the same statistic does reject a wrong distribution, so the tests above can fail
    wrong = torch.tensor([0.4, 0.3, 0.2, 0.1, 0.0])
    assert chi_square(draw_counts(sample_gumbel, 1234), wrong) > CHI2_CRITICAL_DF3_ALPHA_0001
    argmax_counts = torch.tensor([float(N), 0, 0, 0, 0])
    assert chi_square_homogeneity(draw_counts(sample_multinomial, 7), argmax_counts) > 100


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_same_seed_same_samples(name):
    sampler = SAMPLERS[name]
    logits = torch.randn(3, 6, generator=torch.Generator().manual_seed(0))
    a = sampler(logits, torch.Generator().manual_seed(42), num_samples=20)
    b = sampler(logits, torch.Generator().manual_seed(42), num_samples=20)
    c = sampler(logits, torch.Generator().manual_seed(43), num_samples=20)
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_shapes_and_dtype(name):
    sampler, gen = SAMPLERS[name], torch.Generator().manual_seed(0)
    assert sampler(torch.zeros(4, 7), gen).shape == (4,)
    assert sampler(torch.zeros(4, 7), gen, num_samples=3).shape == (4, 3)
    assert sampler(torch.zeros(7), gen).shape == ()
    assert sampler(torch.zeros(2, 3, 7), gen).shape == (2, 3)
    assert sampler(torch.zeros(4, 7), gen).dtype == torch.long


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_only_finite_tokens_are_drawn(name):
    logits = torch.tensor([[-INF, 0.0, -INF], [-INF, -INF, -1e30], [1e30, -INF, 1e30]])
    ids = SAMPLERS[name](logits, torch.Generator().manual_seed(3), num_samples=200)  # (3, 200)
    assert (ids[0] == 1).all() and (ids[1] == 2).all()
    assert set(ids[2].tolist()) == {0, 2}


def test_gumbel_is_fair_between_huge_tied_logits():
    # without shifting by the row max, noise of size ~1 vanishes next to 1e30 and index 0 always wins
    logits = torch.tensor([[1e30, 1e30, -INF]])
    ids = sample_gumbel(logits, torch.Generator().manual_seed(5), num_samples=2000)
    assert 0.45 < (ids == 0).double().mean() < 0.55


def test_gumbel_noise_moments():
    noise = gumbel_noise((20000,), torch.Generator().manual_seed(0))
    assert noise.dtype == torch.float64 and torch.isfinite(noise).all()
    euler_gamma, variance = 0.5772156649, math.pi ** 2 / 6  # mean and variance of Gumbel(0, 1)
    assert abs(noise.mean().item() - euler_gamma) < 0.03
    assert abs(noise.var().item() - variance) < 0.1
    assert gumbel_noise((2, 3), torch.Generator(), dtype=torch.float32).dtype == torch.float32


def test_bad_arguments_raise():
    gen = torch.Generator()
    for sampler in SAMPLERS.values():
        with pytest.raises(ValueError, match="generator"):
            sampler(torch.zeros(1, 3), None)
        for bad in (0, -1, 1.5, True):
            with pytest.raises(ValueError, match="num_samples"):
                sampler(torch.zeros(1, 3), gen, num_samples=bad)
        with pytest.raises(ValueError, match="logits"):
            sampler(torch.tensor([[-INF, -INF]]), gen)
    with pytest.raises(ValueError, match="generator"):
        gumbel_noise((3,), 0)
