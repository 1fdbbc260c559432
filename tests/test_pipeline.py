"""Pipeline: settings validation, order of processors, the two outputs, entropy and kept counts."""

import dataclasses
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.decoding import filters as F
from playground.decoding import processors
from playground.decoding.pipeline import FILTER_NAMES, FilterSettings, Processed, entropy, kept_count, process
from playground.decoding.processors import PROCESSORS

INF = float("inf")


def kept(logits: torch.Tensor) -> list:
    return [torch.nonzero(row > -INF).flatten().tolist() for row in logits]


def test_defaults_are_a_no_op_that_copies():
    x = torch.tensor([[0.5, -1.0, -INF]])
    out = process(x, FilterSettings())
    assert isinstance(out, Processed)
    assert torch.equal(out.temperature_logits, x) and torch.equal(out.filtered_logits, x)
    assert out.temperature_logits is not x and out.filtered_logits is not x


def test_order_matters():
    # probs [0.4, 0.35, 0.25]. top-k 2 first: survivors renormalise to [0.533, 0.467] and top-p 0.5
    # then keeps one token. top-p 0.5 first keeps 0.4 + 0.35 (0.4 < 0.5), top-k 2 keeps both.
    x = torch.tensor([[0.4, 0.35, 0.25]]).log()
    k_then_p = FilterSettings(top_k=2, top_p=0.5, filter_order=("top_k", "top_p"))
    p_then_k = FilterSettings(top_k=2, top_p=0.5, filter_order=("top_p", "top_k"))
    assert kept(process(x, k_then_p).filtered_logits) == [[0]]
    assert kept(process(x, p_then_k).filtered_logits) == [[0, 1]]


def test_temperature_position_matters_but_not_for_temperature_logits():
    # T = 0.25 sharpens [0.5, 0.3, 0.2] to [0.87, 0.11, 0.02]: top-p 0.7 after temperature keeps 1 token,
    # before temperature it keeps 2 (0.5 < 0.7).
    x = torch.tensor([[0.5, 0.3, 0.2]]).log()
    first = process(x, FilterSettings(temperature=0.25, top_p=0.7))
    last = process(x, FilterSettings(temperature=0.25, top_p=0.7, filter_order=("top_p", "temperature")))
    assert kept(first.filtered_logits) == [[0]] and kept(last.filtered_logits) == [[0, 1]]
    assert torch.equal(first.temperature_logits, last.temperature_logits)
    assert torch.equal(first.temperature_logits, x / 0.25)


def test_history_processors_come_first_and_feed_both_outputs():
    x = torch.tensor([[4.0, 3.0, 1.0, 0.0]])
    prev = torch.tensor([[0, 2]])
    s = FilterSettings(temperature=2.0, top_k=1, repetition_penalty=2.0, no_repeat_ngram_size=1)
    out = process(x, s, prev)
    history = F.no_repeat_ngram(F.repetition_penalty(x, prev, 2.0), prev, 1)  # [-inf, 3, -inf, 0]
    assert torch.equal(out.temperature_logits, history / 2.0)
    assert torch.equal(out.filtered_logits, torch.tensor([[-INF, 1.5, -INF, -INF]]))


def test_history_processors_need_prev_tokens():
    with pytest.raises(ValueError, match="prev_tokens"):
        process(torch.zeros(1, 3), FilterSettings(repetition_penalty=1.2))
    empty = torch.zeros(1, 0, dtype=torch.long)
    out = process(torch.zeros(1, 3), FilterSettings(no_repeat_ngram_size=2), empty)
    assert torch.equal(out.filtered_logits, torch.zeros(1, 3))  # empty history is fine


def test_disabled_processors_are_never_called(monkeypatch):
    def boom(*args):
        raise AssertionError("a disabled processor was called")

    table = {name: p if name == "top_k" else dataclasses.replace(p, apply=boom) for name, p in PROCESSORS.items()}
    monkeypatch.setattr(processors, "PROCESSORS", table)
    out = process(torch.tensor([[1.0, 2.0, 3.0]]), FilterSettings(top_k=1))
    assert kept(out.filtered_logits) == [[2]]
    assert FilterSettings(top_k=1, min_p=0.1).active_filters == ("top_k", "min_p")


def test_the_registry_describes_every_settings_field_and_filter():
    fields = {f.name for f in dataclasses.fields(FilterSettings)} - {"filter_order"}
    assert {p.field for p in PROCESSORS.values()} == fields
    assert FILTER_NAMES == ("temperature", "top_k", "top_p", "min_p", "typical", "epsilon")
    for p in PROCESSORS.values():  # the value that turns a processor off is one it accepts, and a no-op
        x, prev = torch.tensor([[0.3, -1.0, 2.0]]), torch.tensor([[0, 2]])
        assert torch.equal(p.apply(x, p.domain.check(p.name, p.off), prev), x)


