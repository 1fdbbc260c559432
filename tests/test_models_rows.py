"""Seq2Seq.step computes each distinct row once (DecoderState.origin), and one shared source stays one."""

import pytest
import torch
from helpers import tiny_model

from playground import DecodeConfig, decode


class NoSharing:
    """The same model with every row marked distinct after each reorder: the plain, row-by-row path."""

    def __init__(self, model):
        self.model, self.source_vocab, self.target_vocab = model, model.source_vocab, model.target_vocab
        self.outputs = model.outputs

    def encode(self, src_ids):
        return self.model.encode(src_ids)

    def step(self, prev_tokens, state):
        return self.model.step(prev_tokens, state)

    def reorder(self, state, index):
        state = self.model.reorder(state, index)
        state.origin = torch.arange(index.numel())
        return state


def test_copies_with_the_same_token_are_computed_once_and_equal_one_row():
    model = tiny_model()
    with torch.no_grad():
        one = model.encode(torch.tensor([[5, 6, 7]]))
        out_1 = model.step(torch.tensor([1]), one)
        three = model.reorder(one, torch.zeros(3, dtype=torch.long))
        assert three.origin.tolist() == [0, 0, 0]  # three copies of one row
        out_3 = model.step(torch.tensor([1, 1, 1]), three)
        for row in range(3):  # each copy is the one row's result itself, not a recomputation
            assert torch.equal(out_3.logits[row], out_1.logits[0])
            assert torch.equal(out_3.attention[row], out_1.attention[0])
            assert torch.equal(out_3.hidden[row], out_1.hidden[0])
        state_3 = out_3.state
        assert state_3.origin.tolist() == [0, 0, 0] and state_3.hidden.shape[1] == 3
        # rows 0 and 2 take the same token, row 1 another: two distinct rows, marked as such
        out = model.step(torch.tensor([4, 5, 4]), state_3)
        logits, state = out.logits, out.state
        assert state.origin[0] == state.origin[2] != state.origin[1]
        assert torch.equal(logits[0], logits[2]) and not torch.equal(logits[0], logits[1])


def test_one_shared_source_is_a_view_not_copies():
    model = tiny_model()
    state = model.reorder(model.encode(torch.tensor([[5, 6, 7, 8]])), torch.zeros(1000, dtype=torch.long))
    assert state.memory.shape == (1000, 4, 24) and state.memory.stride(0) == 0
    assert state.keys.stride(0) == 0 and state.src_mask.shape == (1000, 4)
    again = model.reorder(state, torch.tensor([3, 1]))  # still one source
    assert again.memory.stride(0) == 0 and again.memory.shape[0] == 2


def test_unpadded_encode_equals_the_packed_batch_encode():
    model = tiny_model()
    src = torch.tensor([[5, 6, 7, 8, 9], [10, 11, 0, 0, 0]])
    with torch.no_grad():
        batch = model.encode(src)  # padded: packed sequences
        for b, length in ((0, 5), (1, 2)):
            alone = model.encode(src[b:b + 1, :length])  # no padding: the RNN on the sequence as is
            torch.testing.assert_close(alone.memory[0], batch.memory[b, :length], atol=1e-6, rtol=0)
            torch.testing.assert_close(alone.hidden[:, 0], batch.hidden[:, b], atol=1e-6, rtol=0)


@pytest.mark.parametrize("rnn, layers", [("gru", 1), ("lstm", 2)])
def test_sampling_draws_the_same_samples_with_and_without_sharing(rnn, layers):
    model = tiny_model(rnn=rnn, layers=layers)
    config = DecodeConfig(strategy="sample", num_samples=200, num_return=200, seed=3, max_length=6)
    shared, plain = decode(model, "cab", config), decode(NoSharing(model), "cab", config)
    assert [h.tokens for h in shared.hypotheses] == [h.tokens for h in plain.hypotheses]
    for a, b in zip(shared.hypotheses, plain.hypotheses, strict=True):
        assert a.log_prob == pytest.approx(b.log_prob, abs=1e-5)
    assert len({tuple(h.tokens) for h in shared.hypotheses}) < 200  # copies happened, so sharing was used


def test_beams_never_share_and_match_the_plain_path_exactly():
    model = tiny_model()
    config = DecodeConfig(strategy="beam", beam_width=4, num_return=4, max_length=6)
    shared, plain = decode(model, "cab", config), decode(NoSharing(model), "cab", config)
    assert shared.trace == plain.trace
