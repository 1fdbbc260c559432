"""An encoder-decoder Transformer exposing the engine's step protocol, every cross-attention head included.

Vaswani et al. 2017, "Attention Is All You Need", with pre-LayerNorm blocks (Wang et al. 2019; Xiong et al.
2020: LayerNorm before each sublayer, a final LayerNorm after the stack), which train without a long
warm-up being critical:

    encoder : x = emb(src) * sqrt(d) + PE(pos);  N x [x += SelfAttn(LN(x));  x += FFN(LN(x))];  m = LN(x)
    decoder : y = emb(tgt) * sqrt(d) + PE(pos);  N x [y += CausalSelfAttn(LN(y));  y += CrossAttn(LN(y), m);
                                                      y += FFN(LN(y))];  logits = W_o LN(y)
    attention : softmax(Q K^T / sqrt(d_k)) V per head (eq. 1), H heads of d_k = d / H (eq. 2)
    PE        : sinusoids, PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...)  (section 3.5)

Step protocol (playground/decoding/protocol.py): ``encode`` runs the encoder once and projects every decoder
layer's cross-attention keys and values once; ``step`` appends one position to each layer's self-attention
key/value cache and returns the cross-attention of every layer and head, (B, L, H, S); ``reorder``
index-selects the caches. Teacher-forced training (``forward``) runs all positions at once; a test checks that
stepping one position at a time gives the same logits (tests/test_models_transformer.py).
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
from playground.models.vocab import Vocab

MAX_POSITIONS = 128  # sinusoids precomputed for this many positions (inputs <= 48 symbols, outputs <= 64)


@dataclass(frozen=True, kw_only=True)
class TransformerConfig:
    src_vocab_size: int
    tgt_vocab_size: int
    d_model: int = 256
    heads: int = 4
    encoder_layers: int = 3
    decoder_layers: int = 3
    ffn_dim: int = 1024
    dropout: float = 0.1

    def __post_init__(self) -> None:
        check_sizes(self, ("src_vocab_size", "tgt_vocab_size", "d_model", "heads", "encoder_layers",
                           "decoder_layers", "ffn_dim"))
        if self.d_model % self.heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by heads={self.heads}")

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """The model card's architecture sentence."""
        return (f"Transformer encoder-decoder (Vaswani et al. 2017, pre-LayerNorm): {self.encoder_layers} encoder and "
                f"{self.decoder_layers} decoder layers, d_model {self.d_model}, {self.heads} attention heads, "
                f"feed-forward {self.ffn_dim}, sinusoidal positions, dropout {self.dropout}")


