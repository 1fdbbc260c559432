"""The pieces of every beam-type search: live beams, one batched expansion, the n-best pool, and the selection
contract (the top 2·k candidates, as HF ``BeamSearchScorer`` and fairseq ``BeamSearch`` consider)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from playground.decoding.common import (
    attention_of,
    model_step,
    never_generated,
    process_step,
    rank_hypotheses,
    search_log_probs,
)
from playground.decoding.config import DecodeConfig
from playground.decoding.trace import LOG_ZERO, Hypothesis


@dataclass
class Beams:
    nodes: torch.Tensor  # (B,) trace node id of each live beam
    tokens: torch.Tensor  # (B, t) generated tokens
    cum_model: torch.Tensor  # (B,) float64 raw model log-prob (T=1)
    cum_search: torch.Tensor  # (B,) float64 what the search ranks by (processed log-probs)
    rows: torch.Tensor  # (B,) row of each beam's parent in the previous expansion (to reorder the state)


@dataclass
class Expansion:
    logits: torch.Tensor  # (B, V) raw
    temperature_logits: torch.Tensor  # (B, V)
    filtered_logits: torch.Tensor  # (B, V)
    attention: torch.Tensor  # (B, L, K, S)
    model_log_probs: torch.Tensor  # (B, V) log_softmax(logits), T=1
    search_log_probs: torch.Tensor  # (B, V) float64, common.search_log_probs; forced: model's, one token
    state: Any  # model state after the step, rows as in Beams
    members: torch.Tensor | None = None  # (B, M, V) an ensemble's members' log-probs


class FinishedPool:
    """The n-best list (HF ``BeamHypotheses``): at most ``size`` hypotheses, best first."""

    def __init__(self, size: int):
        self.size, self.items = size, []

    def add(self, hypothesis: Hypothesis) -> Hypothesis | None:
        """Insert; returns the hypothesis that fell out (possibly ``hypothesis`` itself), or None."""
        if len(self.items) < self.size or hypothesis.score > self.items[-1].score:
            self.items = rank_hypotheses(self.items + [hypothesis])
            return self.items.pop() if len(self.items) > self.size else None
        return hypothesis

    @property
    def full(self) -> bool:
        return len(self.items) >= self.size

    @property
    def worst(self) -> float:
        return self.items[-1].score


def initial_beams(root: int, count: int = 1) -> Beams:
    """``count`` beams at the root node ``root`` (<s>), nothing generated yet."""
    zeros = torch.zeros(count, dtype=torch.float64)
    return Beams(nodes=torch.full((count,), root), tokens=torch.zeros((count, 0), dtype=torch.long),
                 cum_model=zeros, cum_search=zeros.clone(), rows=torch.zeros(count, dtype=torch.long))


def cat_beams(groups: list[Beams]) -> Beams:
    """Stack groups' beams into one batch (rows in group order)."""
    return Beams(nodes=torch.cat([b.nodes for b in groups]), tokens=torch.cat([b.tokens for b in groups]),
                 cum_model=torch.cat([b.cum_model for b in groups]),
                 cum_search=torch.cat([b.cum_search for b in groups]),
                 rows=torch.cat([b.rows for b in groups]))


def expand(model, state, beams: Beams, settings, forced: int | None, config: DecodeConfig, *,
           argmax: bool = False) -> Expansion:
    """One batched model step for all live beams (B rows)."""
    batch = beams.nodes.shape[0]
    prev = beams.tokens[:, -1] if beams.tokens.shape[1] else torch.full((batch,), model.target_vocab.bos_id)
    out = model_step(model, prev, state)
    logits = out.logits
    temperature_logits, filtered_logits = process_step(logits, settings, beams.tokens, forced=forced,
                                                       banned=never_generated(model), argmax=argmax)
    model_log_probs = torch.log_softmax(logits, dim=-1)
    if forced is None:
        search = search_log_probs(logits, filtered_logits, settings, beams.tokens, config)
    else:  # only the forced token survives, and it costs what the model says (so scores stay comparable)
        search = torch.full(logits.shape, float("-inf"), dtype=torch.float64)
        search[:, forced] = model_log_probs[:, forced].double().clamp(min=LOG_ZERO)
    return Expansion(logits, temperature_logits, filtered_logits, attention_of(out), model_log_probs, search, out.state,
                     out.member_log_probs)


def top_candidates(ranking: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The selection contract of every beam-type search: for each row of ``ranking`` (G, N), its ``count`` best
    entries, best first: values, index (G, C), C = min(count, N), and ``valid`` (G, C), False past the row's finite
    entries (an impossible, -inf candidate never counts)."""
    values, index = ranking.topk(min(count, ranking.shape[1]), dim=1)
    return values, index, torch.isfinite(values)


class Picked(NamedTuple):
    """Every group's candidates, best first, as (G, C) tensors; entries past ``count[g]`` are padding."""

    rows: torch.Tensor  # the candidate's parent row, in the rows of the whole batch
    tokens: torch.Tensor
    values: torch.Tensor  # its ranking value
    count: torch.Tensor  # (G,) valid candidates of each group
    finished: torch.Tensor  # an </s> among the group's top ``width``: it enters the n-best pool
    kept: torch.Tensor  # the group's best ``width`` non-</s> candidates: its next beams


def select(ranking: torch.Tensor, sizes: list[int], width: int, eos: int, *, first_row: int = 0) -> Picked:
    """For every group (``sizes[g]`` consecutive rows of ``ranking`` (B, V), the first group's from ``first_row``),
    the top 2·width candidates among its rows (HF ``BeamSearchScorer``, fairseq ``BeamSearch``). The groups are
    padded to one (G, rows, V) block so that one topk serves them all; a group's candidates come out as its
    own (rows, V) flattened would give them."""
    sizes_t = torch.tensor(sizes)
    vocab, most = ranking.shape[1], int(sizes_t.max())
    starts = first_row + torch.cumsum(sizes_t, 0) - sizes_t  # (G,) first row of each group
    group = torch.repeat_interleave(torch.arange(len(sizes)), sizes_t)  # (R,) group of each row
    rows = torch.arange(first_row, first_row + len(group))
    block = ranking.new_full((len(sizes), most, vocab), float("-inf"))
    block[group, rows - starts[group]] = ranking[rows]
    values, index, valid = top_candidates(block.reshape(len(sizes), most * vocab), 2 * width)  # (G, C)
    tokens, is_eos = index % vocab, index % vocab == eos
    finished = is_eos & valid & (torch.arange(values.shape[1]) < width)
    kept = ~is_eos & valid & (torch.cumsum(~is_eos & valid, 1) <= width)
    return Picked(rows=starts[:, None] + index // vocab, tokens=tokens, values=values, count=valid.sum(1),
                  finished=finished, kept=kept)
