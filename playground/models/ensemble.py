"""An ensemble as one step model: members that share the output vocabulary, stepped together.

Each step every member scores the same prefix; their distributions are combined per token (Hinton 2002 calls
the second a product of experts):

    mixture  ("probs"):      p(y_t | y_<t, x) = 1/M  sum_m p_m(y_t | y_<t, x)
    product  ("log_probs"):  p(y_t | y_<t, x) ∝ exp(1/M  sum_m log p_m(y_t | y_<t, x))   (renormalised)

and the step returns, beside the combined logits, every member's log-probs (B, M, V), which the engine records
(``Step.member_log_probs``) so the page can show where the members disagree. The attention is the mean of the
members' (each a mean over its last layer's heads). The hidden state, when every member has one, is the
concatenation of the members' unit-length hidden states over sqrt(M), so that its cosine similarity is the mean of
the members' (contrastive search reads it). Members can be of either encoder-decoder family; they must read the
same input symbols and write the same output symbols. A search over the ensemble is one search: the members never
decode on their own.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from playground.decoding.protocol import ModelInfo, StepOutput

COMBINE = ("probs", "log_probs")


@dataclass(frozen=True, kw_only=True)
class EnsembleConfig:
    members: tuple[str, ...]  # member checkpoint directories, beside the ensemble's own (checkpoint.py)
    combine: str = "probs"

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(self.members))
        if len(self.members) < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {len(self.members)}")
        if self.combine not in COMBINE:
            raise ValueError(f"combine must be one of {COMBINE}, got {self.combine!r}")

    def to_dict(self) -> dict:
        return dict(asdict(self), members=list(self.members))

    def describe(self) -> str:
        """The model card's architecture sentence."""
        how = "the mean of their probabilities" if self.combine == "probs" else "the mean of their log-probabilities"
        return f"an ensemble of {len(self.members)} models ({', '.join(self.members)}), each step {how}"


@dataclass
class EnsembleState:
    states: tuple  # one state per member


class Ensemble(ModelInfo):
    family = "ensemble"

    def __init__(self, config: EnsembleConfig, members: list):
        if len(members) != len(config.members):
            raise ValueError(f"{len(config.members)} members named, {len(members)} given")
        first = members[0]
        for name, member in zip(config.members[1:], members[1:], strict=True):
            if member.source_vocab != first.source_vocab or member.target_vocab != first.target_vocab:
                raise ValueError(f"member {name!r} reads or writes other symbols than {config.members[0]!r}")
        self.arch, self.members = config, list(members)
        self.config: dict = {}  # the ensemble's config.json once loaded
        self.source_vocab, self.target_vocab = first.source_vocab, first.target_vocab
        self.member_names = tuple(m.config.get("name") or name for name, m in zip(config.members, members,
                                                                                   strict=True))
        if any("attention" not in m.outputs for m in members):
            raise ValueError("every member of an ensemble must be an encoder-decoder (cross-attention over the input)")
        self.outputs = frozenset({"attention", "member_log_probs"} | (
            {"hidden"} if all("hidden" in m.outputs for m in members) else set()))

    def encode(self, src_ids: torch.Tensor) -> EnsembleState:
        return EnsembleState(tuple(m.encode(src_ids) for m in self.members))

    def step(self, prev_tokens: torch.Tensor, state: EnsembleState) -> StepOutput:
        """prev_tokens (B,) -> combined logits (B, V), new state, attention (B, 1, 1, S), members' log-probs
        (B, M, V), and the members' hidden states combined (module docstring) when they all have one."""
        outs = [m.step(prev_tokens, s) for m, s in zip(self.members, state.states, strict=True)]
        members = torch.stack([torch.log_softmax(out.logits.float(), dim=-1) for out in outs], dim=1)  # (B, M, V)
        if self.arch.combine == "probs":
            logits = torch.logsumexp(members, dim=1) - math.log(len(outs))  # log of the mean probability
        else:
            logits = members.mean(dim=1)  # the softmax downstream renormalises
        attention = torch.stack([summary(out.attention) for out in outs]).mean(0)  # (B, S)
        hidden = None
        if "hidden" in self.outputs:  # cosine of the concatenation = the mean of the members' cosines
            hidden = torch.cat([F.normalize(out.hidden, dim=-1) for out in outs], dim=-1) / math.sqrt(len(outs))
        return StepOutput(logits=logits, state=EnsembleState(tuple(out.state for out in outs)),
                          attention=attention[:, None, None, :], hidden=hidden, member_log_probs=members)

    def reorder(self, state: EnsembleState, index: torch.Tensor) -> EnsembleState:
        return EnsembleState(tuple(m.reorder(s, index) for m, s in zip(self.members, state.states, strict=True)))

    def num_parameters(self) -> int:
        return sum(m.num_parameters() for m in self.members)


def summary(attention: torch.Tensor) -> torch.Tensor:
    """(B, L, H, S) -> (B, S): the last layer's mean over its heads."""
    return attention[:, -1].mean(1)
