"""The only thing the decoding engine knows about a model: a small step protocol.

Like the ``symbols_to_logits_fn`` of TF-NLP's decoding ops, the engine never sees layers or
classes. It encodes a source once, then asks for one step at a time. Shapes:

    state = model.encode(src_ids)                         # src_ids: LongTensor (1, S)
    logits, state, attention = model.step(prev, state)    # prev: LongTensor (B,)
                                                          # logits: (B, V) raw, un-normalised
                                                          # attention: (B, L, H, S) cross-attention of
                                                          # every layer and head, or (B, S) for a model
                                                          # with one; rows sum to 1
    state = model.reorder(state, index)                   # index: LongTensor (B',) into the B rows

``reorder`` both selects/permutes rows (beam search) and expands one row into many
(``index = zeros(N)`` makes N copies of a freshly encoded source for batched sampling).
The state is opaque to the engine.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

from playground.models.vocab import Vocab


@runtime_checkable
class StepModel(Protocol):
    source_vocab: Vocab
    target_vocab: Vocab

    def encode(self, src_ids: torch.Tensor) -> Any: ...

    def step(self, prev_tokens: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any, torch.Tensor]: ...

    def reorder(self, state: Any, index: torch.Tensor) -> Any: ...
