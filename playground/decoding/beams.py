"""The pieces of every beam-type search: live beams, one batched expansion, the n-best pool, and the selection
contract (the top 2·k candidates, as HF ``BeamSearchScorer`` and fairseq ``BeamSearch`` consider)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from playground.decoding.common import model_step, never_generated, process_step, rank_hypotheses, search_log_probs
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
    logits, state, attention = model_step(model, prev, state)
    temperature_logits, filtered_logits = process_step(logits, settings, beams.tokens, forced=forced,
                                                       banned=never_generated(model), argmax=argmax)
    model_log_probs = torch.log_softmax(logits, dim=-1)
    if forced is None:
        search = search_log_probs(logits, filtered_logits, settings, beams.tokens, config)
    else:  # only the forced token survives, and it costs what the model says (so scores stay comparable)
        search = torch.full(logits.shape, float("-inf"), dtype=torch.float64)
        search[:, forced] = model_log_probs[:, forced].double().clamp(min=LOG_ZERO)
    return Expansion(logits, temperature_logits, filtered_logits, attention, model_log_probs, search, state)


def top_candidates(ranking: torch.Tensor, count: int):
    """The selection contract of every beam-type search: the ``count`` best finite entries of ``ranking``
    (B, V), best first, as rows, tokens, values (C,), C <= count. -inf (impossible) entries never count."""
    flat = ranking.reshape(-1)
    values, index = flat.topk(min(count, int(torch.isfinite(flat).sum())))
    return index // ranking.shape[1], index % ranking.shape[1], values


def select(ranking: torch.Tensor, width: int, eos: int):
    """The top 2·width candidates of ``ranking`` (B, V) (HF / fairseq), with masks finished (an </s> among
    the top ``width``) and kept (the best ``width`` non-</s> candidates): rows, tokens, values, finished, kept."""
    rows, tokens, values = top_candidates(ranking, 2 * width)
    is_eos = tokens == eos
    finished = is_eos & (torch.arange(tokens.numel()) < width)
    kept = ~is_eos & (torch.cumsum(~is_eos, 0) <= width)
    return rows, tokens, values, finished, kept


