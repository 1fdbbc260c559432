"""The decoder-only family: the step protocol (prefill, then one position at a time with the key/value cache)
reproduces the parallel teacher-forced pass, a padded batch computes each row as alone, self-attention covers the
context causally, and checkpoints round-trip through load_model."""

import numpy as np
import pytest
import torch
from helpers import check_invariants, tiny_decoder_only

from playground import DecodeConfig, decode, load_model
from playground.decoding import decode_many
from playground.decoding.config import STRATEGIES
from playground.models.checkpoint import save_checkpoint
from playground.models.decoder_only import DecoderOnlyConfig


def padded_batch():
    src = torch.tensor([[5, 6, 7, 8, 9], [10, 11, 0, 0, 0], [12, 13, 14, 0, 0]])
    tgt_in = torch.tensor([[1, 4, 5, 6], [1, 7, 8, 0], [1, 9, 0, 0]])
    return src, tgt_in


@pytest.mark.parametrize("layers, heads", [(1, 1), (2, 2), (3, 4)])
def test_step_by_step_equals_the_parallel_pass(layers, heads):
    """Each input alone, prefilled then stepped on two copies, gives the padded batch's teacher-forced logits and
    self-attention over input | <s> | outputs so far."""
    model = tiny_decoder_only(layers=layers, heads=heads)
    src, tgt_in = padded_batch()
    with torch.no_grad():
        logits, attention = model(src, tgt_in, weights=True)  # (B, T, V), (B, T, L, H, S + T)
        assert attention.shape == (3, 4, layers, heads, 5 + 4)
        for b in range(src.size(0)):
            length = int((src[b] != 0).sum())
            state = model.reorder(model.encode(src[b:b + 1, :length]), torch.zeros(2, dtype=torch.long))
            for t in range(tgt_in.size(1)):
                out = model.step(tgt_in[b, t].repeat(2), state)
                state = out.state
                torch.testing.assert_close(out.logits[1], logits[b, t], atol=1e-5, rtol=1e-5)
                assert out.self_attention.shape == (2, layers, heads, length + t + 1)
                batch_row = torch.cat([attention[b, t, :, :, :length], attention[b, t, :, :, 5:5 + t + 1]], -1)
                torch.testing.assert_close(out.self_attention[0], batch_row, atol=1e-5, rtol=0)


def test_self_attention_is_causal_sums_to_one_and_skips_padding():
    model = tiny_decoder_only()
    src, tgt_in = padded_batch()
    with torch.no_grad():
        _, attention = model(src, tgt_in, weights=True)  # (B, T, L, H, S + T)
    torch.testing.assert_close(attention.sum(-1), torch.ones(attention.shape[:-1]))
    assert torch.all(attention[1, :, :, :, 2:5] == 0)  # the second input's padding
    for t in range(4):  # output position t sees <s> and the t outputs before it, nothing later
        assert torch.all(attention[:, t, :, :, 5 + t + 1:] == 0)


def test_a_padded_row_equals_the_row_alone_and_hidden_is_what_the_head_reads():
    model = tiny_decoder_only()
    src, tgt_in = padded_batch()
    with torch.no_grad():
        batch, _ = model(src, tgt_in)
        alone, _ = model(src[1:2, :2], tgt_in[1:2])
        torch.testing.assert_close(batch[1], alone[0], atol=1e-5, rtol=1e-5)
        out = model.step(torch.tensor([1]), model.encode(src[:1]))
        scale = float(out.logits.abs().max())  # (relative to the logits' size: BLAS kernels differ across CPUs)
        torch.testing.assert_close(model.out(out.hidden), out.logits, atol=1e-5 * scale, rtol=1e-5)


def test_checkpoint_round_trip_and_every_strategy_decodes(tmp_path):
    model = tiny_decoder_only()
    save_checkpoint(model, tmp_path / "tiny", meta={"name": "tiny", "task": "g2p"})
    loaded = load_model(tmp_path / "tiny")
    assert loaded.family == "decoder-only" and loaded.arch == model.arch
    for strategy in STRATEGIES:
        config = DecodeConfig(strategy=strategy, beam_width=3, num_groups=1, max_length=6, seed=1)
        result = decode(loaded, "cab", config)
        assert result.hypotheses
        assert result.trace.hypotheses[0].tokens == decode(model, "cab", config).trace.hypotheses[0].tokens
        check_invariants(result.trace, config)


def test_config_is_checked():
    with pytest.raises(ValueError, match="divisible"):
        DecoderOnlyConfig(src_vocab_size=5, tgt_vocab_size=5, d_model=10, heads=3)
    with pytest.raises(ValueError, match="layers"):
        DecoderOnlyConfig(src_vocab_size=5, tgt_vocab_size=5, layers=0)


def test_the_trace_keeps_self_attention_over_the_growing_context():
    """Each step attends over the input, <s> and the outputs before it: the path's heatmap is lower-triangular
    past the input (a causal mask), its columns named by context_keys, a batch's padding left out."""
    model = tiny_decoder_only()
    trace = decode(model, "cab", DecodeConfig(max_length=5)).trace
    assert trace.context and trace.steps[0].attention.shape == (1, 2, 2, 3 + 1)  # c a b <s>
    node = trace.hypotheses[0].node
    keys, heat = trace.context_keys(node), trace.attention_path(node)
    tokens = trace.hypotheses[0].tokens
    assert keys == ["c", "a", "b", "<s>", *tokens[:len(heat) - 1]] and heat.shape == (len(heat), len(keys))
    for j, row in enumerate(heat):
        assert row[:4 + j].sum() == pytest.approx(1.0, abs=1e-5) and not row[4 + j:].any()
    alone = decode(model, "ab", DecodeConfig(max_length=5)).trace
    batch = decode_many(model, ["cab", "ab"], DecodeConfig(max_length=5))[1].trace  # "ab" padded to 3
    np.testing.assert_allclose(batch.steps[0].attention, alone.steps[0].attention, atol=1e-6)
