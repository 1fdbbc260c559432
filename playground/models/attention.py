"""Attention score functions, returning the weights explicitly so the playground can draw them.

    bahdanau (additive, Bahdanau et al. 2015, eq. 6):  score(q, h) = v^T tanh(W_q q + W_k h)
    dot      (Luong et al. 2015, eq. 8):               score(q, h) = q^T h
    general  (Luong et al. 2015, eq. 8):               score(q, h) = q^T W_a h

The part that depends only on the source (W_k h, or W_a h) is computed once per input by
``keys`` and reused at every step and by every beam row.
"""

from __future__ import annotations

import torch
import torch.nn as nn


class Attention(nn.Module):
    KINDS = ("bahdanau", "dot", "general")

    def __init__(self, kind: str, *, query_dim: int, memory_dim: int, attn_dim: int | None = None):
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"attention kind must be one of {self.KINDS}, got {kind!r}")
        if kind == "dot" and query_dim != memory_dim:
            raise ValueError(f"dot attention needs query_dim == memory_dim, got {query_dim} and {memory_dim}")
        self.kind = kind
        if kind == "bahdanau":
            attn_dim = attn_dim or query_dim
            self.key_proj = nn.Linear(memory_dim, attn_dim, bias=False)
            self.query_proj = nn.Linear(query_dim, attn_dim)
            self.v = nn.Linear(attn_dim, 1, bias=False)
        elif kind == "general":
            self.key_proj = nn.Linear(memory_dim, query_dim, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        """memory (B, S, M) -> keys (B, S, A): the query-independent half of the score."""
        return memory if self.kind == "dot" else self.key_proj(memory)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor):
        """query (B, Q), keys (B, S, A), memory (B, S, M), src_mask (B, S) True at real positions
        -> context (B, M), weights (B, S) summing to 1 over real positions and exactly 0 on padding."""
        if self.kind == "bahdanau":
            scores = self.v(torch.tanh(keys + self.query_proj(query).unsqueeze(1))).squeeze(-1)  # (B, S)
        else:
            scores = torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)  # (B, S)
        scores = scores.float().masked_fill(~src_mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # exp(-inf) = 0 on padding
        context = torch.bmm(weights.unsqueeze(1).to(memory.dtype), memory).squeeze(1)  # (B, M)
        return context, weights
