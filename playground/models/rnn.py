"""An RNN encoder-decoder with attention, exposing the engine's step protocol.

Architecture (Luong, Pham & Manning 2015, "Effective Approaches to Attention-based NMT", global
attention with input feeding; the score function is selectable):

    encoder   : embeddings -> bidirectional GRU/LSTM                     h_1..h_S   (B, S, 2E)
    bridge    : s_0 = tanh(W_b [h_fwd_S; h_bwd_1])                        per decoder layer
    decoder   : s_t = RNN([emb(y_{t-1}); h~_{t-1}], s_{t-1})              input feeding
    attention : a_t = softmax(score(s_t, h_i)) over real source positions, c_t = sum_i a_ti h_i
    output    : h~_t = tanh(W_c [s_t; c_t]),  logits_t = W_o h~_t

Score functions (see attention.py): Bahdanau additive (Bahdanau, Cho & Bengio 2015), Luong
"dot" and "general" (Luong et al. 2015).

Teacher-forced ``forward`` runs the very same step function the decoding engine calls, so what the
playground shows is exactly what was trained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from playground.decoding.protocol import ModelInfo, StepOutput
from playground.models.attention import Attention
from playground.models.rows import check_sizes, select_rows, step_distinct
from playground.models.vocab import Vocab


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    src_vocab_size: int
    tgt_vocab_size: int
    embed_dim: int = 64
    hidden_dim: int = 256  # per encoder direction; the decoder is 2 * hidden_dim wide
    encoder_layers: int = 1
    decoder_layers: int = 1
    rnn: str = "gru"  # "gru" or "lstm"
    attention: str = "bahdanau"  # "bahdanau", "dot" or "general"
    dropout: float = 0.2

    def __post_init__(self) -> None:
        check_sizes(self, ("src_vocab_size", "tgt_vocab_size", "embed_dim", "hidden_dim", "encoder_layers",
                           "decoder_layers"))
        if self.rnn not in ("gru", "lstm"):
            raise ValueError(f"rnn must be 'gru' or 'lstm', got {self.rnn!r}")
        if self.attention not in Attention.KINDS:
            raise ValueError(f"attention must be one of {Attention.KINDS}, got {self.attention!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """The model card's architecture sentence."""
        return (f"{self.rnn.upper()} encoder (bidirectional, {self.encoder_layers} layer(s), {self.hidden_dim} units "
                f"per direction),\n{self.decoder_layers}-layer decoder with input feeding ({2 * self.hidden_dim} "
                f"units), {self.attention} attention,\nembeddings {self.embed_dim}, dropout {self.dropout}")


@dataclass
class DecoderState:
    """Everything one decoding row needs; rows are independent, so beams just index them.

    ``origin`` (B,) tells copies apart from distinct rows: rows with the same origin hold the same state
    (``reorder`` copied one row), so ``Seq2Seq.step`` computes each distinct (origin, token) pair once:
    1000 samples of one word share a handful of prefixes."""

    hidden: torch.Tensor  # (L, B, D) decoder RNN hidden
    cell: torch.Tensor | None  # (L, B, D) LSTM cell, None for GRU
    feed: torch.Tensor  # (B, D) attentional vector h~_{t-1} (input feeding)
    memory: torch.Tensor  # (B, S, 2E) encoder outputs
    keys: torch.Tensor  # (B, S, A) attention keys precomputed once per source
    src_mask: torch.Tensor  # (B, S) True at real positions
    origin: torch.Tensor  # (B,) long: equal origins, equal states

    def index_select(self, index: torch.Tensor) -> DecoderState:
        return DecoderState(
            hidden=self.hidden.index_select(1, index),
            cell=None if self.cell is None else self.cell.index_select(1, index),
            feed=self.feed.index_select(0, index),
            memory=select_rows(self.memory, index),
            keys=select_rows(self.keys, index),
            src_mask=select_rows(self.src_mask, index),
            origin=self.origin.index_select(0, index),
        )


