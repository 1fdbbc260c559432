"""Our logits processors give the distributions of transformers' own (generation/logits_process.py) on the same
logits: temperature, top-k, top-p, min-p, typical, epsilon, the repetition penalty, and the whole chain in
generate()'s order. Random logits without ties: filters.py documents where the two differ (tie groups, a 1e-6
tolerance at a boundary), and random float32 logits meet neither."""

from __future__ import annotations

import pytest
import torch

from playground.decoding.pipeline import FilterSettings, process

lp = pytest.importorskip("transformers.generation.logits_process")

ROWS, VOCAB = 6, 400


def random_logits(seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(ROWS, VOCAB, generator=generator) * 3.0  # (B, V): peaked enough for the filters to cut
    assert all(row.unique().numel() == VOCAB for row in logits)  # no ties
    return logits


def ours(logits: torch.Tensor, prev: torch.Tensor | None = None, **settings) -> torch.Tensor:
    return process(logits, FilterSettings(**settings), prev).filtered_logits


def assert_same_distribution(mine: torch.Tensor, theirs: torch.Tensor) -> None:
    assert torch.equal(mine == float("-inf"), theirs == float("-inf"))  # the same tokens removed
    assert torch.allclose(mine.softmax(-1), theirs.softmax(-1), atol=1e-6)


CASES = [  # our FilterSettings field and value -> the library's processor
    (dict(temperature=0.7), lambda: lp.TemperatureLogitsWarper(0.7)),
    (dict(temperature=1.8), lambda: lp.TemperatureLogitsWarper(1.8)),
    (dict(top_k=1), lambda: lp.TopKLogitsWarper(1)),
    (dict(top_k=17), lambda: lp.TopKLogitsWarper(17)),
    (dict(top_p=0.5), lambda: lp.TopPLogitsWarper(0.5)),
    (dict(top_p=0.95), lambda: lp.TopPLogitsWarper(0.95)),
    (dict(min_p=0.05), lambda: lp.MinPLogitsWarper(0.05)),
    (dict(min_p=0.3), lambda: lp.MinPLogitsWarper(0.3)),
    (dict(typical_mass=0.4), lambda: lp.TypicalLogitsWarper(0.4)),
    (dict(typical_mass=0.9), lambda: lp.TypicalLogitsWarper(0.9)),
    (dict(epsilon=0.001), lambda: lp.EpsilonLogitsWarper(0.001)),
    (dict(epsilon=0.02), lambda: lp.EpsilonLogitsWarper(0.02)),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("settings, processor", CASES)
def test_each_filter_is_the_librarys_warper(settings, processor, seed):
    logits = random_logits(seed)
    prev = torch.zeros(ROWS, 0, dtype=torch.long)
    assert_same_distribution(ours(logits, **settings), processor()(prev, logits.clone()))


@pytest.mark.parametrize("penalty", [0.6, 1.3, 2.0])
def test_the_repetition_penalty_is_the_librarys(penalty):
    logits = random_logits(3)
    prev = torch.randint(0, VOCAB, (ROWS, 12), generator=torch.Generator().manual_seed(4))  # repeats included
    mine = process(logits, FilterSettings(repetition_penalty=penalty), prev).temperature_logits
    theirs = lp.RepetitionPenaltyLogitsProcessor(penalty)(prev, logits.clone())
    assert torch.allclose(mine, theirs, rtol=1e-5, atol=1e-6) and not torch.allclose(mine, logits)  # (elementwise)


@pytest.mark.parametrize("seed", [0, 5])
def test_the_whole_chain_in_generates_order(seed):
    """Temperature, top-k, top-p, min-p, typical, epsilon: our default filter_order is the order in which
    generate() adds its warpers, each seeing the previous one's output."""
    logits = random_logits(seed)
    prev = torch.randint(0, VOCAB, (ROWS, 5), generator=torch.Generator().manual_seed(seed))
    chain = lp.LogitsProcessorList([
        lp.RepetitionPenaltyLogitsProcessor(1.2), lp.TemperatureLogitsWarper(0.8), lp.TopKLogitsWarper(60),
        lp.TopPLogitsWarper(0.9), lp.MinPLogitsWarper(0.01), lp.TypicalLogitsWarper(0.95),
        lp.EpsilonLogitsWarper(0.0005)])
    mine = ours(logits, prev, repetition_penalty=1.2, temperature=0.8, top_k=60, top_p=0.9, min_p=0.01,
                typical_mass=0.95, epsilon=0.0005)
    assert_same_distribution(mine, chain(prev, logits.clone()))
    kept = (mine > float("-inf")).sum(1)
    assert int(kept.max()) > 1 and int(kept.max()) < 60  # the chain really cut, and left a choice