SETTINGS = st.builds(
    FilterSettings,
    temperature=st.sampled_from([1.0, 0.3, 2.0]),
    top_k=st.sampled_from([0, 1, 3]),
    top_p=st.sampled_from([1.0, 0.9, 0.5]),
    min_p=st.sampled_from([0.0, 0.1]),
    typical_mass=st.sampled_from([1.0, 0.8]),
    epsilon=st.sampled_from([0.0, 0.05]),
    repetition_penalty=st.sampled_from([1.0, 1.5]),
    no_repeat_ngram_size=st.sampled_from([0, 2]),
    filter_order=st.permutations(FILTER_NAMES).map(tuple),
)


@settings(max_examples=25, deadline=None)
@given(s=SETTINGS, seed=st.integers(0, 2**16))
def test_process_equals_chaining_the_public_functions(s, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 6, generator=gen) * 3
    x[0, 0] = -INF
    prev = torch.randint(0, 6, (3, 5), generator=gen)
    before = x.clone()
    out = process(x, s, prev)
    assert torch.equal(x, before)
    history = F.repetition_penalty(x, prev, s.repetition_penalty)
    history = F.no_repeat_ngram(history, prev, s.no_repeat_ngram_size)
    args = {"temperature": s.temperature, "top_k": s.top_k, "top_p": s.top_p, "min_p": s.min_p,
            "typical": s.typical_mass, "epsilon": s.epsilon}
    expected = history
    for name in s.filter_order:
        expected = getattr(F, name)(expected, args[name])
    assert torch.equal(out.temperature_logits, F.temperature(history, s.temperature))
    assert torch.equal(out.filtered_logits, expected)
    assert (kept_count(out.filtered_logits) >= 1).all()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"temperature": 0.0}, "greedy"),
    ({"temperature": -1.0}, "FilterSettings.temperature"),
    ({"top_k": -1}, "FilterSettings.top_k"),
    ({"top_k": 1.5}, "FilterSettings.top_k"),
    ({"top_p": 0.0}, "FilterSettings.top_p"),
    ({"min_p": 2.0}, "FilterSettings.min_p"),
    ({"typical_mass": 1.5}, "FilterSettings.typical_mass"),
    ({"epsilon": 1.0}, "FilterSettings.epsilon"),
    ({"repetition_penalty": 0.0}, "FilterSettings.repetition_penalty"),
    ({"no_repeat_ngram_size": -2}, "FilterSettings.no_repeat_ngram_size"),
    ({"filter_order": ("top_k", "nucleus")}, "unknown filter"),
    ({"filter_order": ("top_k", "top_k")}, "twice"),
    ({"filter_order": "top_k"}, "sequence"),
    ({"filter_order": None}, "sequence"),
    ({"top_p": 0.9, "filter_order": ("temperature", "top_k")}, "omits enabled filter"),
])
def test_settings_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FilterSettings(**kwargs)


def test_settings_are_frozen_keyword_only_and_normalised():
    s = FilterSettings(top_p=np.float64(0.5), top_k=np.int64(3), filter_order=["top_p", "top_k"])
    assert s.filter_order == ("top_p", "top_k") and type(s.top_p) is float and type(s.top_k) is int
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.top_k = 2
    with pytest.raises(TypeError):
        FilterSettings(1.0)
    # disabled filters may be left out of the order
    assert FilterSettings(filter_order=("top_k",), top_k=2).active_filters == ("top_k",)


def test_from_config_uses_decode_config_field_names():
    from playground.decoding.config import DecodeConfig

    config = DecodeConfig(strategy="sample", temperature=0.7, top_k=5, top_p=0.9, min_p=0.05,
                          typical_mass=0.95, epsilon=0.01, repetition_penalty=1.3, no_repeat_ngram_size=3,
                          filter_order=("top_k", "temperature", "top_p", "min_p", "typical", "epsilon"))
    s = FilterSettings.from_config(config)
    for field in dataclasses.fields(FilterSettings):
        assert getattr(s, field.name) == getattr(config, field.name)
    assert FilterSettings.from_config(DecodeConfig(temperature=0.0), temperature=1.0).temperature == 1.0
    with pytest.raises(ValueError, match="greedy"):
        FilterSettings.from_config(DecodeConfig(temperature=0.0))


def test_entropy_is_nan_free():
    x = torch.tensor([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, -INF, -INF], [5.0, -INF, -INF, -INF],
                      [1e30, 0.0, -1e30, 1e30]])
    h = entropy(x)
    assert h.shape == (4,) and not torch.isnan(h).any()
    assert torch.allclose(h, torch.tensor([math.log(4), math.log(2), 0.0, math.log(2)]))
    assert entropy(torch.zeros(2, 3, 5)).shape == (2, 3)


def test_kept_count():
    x = torch.tensor([[0.0, -INF, -1e30], [-INF, -INF, 2.0]])
    assert kept_count(x).tolist() == [2, 1] and kept_count(x).dtype == torch.long
