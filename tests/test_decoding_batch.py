"""decode_many: many inputs in one batched decode give exactly what each gives alone, for every strategy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import tiny_model, tiny_transformer

from playground.decoding import DecodeConfig, decode, decode_many
from playground.decoding.registry import BATCHED
from playground.decoding.scripted import random_scripted_model
from playground.models.vocab import InputError

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {  # every strategy, with the settings that change how rows are grown, chosen and ranked
    "greedy": DecodeConfig(strategy="greedy", max_length=6),
    "sample": DecodeConfig(strategy="sample", num_samples=4, num_return=4, temperature=1.3, top_k=3, seed=5,
                           max_length=6),
    "sample gumbel": DecodeConfig(strategy="sample", sampler="gumbel", num_samples=3, top_p=0.8, seed=2, max_length=6),
    "beam": DecodeConfig(strategy="beam", beam_width=3, num_return=3, length_penalty=0.7, max_length=6),
    "beam early, gnmt": DecodeConfig(strategy="beam", beam_width=2, early_stopping=True, max_length=5,
                                     length_penalty_formula="gnmt"),
    "beam prefix": DecodeConfig(strategy="beam", beam_width=3, prefix=("a",), max_length=6),
    "diverse beam": DecodeConfig(strategy="diverse_beam", beam_width=4, num_groups=2, diversity_penalty=0.8,
                                 num_return=3, max_length=6),
    "stochastic beam": DecodeConfig(strategy="stochastic_beam", beam_width=3, seed=1, max_length=6),
    "exact": DecodeConfig(strategy="exact", beam_width=2, max_length=5),
}
WORDS = ["ab", "abcdef", "c", "bbb", "ca", "abcdefghij"]  # different lengths: the batch pads them


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("seed", [0, 1])
def test_a_batch_gives_every_input_exactly_its_own_trace_on_scripted_models(name, seed):
    model = random_scripted_model(seed, num_symbols=3, depth=4, zero_prob=0.2, attention="monotonic")
    config = CONFIGS[name]
    results = decode_many(model, WORDS, config, batch_size=4)  # two batches of up to four
    for word, result in zip(WORDS, results, strict=True):
        alone = decode(model, word, config)
        assert result.trace == alone.trace and result.hypotheses == alone.hypotheses, word


@pytest.mark.parametrize("make", [tiny_model, tiny_transformer], ids=["rnn", "transformer"])
@pytest.mark.parametrize("name", ["greedy", "sample", "beam", "diverse beam"])
def test_a_batch_matches_one_input_at_a_time_on_trained_model_families(make, name):
    model, config = make(), CONFIGS[name]
    for word, result in zip(WORDS, decode_many(model, WORDS, config), strict=True):
        alone = decode(model, word, config)
        assert [h.tokens for h in result.hypotheses] == [h.tokens for h in alone.hypotheses], word
        np.testing.assert_allclose([h.score for h in result.hypotheses], [h.score for h in alone.hypotheses],
                                   rtol=0, atol=1e-5)
        for batched, single in zip(result.trace.steps, alone.trace.steps, strict=True):  # same rows, same values
            assert batched.node_ids == single.node_ids
            np.testing.assert_allclose(batched.log_probs, single.log_probs, atol=1e-5)
            np.testing.assert_allclose(batched.attention, single.attention, atol=1e-5)


def test_inputs_that_cannot_be_read_get_their_error_in_place_and_the_rest_is_decoded():
    model = tiny_model()
    results = decode_many(model, ["cab", "c4b", "", "tab"], DecodeConfig(max_length=4))
    assert isinstance(results[1], InputError) and "unknown symbol" in str(results[1])
    assert isinstance(results[2], InputError) and "empty" in str(results[2])
    assert results[0].trace.source == list("cab") and results[3].trace.source == list("tab")


def test_every_batched_strategy_is_in_the_table_and_the_rest_fall_back():
    assert set(BATCHED) == {"greedy", "sample", "beam", "diverse_beam"}
    model = random_scripted_model(3)
    calls: list[int] = []
    step = model.step
    model.step = lambda prev, state: calls.append(len(prev)) or step(prev, state)  # rows per model call
    decode_many(model, ["ab", "abc", "a"], DecodeConfig(strategy="greedy", max_length=3))
    assert calls[0] == 3  # the three inputs' first steps in one call
    calls.clear()
    decode_many(model, ["ab", "abc"], DecodeConfig(strategy="exact", max_length=3))
    assert max(calls) < 6 and calls[0] == 1  # one input at a time


@pytest.mark.skipif(not (ROOT / "checkpoints" / "g2p-bahdanau").is_dir(), reason="needs the shipped checkpoint")
@pytest.mark.parametrize("name", ["greedy", "beam"])
def test_the_shipped_g2p_model_decodes_a_batch_as_it_decodes_each_word(name):
    from playground import load_model

    model = load_model(ROOT / "checkpoints" / "g2p-bahdanau")
    words = ["acetone", "belabor", "regime", "origami", "helmet", "crochet", "jeremia", "a", "psychotherapist"]
    config = DecodeConfig(strategy=name, beam_width=5, max_length=32, record_trace=False)
    for word, result in zip(words, decode_many(model, words, config), strict=True):
        alone = decode(model, word, config)
        assert [h.tokens for h in result.hypotheses] == [h.tokens for h in alone.hypotheses], word
        assert result.hypotheses[0].score == pytest.approx(alone.hypotheses[0].score, abs=1e-4)
