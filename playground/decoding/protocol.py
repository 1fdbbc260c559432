"""The only thing the decoding engine knows about a model: a small step protocol, typed here once.

Like the ``symbols_to_logits_fn`` of TF-NLP's decoding ops, the engine never sees layers or classes. It encodes a
source once, then asks for one step at a time; a step answers with a named ``StepOutput`` that can grow:

    state = model.encode(src_ids)              # src_ids: LongTensor (N, S), right-padded with source pad ids
    out = model.step(prev, state)              # prev: LongTensor (B,) -> StepOutput, out.logits (B, V)
    state = model.reorder(out.state, index)    # index: LongTensor (B',) into the B rows

``reorder`` both selects/permutes rows (beam search) and expands one row into many (``index = zeros(N)`` makes
N copies of a freshly encoded source for batched sampling). The state is opaque to the engine.

A model declares which optional fields its steps fill in ``outputs`` (a frozenset of StepOutput field names);
the engine checks every step against it, and a strategy that needs a field (contrastive search reads ``hidden``)
refuses a model that does not declare it, with a message, before decoding. What else a model says about itself
has a default in ``ModelInfo`` (every family inherits it): ``member_names`` (a model that returns
``member_log_probs`` names its members), ``target_languages`` ((label, token) pairs a multilingual model can be
forced to write), ``config`` (its checkpoint's config.json: name, task, ...) and ``family``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import torch

from playground.models.vocab import Vocab

# field -> the shape it has for B rows (documentation and the engine's check, in check_output)
OPTIONAL = {
    "attention": "(B, L, H, S): cross-attention of every decoder layer and head over the S source positions",
    "self_attention": "(B, L, H, K): a decoder-only model's self-attention over its K context positions (the "
                      "prompt, then what was generated before this step's input, then that input)",
    "hidden": "(B, d): the decoder's last hidden state at this position (the representation the output layer reads)",
    "member_log_probs": "(B, M, V): the log-probabilities of each of an ensemble's M members",
}


@dataclass(frozen=True, eq=False)
class StepOutput:
    """What one model step returns for B rows: the raw logits and the new state, plus what the model declares
    in ``outputs`` (OPTIONAL: shapes; None otherwise). Tensors are float32 on the CPU."""

    logits: torch.Tensor  # (B, V) raw, un-normalised
    state: Any
    attention: torch.Tensor | None = None
    self_attention: torch.Tensor | None = None
    hidden: torch.Tensor | None = None
    member_log_probs: torch.Tensor | None = None

    def present(self) -> frozenset[str]:
        """The optional fields this output holds."""
        return frozenset(name for name in OPTIONAL if getattr(self, name) is not None)

    def cpu(self) -> StepOutput:
        """Every tensor as float32 on the CPU (the engine's side), the state where it is (the model's device)."""
        moved = {name: getattr(self, name).float().cpu() for name in ("logits", *OPTIONAL)
                 if getattr(self, name) is not None}
        return replace(self, **moved)

    def rows(self, index: torch.Tensor, state: Any = None) -> StepOutput:
        """Rows ``index`` of every tensor field (index (B',) long), with ``state`` as the new state (the caller
        reorders it: only the model knows how)."""
        picked = {f.name: getattr(self, f.name).index_select(0, index) for f in fields(self)
                  if f.name != "state" and getattr(self, f.name) is not None}
        return replace(self, state=state, **picked)


class ModelInfo:
    """What a model declares about itself beyond its steps, with the defaults of a plain model (read, never probed)."""

    family: str = ""
    outputs: frozenset[str] = frozenset()
    member_names: tuple[str, ...] = ()
    target_languages: tuple[tuple[str, str], ...] = ()
    config: dict = MappingProxyType({})  # a model loaded from a checkpoint sets its own (config.json)


@runtime_checkable
class StepModel(Protocol):
    source_vocab: Vocab
    target_vocab: Vocab
    outputs: frozenset[str]  # the OPTIONAL fields its steps fill

    def encode(self, src_ids: torch.Tensor) -> Any: ...

    def step(self, prev_tokens: torch.Tensor, state: Any) -> StepOutput: ...

    def reorder(self, state: Any, index: torch.Tensor) -> Any: ...


def check_output(model, out: StepOutput, batch: int) -> StepOutput:
    """``out`` if it has what ``model.outputs`` declares, with the declared shapes for ``batch`` rows; else
    ValueError saying what is wrong (a model bug, found at its first step rather than deep in a chart)."""
    if not isinstance(out, StepOutput):
        raise ValueError(f"model.step must return a StepOutput (playground/decoding/protocol.py), got "
                         f"{type(out).__name__}")
    declared, present = frozenset(model.outputs), out.present()
    if declared != present:
        raise ValueError(f"model.step returned {sorted(present)} but the model declares outputs {sorted(declared)}")
    logits = out.logits
    if logits.dim() != 2 or logits.shape[0] != batch:
        raise ValueError(f"model.step must return logits (B, V) for B={batch}, got {tuple(logits.shape)}")
    dims = {"attention": 4, "self_attention": 4, "hidden": 2, "member_log_probs": 3}
    for name in present:
        value = getattr(out, name)
        if value.dim() != dims[name] or value.shape[0] != batch:
            raise ValueError(f"model.step's {name} must be {OPTIONAL[name]}, got {tuple(value.shape)}")
    if out.member_log_probs is not None and out.member_log_probs.shape[::2] != logits.shape:
        raise ValueError(f"an ensemble's member_log_probs must be (B, M, V) for logits {tuple(logits.shape)}, got "
                         f"{tuple(out.member_log_probs.shape)}")
    return out
