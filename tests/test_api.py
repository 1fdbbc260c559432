"""decode() and score(): input validation, forced prefixes for every strategy, teacher-forced scoring."""

import math

import numpy as np
import pytest
from decoding_cases import BEAM_MISSES
from helpers import tiny_model

from playground.decoding import STRATEGIES, DecodeConfig, decode, score
from playground.decoding.scripted import random_scripted_model
from playground.models.vocab import InputError


def test_decode_defaults_to_greedy_and_returns_num_return_hypotheses():
    result = decode(BEAM_MISSES, "  ABC ")  # case and surrounding space are normalised
    assert result.trace.strategy == "greedy" and result.trace.source == ["a", "b", "c"]
    assert [h.tokens for h in result.hypotheses] == [["a", "c"]]
    beam = decode(BEAM_MISSES, "abc", DecodeConfig(strategy="beam", beam_width=3, num_return=2))
    assert len(beam.hypotheses) == 2 and len(beam.trace.hypotheses) == 3


@pytest.mark.parametrize("text, message", [("", "input is empty"), ("ab1", "unknown symbol(s) '1'"),
                                           ("a\u200bb", "control or invisible"), ("a" * 49, "maximum is 48")])
def test_bad_text_raises_input_error_with_a_message(text, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode(BEAM_MISSES, text)


def test_config_must_be_a_decode_config():
    with pytest.raises(TypeError, match="config must be a DecodeConfig"):
        decode(BEAM_MISSES, "abc", {"strategy": "beam"})


def test_unknown_prefix_symbols_are_named():
    with pytest.raises(InputError, match="unknown symbol.*'z'"):
        decode(BEAM_MISSES, "abc", DecodeConfig(prefix=("a", "z")))


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_strategy_continues_a_forced_prefix(strategy):
    model = random_scripted_model(2, num_symbols=3, depth=4)
    config = DecodeConfig(strategy=strategy, prefix=("b", "a"), beam_width=2, num_samples=4, max_length=6,
                          temperature=0.8, top_k=2)
    result = decode(model, "ab", config)
    assert result.hypotheses and all(h.tokens[:2] == ["b", "a"] for h in result.trace.hypotheses)
    forced = [s for s in result.trace.steps if s.t < 2]
    for step in forced:  # the filtered distribution is a point mass on the forced token
        assert (step.kept == 1).all()
        assert (step.probs_filtered[:, model.target_vocab.index["ba"[step.t]]] == 1).all()
    best = result.hypotheses[0]  # depth 4 + 2 forced: everything ends within 6 tokens
    assert best.finished and best.log_prob == pytest.approx(model.sequence_log_prob(best.tokens), abs=1e-5)


def test_score_gives_per_token_log_probs_probs_and_ranks():
    scored = score(BEAM_MISSES, "abc", "ad")
    assert scored.tokens == ["a", "d", "</s>"] and scored.token_ids == [3, 6, 2]
    assert scored.probs == pytest.approx([0.6, 0.33, 1.0], abs=1e-6)
    assert scored.ranks == [0, 1, 0]  # "d" (.33) is behind "c" (.34); tied with </s> (.33), it shares rank 1
    assert scored.log_prob == pytest.approx(math.log(0.6 * 0.33), abs=1e-6)
    assert scored.trace.strategy == "forced" and [int(s.chosen[0]) for s in scored.trace.steps] == [3, 6, 2]
    assert score(BEAM_MISSES, "abc", ["b"]).ranks == [1, 0]


def test_score_of_an_impossible_target_is_finite_and_very_low():
    scored = score(BEAM_MISSES, "abc", "bd")  # p(d | b) = 0
    assert scored.probs[1] == 0.0 and np.isfinite(scored.log_prob) and scored.log_prob < -1e30


def test_score_agrees_with_decoding_on_a_trained_style_model():
    model = tiny_model()
    result = decode(model, "cat", DecodeConfig(strategy="beam", beam_width=3, max_length=6))
    trace, best = result.trace, result.hypotheses[0]
    scored = score(model, "cat", best.tokens)
    path = [trace.nodes[i] for i in trace.path(best.node)[1:]]
    assert scored.log_probs[: len(path)] == pytest.approx([n.log_prob for n in path], abs=1e-5)
    assert sum(scored.log_probs[: len(path)]) == pytest.approx(best.log_prob, abs=1e-4)
    with pytest.raises(InputError, match="unknown symbol"):
        score(model, "cat", ["K", "ZZ"])
    with pytest.raises(InputError, match="the maximum is 63"):
        score(model, "cat", ["K"] * 64)
