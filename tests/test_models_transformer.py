"""The Transformer family: its step protocol reproduces the parallel forward pass, attention per layer and head,
caches reorder like beams, the engine decodes it unchanged, and checkpoints round-trip."""

import pytest
import torch
from helpers import check_invariants, tiny_transformer

from playground import DecodeConfig, decode, load_model
from playground.decoding.config import STRATEGIES
from playground.models.checkpoint import save_checkpoint
from playground.models.transformer import TransformerConfig, sinusoids


def padded_batch():
    # three sources of different lengths (padding 0 on the right) and teacher-forced targets
    src = torch.tensor([[5, 6, 7, 8, 9], [10, 11, 0, 0, 0], [12, 13, 14, 0, 0]])
    tgt_in = torch.tensor([[1, 4, 5, 6], [1, 7, 8, 0], [1, 9, 0, 0]])
    return src, tgt_in


@pytest.mark.parametrize("layers, heads", [(1, 1), (2, 2), (3, 4)])
def test_step_by_step_equals_the_parallel_forward_pass(layers, heads):
    """Each source alone through the protocol (encode, expand to two rows, one position at a time with the
    key/value cache) gives the padded batch's teacher-forced logits and cross-attention of every head."""
    model = tiny_transformer(layers=layers, heads=heads)
    src, tgt_in = padded_batch()
    with torch.no_grad():
        logits, attention = model(src, tgt_in, weights=True)  # (B, T, V), (B, T, L, H, S)
        assert attention.shape == (3, 4, layers, heads, 5)
        for b in range(src.size(0)):
            length = int((src[b] != 0).sum())
            state = model.reorder(model.encode(src[b:b + 1, :length]), torch.zeros(2, dtype=torch.long))
            for t in range(tgt_in.size(1)):
                out = model.step(tgt_in[b, t].repeat(2), state)
                state = out.state
                torch.testing.assert_close(out.logits[1], logits[b, t], atol=1e-5, rtol=1e-5)
                torch.testing.assert_close(out.attention[0], attention[b, t, :, :, :length], atol=1e-5, rtol=0)


def test_cross_attention_sums_to_one_over_real_positions_and_is_zero_on_padding():
    model = tiny_transformer()
    src, tgt_in = padded_batch()
    with torch.no_grad():
        _, attention = model(src, tgt_in, weights=True)
    padding = (src == 0)[:, None, None, None, :].expand_as(attention)
    assert torch.all(attention[padding] == 0)
    torch.testing.assert_close(attention.sum(-1), torch.ones(attention.shape[:-1]))


def test_the_fused_training_path_equals_the_explicit_one():
    model = tiny_transformer()
    src, tgt_in = padded_batch()
    with torch.no_grad():
        fused, _ = model(src, tgt_in)
        explicit, _ = model(src, tgt_in, weights=True)
    torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=0)


def test_reorder_selects_cache_rows_and_keeps_one_source_a_view():
    model = tiny_transformer()
    with torch.no_grad():
        state = model.reorder(model.encode(torch.tensor([[5, 6, 7]])), torch.zeros(3, dtype=torch.long))
        assert state.cross_k[0].stride(0) == 0  # three rows of one source: a view, not three copies
        state = model.step(torch.tensor([1, 1, 1]), state).state
        state = model.step(torch.tensor([4, 5, 6]), state).state  # rows now differ
        picked = model.reorder(state, torch.tensor([2, 0]))
    assert picked.self_k[0].shape[:3] == (2, 2, 2)  # (rows, heads, positions so far)
    assert torch.equal(picked.self_k[1][0], state.self_k[1][2]) and torch.equal(picked.self_v[0][1], state.self_v[0][0])


def test_loss_ignores_padding():
    model = tiny_transformer()
    src, tgt_in = padded_batch()
    tgt_out = torch.tensor([[4, 5, 6, 2], [7, 8, 2, 0], [9, 2, 0, 0]])
    loss = model.loss(src, tgt_in, tgt_out)
    other_in = tgt_in.clone()
    other_in[1, 3] = 5  # an input after the end of a target: causality and the padding weight hide it
    assert torch.allclose(loss, model.loss(src, other_in, tgt_out))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_engine_decodes_it_with_every_strategy_and_records_every_head(strategy):
    model = tiny_transformer(layers=2, heads=2)
    config = DecodeConfig(strategy=strategy, beam_width=3, num_samples=3, max_length=6,
                          num_groups=3 if strategy == "diverse_beam" else 1)
    trace = decode(model, "cab", config).trace
    check_invariants(trace, config)
    assert trace.attention_heads == (2, 2) and trace.steps[0].attention.shape[1:] == (2, 2, 3)


def test_a_checkpoint_round_trips_through_load_model(tmp_path):
    model = tiny_transformer()
    directory = save_checkpoint(model, tmp_path / "tf", meta={"task": "g2p", "name": "tiny transformer"})
    loaded = load_model(directory)
    assert type(loaded) is type(model) and loaded.arch == model.arch
    config = DecodeConfig(strategy="beam", beam_width=3, max_length=6)
    assert decode(loaded, "cab", config).trace == decode(model, "cab", config).trace


def test_positions_are_the_papers_sinusoids():
    table = sinusoids(4, 6)
    assert torch.allclose(table[:, 0], torch.sin(torch.arange(4.0)))  # i = 0: sin(pos)
    assert torch.allclose(table[:, 5], torch.cos(torch.arange(4.0) / 10000 ** (4 / 6)))  # i = 2: cos(pos/10^4^(4/6))


@pytest.mark.parametrize("field, value", [("d_model", 0), ("heads", 3), ("dropout", 1.0), ("ffn_dim", 1.5)])
def test_config_validates(field, value):
    kwargs = {"src_vocab_size": 10, "tgt_vocab_size": 10, "d_model": 8, "heads": 2, field: value}
    with pytest.raises(ValueError, match=field.split("_")[0] if field != "heads" else "divisible"):
        TransformerConfig(**kwargs)
