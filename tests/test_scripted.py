"""ScriptedModel: the table-driven StepModel used by the engine's tests and docs."""

import math

import pytest
import torch

from playground.decoding.protocol import StepModel
from playground.decoding.scripted import ScriptedModel, random_scripted_model

MODEL = ScriptedModel(target_symbols="ab",
                      table={"": {"a": 0.75, "</s>": 0.25}, "a": {"b": 0.5, "</s>": 0.5}},
                      steps=[[0, 0, 0.5, 0.25, 0.25], [0, 0, 0.1, 0.2, 0.7]])


def src(text="xyz"):
    return torch.tensor([MODEL.source_vocab.encode(list(text))])


def test_implements_the_step_protocol():
    assert isinstance(MODEL, StepModel)


def test_rows_come_from_the_table_then_steps_then_eos():
    vocab = MODEL.target_vocab
    a, b, eos = vocab.index["a"], vocab.index["b"], vocab.eos_id
    assert MODEL.probs(()).tolist() == pytest.approx([0, 0, 0.25, 0.75, 0])
    assert MODEL.probs((a,)).tolist() == pytest.approx([0, 0, 0.5, 0, 0.5])
    assert MODEL.probs((b,)).tolist() == pytest.approx([0, 0, 0.1, 0.2, 0.7])  # steps[1]
    assert MODEL.probs((b, b, b)).tolist() == [0, 0, 1, 0, 0]  # past the table: </s>
    assert MODEL.sequence_log_prob(["a", "b"]) == pytest.approx(math.log(0.75 * 0.5 * 1.0))  # "ab": </s>
    assert eos == 2


def test_step_follows_each_row_prefix_and_reorder_expands_rows():
    state = MODEL.encode(src())
    state = MODEL.reorder(state, torch.zeros(2, dtype=torch.long))  # two copies of the source
    out = MODEL.step(torch.tensor([1, 1]), state)  # <s>
    logits, state = out.logits, out.state
    assert logits.shape == (2, 5) and out.attention.shape == (2, 1, 1, 3)
    assert out.hidden.tolist() == [[0, 1, 0, 0, 0]] * 2  # the one-hot vector of <s>, the token fed
    assert torch.softmax(logits, -1)[0].tolist() == pytest.approx([0, 0, 0.25, 0.75, 0])
    assert logits[0, 0] == float("-inf")  # probability 0 -> logit -inf
    state = MODEL.step(torch.tensor([3, 4]), state).state  # rows took "a" and "b"
    assert state.prefixes == ((3,), (4,))
    state = MODEL.reorder(state, torch.tensor([1, 1, 0]))
    assert state.prefixes == ((4,), (4,), (3,))
    assert MODEL.batch_sizes[-2:] == [2, 2]


def test_attention_is_uniform_or_monotonic():
    assert torch.equal(MODEL.step(torch.tensor([1]), MODEL.encode(src())).attention, torch.full((1, 1, 1, 3), 1 / 3))
    mono = ScriptedModel(target_symbols="ab", steps=[[0, 0, 0, 1, 0]] * 5, attention="monotonic")
    state = mono.encode(torch.tensor([[3, 4]]))
    rows = []
    for prev in (1, 3, 3, 3):
        out = mono.step(torch.tensor([prev]), state)
        state = out.state
        rows.append(out.attention[0, 0, 0].tolist())
    assert rows == [[1, 0], [0, 1], [0, 1], [0, 1]]  # position min(t, S - 1)


@pytest.mark.parametrize("row", [{"a": 0.5}, {"a": 1.5, "b": -0.5}, [0.5, 0.5]])
def test_rows_must_be_distributions(row):
    with pytest.raises(ValueError, match="probabilities summing to 1"):
        ScriptedModel(target_symbols="ab", table={"": row})


def test_unknown_symbols_and_attention_kinds_are_rejected():
    with pytest.raises(ValueError, match="unknown symbol"):
        ScriptedModel(target_symbols="ab", table={"z": {"a": 1.0}})
    with pytest.raises(ValueError, match="attention must be"):
        ScriptedModel(target_symbols="ab", attention="diagonal")


def test_random_models_are_seeded_distributions_that_never_predict_specials():
    one, two = (random_scripted_model(3, num_symbols=3, depth=2) for _ in range(2))
    assert all(torch.equal(one.table[k], two.table[k]) for k in one.table)
    for row in one.table.values():
        assert float(row.sum()) == pytest.approx(1.0) and row[0] == 0 and row[1] == 0 and row[2] > 0
    sparse = random_scripted_model(1, num_symbols=4, depth=3, zero_prob=0.5)
    assert any((row[3:] == 0).any() for row in sparse.table.values())
