import pytest
import torch
from helpers import tiny_model

from playground.models.rnn import ModelConfig

VARIANTS = [("bahdanau", "gru", 1), ("dot", "gru", 1), ("general", "lstm", 1), ("bahdanau", "lstm", 2)]


def padded_batch():
    # three sources of different lengths (padding 0 on the right) and teacher-forced targets
    src = torch.tensor([[5, 6, 7, 8, 9], [10, 11, 0, 0, 0], [12, 13, 14, 0, 0]])
    tgt_in = torch.tensor([[1, 4, 5, 6], [1, 7, 8, 0], [1, 9, 0, 0]])
    return src, tgt_in


@pytest.mark.parametrize("attention, rnn, layers", VARIANTS)
def test_step_by_step_equals_batched_forward(attention, rnn, layers):
    """Each source decoded alone through the engine's protocol (encode one source, expand it to
    several rows with reorder, one step at a time) gives the batched, padded forward's logits."""
    model = tiny_model(attention, rnn, layers)
    src, tgt_in = padded_batch()
    with torch.no_grad():
        batched_logits, batched_attention = model(src, tgt_in)
        for b in range(src.size(0)):
            length = int((src[b] != 0).sum())
            state = model.encode(src[b:b + 1, :length])
            state = model.reorder(state, torch.zeros(2, dtype=torch.long))  # two identical rows
            for t in range(tgt_in.size(1)):
                out = model.step(tgt_in[b, t].repeat(2), state)
                state = out.state
                torch.testing.assert_close(out.logits[1], batched_logits[b, t], atol=1e-5, rtol=1e-5)
                torch.testing.assert_close(out.attention[0, 0, 0], batched_attention[b, t, :length], atol=1e-5, rtol=0)


@pytest.mark.parametrize("attention, rnn, layers", VARIANTS)
def test_attention_sums_to_one_over_real_positions_and_is_zero_on_padding(attention, rnn, layers):
    model = tiny_model(attention, rnn, layers)
    src, tgt_in = padded_batch()
    with torch.no_grad():
        _, attention_weights = model(src, tgt_in)  # (B, T, S)
    mask = (src != 0).unsqueeze(1).expand_as(attention_weights)
    assert torch.all(attention_weights[~mask] == 0)
    torch.testing.assert_close(attention_weights.sum(-1), torch.ones(3, 4))


def test_reorder_selects_rows():
    model = tiny_model()
    src, _ = padded_batch()
    state = model.encode(src)
    picked = model.reorder(state, torch.tensor([2, 0, 2]))
    assert torch.equal(picked.hidden[:, 0], state.hidden[:, 2]) and torch.equal(picked.memory[1], state.memory[0])
    assert picked.src_mask.shape == (3, 5)


def test_loss_ignores_padding():
    model = tiny_model()
    src, tgt_in = padded_batch()
    tgt_out = torch.tensor([[4, 5, 6, 2], [7, 8, 2, 0], [9, 2, 0, 0]])
    loss = model.loss(src, tgt_in, tgt_out)
    other_in = tgt_in.clone()
    other_in[1, 3] = 5  # an input whose target is padding: it must not change the loss
    assert torch.allclose(loss, model.loss(src, other_in, tgt_out))
    other_out = tgt_out.clone()
    other_out[1, 1] = 3  # a real target does
    assert not torch.allclose(loss, model.loss(src, tgt_in, other_out))


@pytest.mark.parametrize("field, value", [("hidden_dim", 0), ("rnn", "rnn"), ("attention", "cosine"), ("dropout", 1.0)])
def test_model_config_validates(field, value):
    kwargs = dict(src_vocab_size=10, tgt_vocab_size=10, **{field: value})
    with pytest.raises(ValueError, match=field.split("_")[0]):
        ModelConfig(**kwargs)