class Seq2Seq(nn.Module, ModelInfo):
    family = "rnn"
    outputs = frozenset({"attention", "hidden"})

    def __init__(self, config: ModelConfig, source_vocab: Vocab | None = None,
                 target_vocab: Vocab | None = None):
        super().__init__()
        self.arch = config
        self.config: dict = {}  # the checkpoint's config.json once loaded (task, name, data, metrics)
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        c = config
        enc_out, dec_dim = 2 * c.hidden_dim, 2 * c.hidden_dim
        rnn_cls = nn.GRU if c.rnn == "gru" else nn.LSTM
        self.src_embed = nn.Embedding(c.src_vocab_size, c.embed_dim, padding_idx=0)
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.embed_dim, padding_idx=0)
        self.encoder = rnn_cls(c.embed_dim, c.hidden_dim, num_layers=c.encoder_layers, batch_first=True,
                               bidirectional=True, dropout=c.dropout if c.encoder_layers > 1 else 0.0)
        self.bridge = nn.Linear(enc_out, dec_dim * c.decoder_layers)
        self.decoder = rnn_cls(c.embed_dim + dec_dim, dec_dim, num_layers=c.decoder_layers, batch_first=True,
                               dropout=c.dropout if c.decoder_layers > 1 else 0.0)
        self.attention = Attention(c.attention, query_dim=dec_dim, memory_dim=enc_out)
        self.combine = nn.Linear(dec_dim + enc_out, dec_dim, bias=False)
        self.out = nn.Linear(dec_dim, c.tgt_vocab_size)
        self.drop = nn.Dropout(c.dropout)

    # --- the step protocol (playground/decoding/protocol.py) ------------------------------------
    @property
    def device(self) -> torch.device:
        return self.out.weight.device

    def encode(self, src_ids: torch.Tensor) -> DecoderState:
        """src_ids: (B, S) padded with 0 on the right. The state stays on the model's device (CUDA when the
        app found one); the engine's own tensors live on the CPU, see ``step``."""
        c = self.arch
        src_ids = src_ids.to(self.device)
        src_mask = src_ids != 0  # (B, S)
        x = self.drop(self.src_embed(src_ids))  # (B, S, E)
        if bool(src_mask.all()):  # no padding (one input, as the engine encodes): packing would change nothing
            memory, final = self.encoder(x)  # (B, S, 2E)
        else:
            lengths = src_mask.sum(1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            packed_out, final = self.encoder(packed)
            memory, _ = nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=True,
                                                         total_length=src_ids.size(1))  # (B, S, 2E)
        h_n = final[0] if c.rnn == "lstm" else final  # (2 * layers, B, E)
        last = torch.cat([h_n[-2], h_n[-1]], dim=-1)  # (B, 2E) top layer, forward and backward
        hidden = torch.tanh(self.bridge(last)).view(-1, c.decoder_layers, 2 * c.hidden_dim)
        hidden = hidden.transpose(0, 1).contiguous()  # (L, B, D)
        return DecoderState(
            hidden=hidden,
            cell=torch.zeros_like(hidden) if c.rnn == "lstm" else None,
            feed=hidden.new_zeros(hidden.size(1), hidden.size(2)),
            memory=memory,
            keys=self.attention.keys(memory),
            src_mask=src_mask,
            origin=torch.arange(src_ids.size(0), device=src_ids.device),
        )

    def step(self, prev_tokens: torch.Tensor, state: DecoderState) -> StepOutput:
        """prev_tokens: (B,) -> logits (B, V), the new state, attention (B, 1, 1, S) (one layer, one head) and the
        attentional vector h~_t as ``hidden`` (B, D); rows that are copies taking the same token are computed once
        (rows.step_distinct). The engine works on CPU tensors: the small per-step outputs come back there."""
        return step_distinct(self._step, prev_tokens.to(self.device), state, self.arch.tgt_vocab_size).cpu()

    def _step(self, prev_tokens: torch.Tensor, state: DecoderState) -> StepOutput:
        feed, new_state, attention = self.decoder_step(prev_tokens, state)
        return StepOutput(logits=self.out(self.drop(feed)), state=new_state, attention=attention[:, None, None, :],
                          hidden=feed)

    def decoder_step(self, prev_tokens: torch.Tensor, state: DecoderState):
        """One decoder step -> the attentional vector h~_t (B, D), the new state, attention (B, S)."""
        emb = self.drop(self.tgt_embed(prev_tokens))  # (B, E)
        rnn_in = torch.cat([emb, state.feed], dim=-1).unsqueeze(1)  # (B, 1, E + D)
        if state.cell is None:
            out, hidden = self.decoder(rnn_in, state.hidden)
            cell = None
        else:
            out, (hidden, cell) = self.decoder(rnn_in, (state.hidden, state.cell))
        query = out.squeeze(1)  # (B, D)
        context, attention = self.attention(query, state.keys, state.memory, state.src_mask)
        feed = torch.tanh(self.combine(torch.cat([query, context], dim=-1)))  # (B, D)
        new_state = DecoderState(hidden=hidden, cell=cell, feed=feed, memory=state.memory, keys=state.keys,
                                 src_mask=state.src_mask, origin=state.origin)
        return feed, new_state, attention

    def reorder(self, state: DecoderState, index: torch.Tensor) -> DecoderState:
        return state.index_select(index.to(state.feed.device))

    # --- training ----------------------------------------------------------------------------------
    def forward(self, src_ids: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher forcing. src_ids (B, S); tgt_in (B, T) starting with BOS -> logits (B, T, V),
        attention (B, T, S)."""
        state = self.encode(src_ids)
        all_logits, all_attention = [], []
        for t in range(tgt_in.size(1)):
            feed, state, attention = self.decoder_step(tgt_in[:, t], state)
            all_logits.append(self.out(self.drop(feed)))  # (B, V)
            all_attention.append(attention)
        return torch.stack(all_logits, 1), torch.stack(all_attention, 1)

    def loss(self, src_ids, tgt_in, tgt_out, label_smoothing: float = 0.0) -> torch.Tensor:
        """Mean cross-entropy per real target token; padding (id 0) has weight 0."""
        logits, _ = self(src_ids, tgt_in)
        return F.cross_entropy(logits.flatten(0, 1).float(), tgt_out.flatten(), ignore_index=0,
                               label_smoothing=label_smoothing)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
