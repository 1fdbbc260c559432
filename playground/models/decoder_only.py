"""A GPT-style decoder-only Transformer for G2P/P2G: one causal stack reads the input, then writes the output.

The task is a continuation (Radford et al. 2018/2019, GPT; the "decoder-only" reading of seq2seq of Liu et al.
2018, "Generating Wikipedia by Summarizing Long Sequences"): the sequence is the input symbols, a separator, then
the output symbols and the end token,

    k n i g h t <s> N AY T </s>        loss on the continuation only (N AY T </s>)

and every position attends to every earlier one through causal self-attention, so the decoder reads the
spelling with the very attention it uses to look back at what it already wrote. The two alphabets keep their
own embedding tables (a joint vocabulary cut in two: a letter and a phoneme never share an id) and the output
head predicts output symbols only. Pre-LayerNorm blocks (Xiong et al. 2020) and sinusoidal positions (Vaswani
et al. 2017, section 3.5), with the building blocks of ``transformer.py``:

    x = emb(seq) * sqrt(d) + PE(pos);  N x [x += CausalSelfAttn(LN(x));  x += FFN(LN(x))];  logits = W_o LN(x)

Padding. A batch pads its inputs on the right (the engine's and training's layout): positions count real
symbols only (a row's separator sits at position len(input) whatever the padding) and padded keys are masked,
so a row computes exactly what it computes alone.

Step protocol (playground/decoding/protocol.py): ``encode`` runs the input once (the prefill) and keeps every
layer's keys and values; the separator is the engine's start token <s>, fed at step 0; each ``step`` appends one
position to each layer's cache and returns the self-attention of every layer and head over the whole context,
input symbols | <s> | the outputs so far: (B, L, H, S + t + 1) at step t.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from playground.decoding.protocol import ModelInfo, StepOutput
from playground.models.lens import LayerLens, fed_tokens
from playground.models.rows import check_sizes, select_rows, step_distinct
from playground.models.transformer import MAX_POSITIONS, FeedForward, MultiHeadAttention, sinusoids
from playground.models.vocab import Vocab


@dataclass(frozen=True, kw_only=True)
class DecoderOnlyConfig:
    src_vocab_size: int
    tgt_vocab_size: int
    d_model: int = 256
    heads: int = 4
    layers: int = 4
    ffn_dim: int = 1024
    dropout: float = 0.1

    def __post_init__(self) -> None:
        check_sizes(self, ("src_vocab_size", "tgt_vocab_size", "d_model", "heads", "layers", "ffn_dim"))
        if self.d_model % self.heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by heads={self.heads}")

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """The model card's architecture sentence."""
        return (f"decoder-only Transformer (GPT-style, pre-LayerNorm, causal self-attention over the input, a "
                f"separator and the output): {self.layers} layers, d_model {self.d_model}, {self.heads} attention "
                f"heads, feed-forward {self.ffn_dim}, sinusoidal positions, dropout {self.dropout}")


class Block(nn.Module):
    def __init__(self, c: DecoderOnlyConfig):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.ffn = FeedForward(c.d_model, c.ffn_dim, c.dropout)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x, past_k, past_v, mask, *, weights: bool):
        """x (B, T, d) at the T positions after the T' cached ones, past_k/v (B, H, T', d_k), mask (B, 1, T, T' + T)
        True where a query may attend a key. -> x, this layer's keys and values of all T' + T positions, and the
        attention weights (B, H, T, T' + T) (None unless ``weights``)."""
        h = self.norm1(x)
        k, v = self.attn.keys_values(h)
        k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
        attended, probs = self.attn(h, k, v, mask, weights=weights)
        x = x + self.drop(attended)
        return x + self.drop(self.ffn(self.norm2(x))), k, v, probs


@dataclass
class DecoderOnlyState:
    """Per layer, the keys/values (B, H, n, d_k) of the n context positions so far (the input's S, then <s> and
    the outputs), the mask of real keys (B, n), each row's input length (B,) and ``origin`` (rows.step_distinct)."""

    keys: tuple[torch.Tensor, ...]
    values: tuple[torch.Tensor, ...]
    key_mask: torch.Tensor  # (B, n) bool: False at the input's padding
    lengths: torch.Tensor  # (B,) long: real input symbols of each row
    origin: torch.Tensor  # (B,) long

    def index_select(self, index: torch.Tensor) -> DecoderOnlyState:
        return DecoderOnlyState(keys=tuple(select_rows(k, index) for k in self.keys),
                                values=tuple(select_rows(v, index) for v in self.values),
                                key_mask=select_rows(self.key_mask, index), lengths=select_rows(self.lengths, index),
                                origin=self.origin.index_select(0, index))