def sinusoids(length: int, dim: int) -> torch.Tensor:
    """(length, dim) positional encodings of Vaswani et al. 2017, section 3.5."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))  # (dim/2,)
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)
    return table


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model: int, heads: int, dropout: float):
        super().__init__()
        self.heads, self.d_k, self.dropout = heads, d_model // heads, dropout
        self.query = nn.Linear(d_model, d_model)
        self.key_value = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, d) -> (B, H, T, d_k)."""
        return x.view(x.shape[0], x.shape[1], self.heads, self.d_k).transpose(1, 2)

    def keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, S, d) -> keys, values (B, H, S, d_k)."""
        k, v = self.key_value(x).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def forward(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None, *,
                causal: bool = False, weights: bool = False):
        """x (B, T, d) attends over k, v (B, H, S, d_k); mask (B, 1, 1, S) True where a key may be attended.
        -> (B, T, d), and the weights (B, H, T, S) when ``weights`` (decoding: the page shows them)."""
        q = self.split(self.query(x))  # (B, H, T, d_k)
        if not weights:  # training: the fused kernel (and its dropout)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal,
                                                 dropout_p=self.dropout if self.training else 0.0)
            probs = None
        else:  # eq. 1 spelled out, to return the weights
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)  # (B, H, T, S)
            if causal:
                scores = scores.masked_fill(torch.ones_like(scores, dtype=torch.bool).triu(1), float("-inf"))
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            out = probs @ v  # (B, H, T, d_k)
        out = out.transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)  # (B, T, d)
        return self.out(out), probs


class FeedForward(nn.Sequential):
    def __init__(self, d_model: int, ffn_dim: int, dropout: float):
        super().__init__(nn.Linear(d_model, ffn_dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ffn_dim, d_model))


class EncoderLayer(nn.Module):
    def __init__(self, c: TransformerConfig):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.ffn = FeedForward(c.d_model, c.ffn_dim, c.dropout)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.drop(self.attn(h, *self.attn.keys_values(h), mask)[0])
        return x + self.drop(self.ffn(self.norm2(x)))


class DecoderLayer(nn.Module):
    def __init__(self, c: TransformerConfig):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(c.d_model) for _ in range(3))
        self.self_attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.cross_attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.ffn = FeedForward(c.d_model, c.ffn_dim, c.dropout)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, y, past_k, past_v, cross_k, cross_v, src_mask, *, weights: bool):
        """y (B, T, d) at the positions after the T' cached ones, past_k/v (B, H, T', d_k) (T' = 0 in training),
        cross_k/v (B, H, S, d_k). -> y, this layer's self-attention keys and values of all T' + T positions, and
        the cross-attention weights (B, H, T, S) (None unless ``weights``)."""
        h = self.norm1(y)
        k, v = self.self_attn.keys_values(h)
        k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
        causal = y.shape[1] > 1  # several positions at once (training): each sees only its past
        y = y + self.drop(self.self_attn(h, k, v, causal=causal, weights=weights)[0])
        attended, cross = self.cross_attn(self.norm2(y), cross_k, cross_v, src_mask, weights=weights)
        y = y + self.drop(attended)
        return y + self.drop(self.ffn(self.norm3(y))), k, v, cross


@dataclass
class TransformerState:
    """What the decoder needs per row. Per layer: cross keys/values (B, H, S, d_k), computed once by
    ``encode``, and the self-attention cache (B, H, t, d_k) of the t positions decoded so far."""

    cross_k: tuple[torch.Tensor, ...]
    cross_v: tuple[torch.Tensor, ...]
    self_k: tuple[torch.Tensor, ...]
    self_v: tuple[torch.Tensor, ...]
    src_mask: torch.Tensor  # (B, 1, 1, S) True at real source positions
    origin: torch.Tensor  # (B,) long: equal origins, equal states (rows.step_distinct)

    def index_select(self, index: torch.Tensor) -> TransformerState:
        def rows(xs):
            return tuple(select_rows(x, index) for x in xs)
        return TransformerState(cross_k=rows(self.cross_k), cross_v=rows(self.cross_v),
                                self_k=tuple(x.index_select(0, index) for x in self.self_k),
                                self_v=tuple(x.index_select(0, index) for x in self.self_v),
                                src_mask=select_rows(self.src_mask, index), origin=self.origin.index_select(0, index))


class Transformer(nn.Module, ModelInfo, LayerLens):
    family = "transformer"
    outputs = frozenset({"attention", "hidden"})
    lens_reads = "the residual stream after decoder block i, through the final LayerNorm and the output layer"

    def __init__(self, config: TransformerConfig, source_vocab: Vocab | None = None,
                 target_vocab: Vocab | None = None):
        super().__init__()
        self.arch, c = config, config
        self.config: dict = {}  # the checkpoint's config.json once loaded (task, name, data, metrics)
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        self.src_embed = nn.Embedding(c.src_vocab_size, c.d_model, padding_idx=0)
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.d_model, padding_idx=0)
        self.encoder = nn.ModuleList(EncoderLayer(c) for _ in range(c.encoder_layers))
        self.decoder = nn.ModuleList(DecoderLayer(c) for _ in range(c.decoder_layers))
        self.encoder_norm, self.decoder_norm = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.out = nn.Linear(c.d_model, c.tgt_vocab_size)
        self.drop = nn.Dropout(c.dropout)
        self.register_buffer("positions", sinusoids(MAX_POSITIONS, c.d_model), persistent=False)
        self._init_weights()

    def _init_weights(self) -> None:
        for name, p in self.named_parameters():
            if p.dim() > 1 and "embed" not in name:
                nn.init.xavier_uniform_(p)
            elif "embed" in name:  # N(0, d^-1/2), so that emb * sqrt(d) has unit scale (fairseq's choice)
                nn.init.normal_(p, std=self.arch.d_model ** -0.5)
            elif name.endswith("bias"):
                nn.init.zeros_(p)
        with torch.no_grad():
            self.src_embed.weight[0].zero_()
            self.tgt_embed.weight[0].zero_()

    @property
    def device(self) -> torch.device:
        return self.out.weight.device

    def embed(self, table: nn.Embedding, ids: torch.Tensor, start: int = 0) -> torch.Tensor:
        """ids (B, T) at positions start..start+T-1 -> (B, T, d)."""
        scale = math.sqrt(self.arch.d_model)
        return self.drop(table(ids) * scale + self.positions[start:start + ids.shape[1]])

    # --- the step protocol ---------------------------------------------------------------------------
    def encode(self, src_ids: torch.Tensor) -> TransformerState:
        """src_ids (B, S), padded with 0 on the right -> the state before the first decoder step."""
        src_ids = src_ids.to(self.device)
        mask = (src_ids != 0)[:, None, None, :]  # (B, 1, 1, S)
        memory = self.encode_memory(src_ids, mask)  # (B, S, d)
        cross = [layer.cross_attn.keys_values(memory) for layer in self.decoder]
        empty = memory.new_zeros(src_ids.shape[0], self.arch.heads, 0, self.arch.d_model // self.arch.heads)
        return TransformerState(cross_k=tuple(k for k, _ in cross), cross_v=tuple(v for _, v in cross),
                                self_k=(empty,) * len(self.decoder), self_v=(empty,) * len(self.decoder),
                                src_mask=mask, origin=torch.arange(src_ids.shape[0], device=src_ids.device))

    def encode_memory(self, src_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.embed(self.src_embed, src_ids)
        for layer in self.encoder:
            x = layer(x, mask)
        return self.encoder_norm(x)

    def step(self, prev_tokens: torch.Tensor, state: TransformerState) -> StepOutput:
        """prev_tokens (B,) -> logits (B, V), new state, cross-attention of every layer and head (B, L, H, S) and
        the final LayerNorm's output as ``hidden`` (B, d)."""
        return step_distinct(self._step, prev_tokens.to(self.device), state, self.arch.tgt_vocab_size).cpu()

    def _step(self, prev_tokens: torch.Tensor, state: TransformerState) -> StepOutput:
        t = state.self_k[0].shape[2]  # positions decoded so far
        y = self.embed(self.tgt_embed, prev_tokens[:, None], start=t)  # (B, 1, d)
        self_k, self_v, crosses = [], [], []
        for i, layer in enumerate(self.decoder):
            y, k, v, cross = layer(y, state.self_k[i], state.self_v[i], state.cross_k[i], state.cross_v[i],
                                   state.src_mask, weights=True)
            self_k.append(k)
            self_v.append(v)
            crosses.append(cross[:, :, 0])  # (B, H, S)
        hidden = self.decoder_norm(y[:, 0])  # (B, d)
        new = TransformerState(cross_k=state.cross_k, cross_v=state.cross_v, self_k=tuple(self_k),
                               self_v=tuple(self_v), src_mask=state.src_mask, origin=state.origin)
        return StepOutput(logits=self.out(hidden), state=new, attention=torch.stack(crosses, dim=1),  # (B, L, H, S)
                          hidden=hidden)

    def reorder(self, state: TransformerState, index: torch.Tensor) -> TransformerState:
        return state.index_select(index.to(state.origin.device))

    # --- training ------------------------------------------------------------------------------------
    def forward(self, src_ids: torch.Tensor, tgt_in: torch.Tensor, *, weights: bool = False):
        """Teacher forcing, all positions at once. src_ids (B, S), tgt_in (B, T) starting with BOS
        -> logits (B, T, V), and with ``weights`` the cross-attention (B, T, L, H, S) (else None)."""
        streams, crosses = self.decoder_stack(src_ids, tgt_in, weights=weights)
        logits = self.out(self.decoder_norm(streams[-1]))  # (B, T, V)
        return logits, torch.stack(crosses, dim=2).transpose(1, 3) if weights else None

    def decoder_stack(self, src_ids: torch.Tensor, tgt_in: torch.Tensor, *, weights: bool = False):
        """The encoder, then the decoder on tgt_in (B, T) -> the residual stream after each decoder block, L x
        (B, T, d) (before the final LayerNorm), and each block's cross-attention L x (B, H, T, S) (None unless
        ``weights``)."""
        mask = (src_ids != 0)[:, None, None, :]
        memory = self.encode_memory(src_ids, mask)
        y = self.embed(self.tgt_embed, tgt_in)
        empty = y.new_zeros(y.shape[0], self.arch.heads, 0, self.arch.d_model // self.arch.heads)
        streams, crosses = [], []
        for layer in self.decoder:
            y, _, _, cross = layer(y, empty, empty, *layer.cross_attn.keys_values(memory), mask, weights=weights)
            streams.append(y)
            crosses.append(cross)
        return streams, crosses

    # --- the logit lens (models/lens.py) -------------------------------------------------------------
    @torch.no_grad()
    def lens_states(self, src_ids: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Decoder layer i's output is the residual stream after block i (pre-LayerNorm: the embedding plus every
        sublayer's output so far), read through ``decoder_norm``, the final LayerNorm: (L, B, T, d). The last
        layer's is what ``step`` hands the output layer. One teacher-forced pass: <s>, then the tokens."""
        tokens = tokens.to(self.device)
        src_ids = src_ids.to(self.device).expand(tokens.shape[0], -1)
        streams, _ = self.decoder_stack(src_ids, fed_tokens(tokens, self.target_vocab.bos_id))
        return self.decoder_norm(torch.stack(streams))

    def lens_head(self, states: torch.Tensor) -> torch.Tensor:
        return self.out(states)

    def loss(self, src_ids, tgt_in, tgt_out, label_smoothing: float = 0.0) -> torch.Tensor:
        """Mean cross-entropy per real target token; padding (id 0) has weight 0."""
        logits, _ = self(src_ids, tgt_in)
        return F.cross_entropy(logits.flatten(0, 1).float(), tgt_out.flatten(), ignore_index=0,
                               label_smoothing=label_smoothing)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
