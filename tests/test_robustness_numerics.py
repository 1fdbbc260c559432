"""Issue 7, numerics: the whole engine under hypothesis, beyond tests/test_trace.py's grid.

test_trace.py already checks the trace invariants (``check_invariants``: finite arrays, every filtered
distribution sums to 1 with >= 1 token kept, attention rows sum to 1, finite nodes and hypotheses, strict
JSON) for random scripted models and configs drawn from a few fixed values in the default filter order.
Here the same invariants, plus entropy bounds, meet what that grid leaves out: any temperature in
[1e-4, 100] (log-uniform), any filter order, filter values at the edges of their ranges, logits scaled
from nearly flat (1e-6) to enormous (1e4), larger vocabularies, the neural model under every strategy,
teacher-forced scoring of arbitrary targets, and a model that emits NaN.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from helpers import check_invariants, tiny_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.decoding import STRATEGIES, DecodeConfig, decode, score
from playground.decoding.config import FILTERS
from playground.decoding.scripted import random_scripted_model

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Scaled:
    """A StepModel whose logits are another's times ``scale``: sharpens (1e4) or flattens (1e-6) it."""

    def __init__(self, model, scale: float):
        self.model, self.scale = model, scale
        self.source_vocab, self.target_vocab, self.outputs = model.source_vocab, model.target_vocab, model.outputs

    def encode(self, src_ids):
        return self.model.encode(src_ids)

    def step(self, prev_tokens, state):
        out = self.model.step(prev_tokens, state)
        return dataclasses.replace(out, logits=out.logits * self.scale)  # -inf stays -inf (scale > 0)

    def reorder(self, state, index):
        return self.model.reorder(state, index)


temperatures = st.one_of(st.sampled_from([1e-4, 100.0]), st.floats(-4, 2).map(lambda e: 10.0 ** e))


@st.composite
def extreme_configs(draw, strategies=tuple(STRATEGIES), prefix: bool = True):
    strategy = draw(st.sampled_from(strategies))
    width = draw(st.sampled_from([1, 2, 4]))
    samples = draw(st.integers(1, 5))
    max_length = draw(st.integers(1, 5))
    return DecodeConfig(
        strategy=strategy, beam_width=width, num_samples=samples,
        num_groups=draw(st.sampled_from([g for g in (1, 2) if width % g == 0])) if strategy == "diverse_beam" else 1,
        num_return=draw(st.integers(1, samples if strategy == "sample" else width)),
        temperature=draw(st.one_of(st.just(0.0), temperatures)),
        top_k=draw(st.sampled_from([0, 1, 2, 50])),
        top_p=draw(st.sampled_from([1.0, 1e-9, 0.3, 0.999999])),
        min_p=draw(st.sampled_from([0.0, 1e-9, 0.5, 0.999])),
        typical_mass=draw(st.sampled_from([1.0, 1e-6, 0.7])),
        epsilon=draw(st.sampled_from([0.0, 1e-9, 0.3, 0.999])),
        filter_order=tuple(draw(st.permutations(FILTERS))),
        sampler=draw(st.sampled_from(["multinomial", "gumbel"])),
        repetition_penalty=draw(st.sampled_from([1.0, 1e-3, 10.0])),
        no_repeat_ngram_size=draw(st.integers(0, 2)),
        length_penalty=draw(st.sampled_from([0.0, 1.0, -10.0, 10.0])),
        length_penalty_formula=draw(st.sampled_from(["none", "length", "gnmt"])),
        diversity_penalty=draw(st.sampled_from([0.0, 100.0])), max_length=max_length,
        seed=draw(st.integers(0, 2**32)), node_budget=draw(st.sampled_from([1, 50, 500])),
        prefix=draw(st.sampled_from([(), ("a",)])) if prefix and max_length > 1 else (),
    )


def check_entropy(trace) -> None:
    """Entropies are finite, >= 0 and at most log(number of tokens with p > 0) (+ rounding)."""
    for step in trace.steps:
        support = [(step.probs_temperature > 0).sum(1), step.kept, (np.exp(step.log_probs) > 0).sum(1)]
        for entropy, count in zip((step.entropy_temperature, step.entropy_filtered, step.entropy), support,
                                  strict=True):
            assert np.isfinite(entropy).all() and (entropy >= 0).all()
            assert (entropy <= np.log(np.maximum(count, 1)) + 1e-3).all(), (entropy, count)


@settings(FAST, max_examples=250)
@given(model_seed=st.integers(0, 10_000), num_symbols=st.integers(1, 8), depth=st.integers(1, 3),
       zero_prob=st.sampled_from([0.0, 0.5]), scale=st.sampled_from([1e-6, 1.0, 1e4]),
       attention=st.sampled_from(["uniform", "monotonic"]), config=extreme_configs())
def test_scripted_models_with_any_temperature_filter_order_and_scale(model_seed, num_symbols, depth, zero_prob,
                                                                      scale, attention, config):
    model = Scaled(random_scripted_model(model_seed, num_symbols=num_symbols, depth=depth, zero_prob=zero_prob,
                                         attention=attention), scale)
    trace = decode(model, "abc", config).trace
    check_invariants(trace, config)
    check_entropy(trace)


@settings(FAST, max_examples=40)
@given(config=extreme_configs(prefix=False), scale=st.sampled_from([1.0, 1e4]), word=st.sampled_from(["cat", "a"]))
def test_the_neural_model_under_every_strategy(config, scale, word):
    torch.set_num_threads(1)
    trace = decode(Scaled(NEURAL, scale), word, config).trace
    check_invariants(trace, config)
    check_entropy(trace)


NEURAL = tiny_model()


@settings(FAST, max_examples=50)
@given(model_seed=st.integers(0, 10_000), zero_prob=st.sampled_from([0.0, 0.5]),
       target=st.lists(st.sampled_from("abc"), max_size=6))
def test_teacher_forced_scores_are_finite_even_for_impossible_targets(model_seed, zero_prob, target):
    model = random_scripted_model(model_seed, num_symbols=3, depth=3, zero_prob=zero_prob)
    scored = score(model, "ab", target)
    assert all(math.isfinite(x) for x in scored.log_probs + scored.probs + [scored.log_prob])
    assert all(0.0 <= p <= 1.0 for p in scored.probs) and len(scored.ranks) == len(target) + 1
    check_invariants(scored.trace, DecodeConfig(max_length=len(target) + 1))


class NanModel(Scaled):
    def step(self, prev_tokens, state):
        out = self.model.step(prev_tokens, state)
        return dataclasses.replace(out, logits=torch.full_like(out.logits, float("nan")))


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_a_model_that_emits_nan_is_refused_not_recorded(strategy):
    with pytest.raises(ValueError, match="logits must not contain NaN or"):
        decode(NanModel(random_scripted_model(0), 1.0), "ab", DecodeConfig(strategy=strategy, beam_width=2))