class DecoderOnly(nn.Module, ModelInfo, LayerLens):
    family = "decoder-only"
    outputs = frozenset({"self_attention", "hidden"})
    lens_reads = "the residual stream after block i, through the final LayerNorm and the output layer"

    def __init__(self, config: DecoderOnlyConfig, source_vocab: Vocab | None = None,
                 target_vocab: Vocab | None = None):
        super().__init__()
        self.arch, c = config, config
        self.config: dict = {}  # the checkpoint's config.json once loaded
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        self.src_embed = nn.Embedding(c.src_vocab_size, c.d_model, padding_idx=0)
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.d_model, padding_idx=0)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.norm = nn.LayerNorm(c.d_model)
        self.out = nn.Linear(c.d_model, c.tgt_vocab_size)
        self.drop = nn.Dropout(c.dropout)
        self.register_buffer("positions", sinusoids(MAX_POSITIONS, c.d_model), persistent=False)
        self._init_weights()

    def _init_weights(self) -> None:
        for name, p in self.named_parameters():
            if "embed" in name:  # N(0, d^-1/2): emb * sqrt(d) has unit scale
                nn.init.normal_(p, std=self.arch.d_model ** -0.5)
            elif p.dim() > 1:
                nn.init.xavier_uniform_(p)
            elif name.endswith("bias"):
                nn.init.zeros_(p)
        with torch.no_grad():
            self.src_embed.weight[0].zero_()
            self.tgt_embed.weight[0].zero_()

    @property
    def device(self) -> torch.device:
        return self.out.weight.device

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def embed(self, table: nn.Embedding, ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """ids (B, T) at positions (B, T) -> (B, T, d)."""
        return self.drop(table(ids) * math.sqrt(self.arch.d_model) + self.positions[positions])

    def run(self, x: torch.Tensor, past: DecoderOnlyState | None, key_mask: torch.Tensor, *, weights: bool,
            streams: list | None = None):
        """The stack on x (B, T, d) after ``past``'s cached positions; key_mask (B, n + T) marks real keys.
        -> the final LayerNorm's output (B, T, d), every layer's keys and values, attention (B, T, L, H, n + T).
        ``streams``: a list that gets the residual stream after each block (B, T, d), before the final LayerNorm."""
        t_new, n = x.shape[1], key_mask.shape[1]
        causal = torch.ones(t_new, n, dtype=torch.bool, device=x.device).tril(n - t_new)  # (T, n + T)
        mask = causal[None, None] & key_mask[:, None, None, :]  # (B, 1, T, n + T)
        keys, values, attention = [], [], []
        for i, block in enumerate(self.blocks):
            past_k = past.keys[i] if past is not None else x.new_zeros(x.shape[0], self.arch.heads, 0,
                                                                       self.arch.d_model // self.arch.heads)
            past_v = past.values[i] if past is not None else past_k
            x, k, v, probs = block(x, past_k, past_v, mask, weights=weights)
            if streams is not None:
                streams.append(x)
            keys.append(k)
            values.append(v)
            attention.append(probs)
        # L x (B, H, T, K) -> (B, L, H, T, K) -> (B, T, L, H, K)
        stacked = torch.stack(attention, dim=1).permute(0, 3, 1, 2, 4) if weights else None
        return self.norm(x), tuple(keys), tuple(values), stacked

    # --- the step protocol ---------------------------------------------------------------------------
    def encode(self, src_ids: torch.Tensor) -> DecoderOnlyState:
        """src_ids (B, S), padded with 0 on the right -> the caches of the input's S positions (the prefill)."""
        src_ids = src_ids.to(self.device)
        key_mask = src_ids != 0  # (B, S)
        positions = torch.arange(src_ids.shape[1], device=self.device).expand_as(src_ids)
        _, keys, values, _ = self.run(self.embed(self.src_embed, src_ids, positions), None, key_mask, weights=False)
        return DecoderOnlyState(keys=keys, values=values, key_mask=key_mask, lengths=key_mask.sum(1),
                                origin=torch.arange(src_ids.shape[0], device=self.device))

    def step(self, prev_tokens: torch.Tensor, state: DecoderOnlyState) -> StepOutput:
        """prev_tokens (B,) -> logits (B, V), new state, self-attention (B, L, H, S + t + 1) at step t, and the
        final LayerNorm's output as ``hidden`` (B, d)."""
        return step_distinct(self._step, prev_tokens.to(self.device), state, self.arch.tgt_vocab_size).cpu()

    def _step(self, prev_tokens: torch.Tensor, state: DecoderOnlyState) -> StepOutput:
        generated = state.keys[0].shape[2] - state.key_mask.shape[1]  # positions fed after the input: <s>, y_1...
        position = (state.lengths + generated)[:, None]  # (B, 1): the separator sits at len(input)
        key_mask = torch.cat([state.key_mask, state.key_mask.new_ones(state.key_mask.shape[0], generated + 1)], 1)
        x = self.embed(self.tgt_embed, prev_tokens[:, None], position)  # (B, 1, d)
        h, keys, values, attention = self.run(x, state, key_mask, weights=True)
        new = DecoderOnlyState(keys=keys, values=values, key_mask=state.key_mask, lengths=state.lengths,
                               origin=state.origin)
        return StepOutput(logits=self.out(h[:, 0]), state=new, self_attention=attention[:, 0],  # (B, L, H, n + 1)
                          hidden=h[:, 0])

    def reorder(self, state: DecoderOnlyState, index: torch.Tensor) -> DecoderOnlyState:
        return state.index_select(index.to(state.origin.device))

    # --- training ------------------------------------------------------------------------------------
    def forward(self, src_ids: torch.Tensor, tgt_in: torch.Tensor, *, weights: bool = False):
        """Teacher forcing, all positions at once. src_ids (B, S) right-padded, tgt_in (B, T) starting with <s>
        -> logits (B, T, V) at the output positions, and with ``weights`` the self-attention of those positions
        (B, T, L, H, S + T) (else None)."""
        x, key_mask = self.sequence(src_ids, tgt_in)
        h, _, _, attention = self.run(x, None, key_mask, weights=weights)
        s = src_ids.shape[1]
        return self.out(h[:, s:]), None if attention is None else attention[:, s:]

    def sequence(self, src_ids: torch.Tensor, tgt_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The embedded sequence input | tgt_in (B, S + T, d), each row's positions counting its real input symbols
        only, and the mask of its real keys (B, S + T)."""
        key_mask = src_ids != 0
        lengths = key_mask.sum(1, keepdim=True)  # (B, 1)
        src_pos = torch.arange(src_ids.shape[1], device=src_ids.device).expand_as(src_ids)
        tgt_pos = lengths + torch.arange(tgt_in.shape[1], device=src_ids.device)  # (B, T)
        x = torch.cat([self.embed(self.src_embed, src_ids, src_pos), self.embed(self.tgt_embed, tgt_in, tgt_pos)], 1)
        return x, torch.cat([key_mask, torch.ones_like(tgt_in, dtype=torch.bool)], 1)  # (B, S + T)

    # --- the logit lens (models/lens.py) -------------------------------------------------------------
    @torch.no_grad()
    def lens_states(self, src_ids: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Layer i's output is the residual stream after block i (pre-LayerNorm: the embedding plus every
        sublayer's output so far) at the output positions (<s>, then the tokens fed), read through ``norm``, the
        final LayerNorm: (L, B, T, d). The last layer's is what ``step`` hands the output layer."""
        tokens = tokens.to(self.device)
        src_ids = src_ids.to(self.device).expand(tokens.shape[0], -1)
        x, key_mask = self.sequence(src_ids, fed_tokens(tokens, self.target_vocab.bos_id))
        streams: list[torch.Tensor] = []
        self.run(x, None, key_mask, weights=False, streams=streams)
        return self.norm(torch.stack(streams)[:, :, src_ids.shape[1]:])

    def lens_head(self, states: torch.Tensor) -> torch.Tensor:
        return self.out(states)

    def loss(self, src_ids, tgt_in, tgt_out, label_smoothing: float = 0.0) -> torch.Tensor:
        """Mean cross-entropy per real output token (the continuation only); padding (id 0) has weight 0."""
        logits, _ = self(src_ids, tgt_in)
        return F.cross_entropy(logits.flatten(0, 1).float(), tgt_out.flatten(), ignore_index=0,
                               label_smoothing=label_smoothing)
