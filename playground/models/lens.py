"""The logit lens's side of a model (nostalgebraist 2020, "interpreting GPT: the logit lens"): a model whose decoder
is a stack of layers, each writing into the one stream that the output layer finally reads, can read that stream
after every layer through its final norm and its output layer, as if the layers above were not there.

A model offers it by inheriting ``LayerLens`` (its declaration, read with ``isinstance``, never probed), the way it
declares its step outputs in ``outputs`` (playground/decoding/protocol.py). The engine knows nothing of it: the
analysis (playground/analysis/logit_lens.py) runs it over a decoded hypothesis.

    states = model.lens_states(src_ids, tokens)   # src_ids (1, S), tokens (B, T) -> (L, B, T, d)
    logits = model.lens_head(states[i])           # (..., d) -> (..., V)

``tokens`` are B outputs y_1..y_T of the source (right-padded with any id: a position never sees what comes after
it). ``states[i, b, t]`` is decoder layer i+1's output at the position that predicts tokens[b, t] (having seen the
source and tokens[b, :t], fed as the engine feeds them: the model adds its own start), already through the final
norm, so that ``lens_head(states[-1])`` are exactly the logits of the model's own step t. Each family's docstring
says what "a layer's output" is for it (``lens_reads`` says it in one line for the page).
"""

from __future__ import annotations

import torch


class LayerLens:
    """Declares the logit lens; the methods are the model's (module docstring)."""

    lens_reads: str = ""  # one line: what a row of the lens is, for this family

    def lens_states(self, src_ids: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """src_ids (1, S) (the source as the engine encodes it), tokens (B, T) long -> (L, B, T, d): each decoder
        layer's output through the final norm, at the position predicting each token."""
        raise NotImplementedError

    def lens_head(self, states: torch.Tensor) -> torch.Tensor:
        """(..., d) normalised states -> (..., V) logits: the output layer as the model's step applies it."""
        raise NotImplementedError


def fed_tokens(tokens: torch.Tensor, start: int) -> torch.Tensor:
    """A decoder's teacher-forced input for ``tokens`` (B, T): ``start`` first, then each row's tokens but its last
    (the input at position t is what precedes tokens[:, t])."""
    return torch.cat([tokens.new_full((tokens.shape[0], 1), start), tokens[:, :-1]], dim=1)
