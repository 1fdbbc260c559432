"""Contrastive search (Su et al. 2022) on scripted models with hand-computed answers, and alpha = 0 = greedy on the
shipped checkpoints.

The scripted model's hidden state is the one-hot vector of the token it was fed, so the degeneration penalty
max cos(h_v, context) is 1 for a candidate already fed (a repeat) and 0 otherwise."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import load_model
from playground.decoding import DecodeConfig, decode
from playground.decoding.scripted import ScriptedModel, random_scripted_model
from playground.models.checkpoint import SHIPPED

TABLE = {
    "": {"a": 0.5, "b": 0.4, "</s>": 0.1},
    "a": {"a": 0.6, "b": 0.3, "</s>": 0.1},  # greedy repeats a; alpha 0.5 turns to b
    "aa": {"</s>": 1.0},
    "ab": {"</s>": 0.7, "a": 0.3},
}


def contrastive(model, **kw):
    return decode(model, "x", DecodeConfig(strategy="contrastive", max_length=6, **kw))


def test_the_degeneration_penalty_turns_away_from_a_repeat():
    """k = 2, alpha = 0.5. Step 1: a 0.5*0.5 = 0.25 > b 0.2 (neither repeats <s>). Step 2 after a: a repeats,
    0.5*0.6 - 0.5*1 = -0.2; b 0.5*0.3 = 0.15: b. Step 3 after ab: </s> 0.35 > a 0.15 - 0.5 = -0.35."""
    model = ScriptedModel(target_symbols="ab", table=TABLE)
    result = contrastive(model, top_k=2, penalty_alpha=0.5)
    best = result.hypotheses[0]
    assert best.tokens == ["a", "b"] and best.finished
    assert best.log_prob == pytest.approx(math.log(0.5 * 0.3 * 0.7), abs=1e-5)
    assert best.score == pytest.approx(best.log_prob)  # a hypothesis ranks by its log-probability
    nodes = result.trace.nodes
    scores = {(n.step, result.trace.target_symbols[n.token]): (n.score, n.status) for n in nodes[1:]}
    assert scores[(0, "a")] == (pytest.approx(0.25), "kept") and scores[(0, "b")] == (pytest.approx(0.2), "pruned")
    assert scores[(1, "a")] == (pytest.approx(-0.2), "pruned") and scores[(1, "b")] == (pytest.approx(0.15), "kept")
    assert scores[(2, "</s>")] == (pytest.approx(0.35), "finished")
    assert [list(s.chosen) for s in result.trace.steps] == [[3], [4], [2]]  # a, b, </s>: one row a step


def test_alpha_zero_and_one_candidate_are_greedy():
    model = ScriptedModel(target_symbols="ab", table=TABLE)
    greedy = decode(model, "x", DecodeConfig(strategy="greedy", max_length=6)).hypotheses[0]
    assert greedy.tokens == ["a", "a"]
    for kw in (dict(top_k=2, penalty_alpha=0.0), dict(top_k=1, penalty_alpha=0.9)):
        assert contrastive(model, **kw).hypotheses[0].tokens == greedy.tokens


def test_top_k_zero_means_the_strategys_own_four_candidates():
    assert DecodeConfig(strategy="contrastive").top_k == 4
    assert DecodeConfig(strategy="contrastive", top_k=2).top_k == 2
    assert DecodeConfig(strategy="sample").top_k == 0  # the field's own default elsewhere


def test_own_vectors_give_the_cosine_by_hand():
    """h(<s>) = (1, 0), h(a) = (1, 1) (cos 0.707 with <s>), h(b) = (0, 1) (cos 0): alpha 0.5 at step 1 gives
    a 0.5*0.5 - 0.5*0.707 = -0.104, b 0.5*0.4 - 0 = 0.2: b, although a is more probable."""
    model = ScriptedModel(target_symbols="ab", table=TABLE, hidden={"<s>": [1, 0], "a": [1, 1], "b": [0, 1]})
    result = contrastive(model, top_k=2, penalty_alpha=0.5)
    first = {result.trace.target_symbols[n.token]: n.score for n in result.trace.nodes[1:] if n.step == 0}
    assert first == {"a": pytest.approx(0.25 - 0.5 * math.sqrt(0.5), abs=1e-6), "b": pytest.approx(0.2)}
    assert result.hypotheses[0].tokens[0] == "b"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), num_symbols=st.integers(1, 4), depth=st.integers(1, 4))
def test_alpha_zero_is_greedy_on_random_tables(seed, num_symbols, depth):
    model = random_scripted_model(seed, num_symbols=num_symbols, depth=depth)
    greedy = decode(model, "ab", DecodeConfig(strategy="greedy", max_length=6)).hypotheses[0]
    ours = decode(model, "ab", DecodeConfig(strategy="contrastive", top_k=3, penalty_alpha=0.0, max_length=6))
    assert ours.hypotheses[0].tokens == greedy.tokens
    assert ours.hypotheses[0].log_prob == pytest.approx(greedy.log_prob, abs=1e-5)


def test_a_prefix_is_forced_and_the_search_continues():
    model = ScriptedModel(target_symbols="ab", table=TABLE)
    result = contrastive(model, top_k=2, penalty_alpha=0.5, prefix=("b",))
    assert result.hypotheses[0].tokens[0] == "b"
    assert [n.status for n in result.trace.nodes[1:] if n.step == 0] == ["kept"]  # forced: one candidate


def test_a_model_without_hidden_states_is_refused_before_decoding():
    model = ScriptedModel(target_symbols="ab", table=TABLE)
    model.outputs = frozenset({"attention"})
    with pytest.raises(ValueError, match="contrastive search needs the model's hidden"):
        contrastive(model)


@pytest.mark.parametrize("name", ["g2p-bahdanau", "g2p-transformer", "p2g-luong"])
def test_alpha_zero_equals_greedy_on_the_shipped_checkpoints(name):
    model = load_model(SHIPPED / name)
    words = ["colonel", "quinoa", "brillig", "acquit"] if name.startswith("g2p") else ["K ER N AH L", "R AY T"]
    for word in words:
        greedy = decode(model, word, DecodeConfig(strategy="greedy")).hypotheses[0]
        ours = decode(model, word, DecodeConfig(strategy="contrastive", top_k=4, penalty_alpha=0.0)).hypotheses[0]
        assert ours.tokens == greedy.tokens, word
