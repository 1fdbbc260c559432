"""Beam search, with an n-best pool, early stopping and a length penalty (HF / fairseq semantics).

At step t every live beam b is extended by every token v, and candidates are ranked by the cumulative
search log-prob  s(b) + log p(v | b)  (the model's log-probs after the history processors). As in HF
``BeamSearchScorer`` and fairseq ``SequenceGenerator``, the top 2·k candidates are considered:

  * an </s> candidate among the top k finishes: it enters the n-best pool (size k) with the score
        score = s / lp(L),   L = output length with </s>   (formulas in ``common.length_penalty``)
  * the best k non-</s> candidates stay alive; every other candidate is pruned.

When the length penalty applies: only to hypotheses as they finish (and to live beams cut by
max_length), exactly like HF ``BeamHypotheses.add`` and fairseq (``eos_scores /= (step + 1) ** lenpen``).
Live beams are ranked by raw cumulative log-prob: they all have the same length, so dividing them by
lp(L) would not change their order. Nodes still show s / lp(L) as their ``score`` for comparison.

Stopping: when the pool holds k hypotheses and either ``early_stopping`` is set (HF ``early_stopping=True``,
fairseq's rule), or no live beam can still beat the pool's worst: since log-probs are <= 0, a beam with
search score s at length L can reach at best  max(s / lp(L+1), s / lp(max_length))  (lp is monotone in
L). This is HF's exact ``early_stopping="never"`` bound, not its default heuristic s / lp(L).
At max_length, live beams join the pool as unfinished hypotheses (as HF's ``finalize``); so they do
when the time budget (budget.py) runs out first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from playground.decoding.budget import Steps
from playground.decoding.common import (
    filter_settings,
    forced_at,
    length_penalty,
    make_hypothesis,
    model_step,
    never_generated,
    prefix_ids,
    process_step,
    rank_hypotheses,
    search_log_probs,
)
from playground.decoding.config import DecodeConfig
from playground.decoding.recorder import Recorder
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
    attention: torch.Tensor  # (B, S)
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


def beam(model, state, config: DecodeConfig, recorder: Recorder) -> list[Hypothesis]:
    width, settings, forced = config.beam_width, filter_settings(config), prefix_ids(model, config)
    beams, pool = initial_beams(model, recorder), FinishedPool(width)
    steps = Steps(config, recorder, lambda: "with live beams left")
    for t in steps:
        exp = expand(model, state, beams, settings, forced_at(forced, t), config)
        ranking = beams.cum_search[:, None] + exp.search_log_probs  # (B, V)
        beams = advance(model, beams, exp, ranking, torch.arange(ranking.shape[0]), width=width, t=t,
                        config=config, recorder=recorder, pool=pool)
        if beams.nodes.numel() == 0 or is_done(pool, beams, t + 1, config):
            return pool.items
        state = model.reorder(exp.state, beams.rows)
    else:
        finalize(model, [pool], [beams], config, steps)
    return pool.items


def initial_beams(model, recorder: Recorder, count: int = 1) -> Beams:
    root = recorder.root(model.target_vocab.bos_id)
    zeros = torch.zeros(count, dtype=torch.float64)
    return Beams(nodes=torch.full((count,), root), tokens=torch.zeros((count, 0), dtype=torch.long),
                 cum_model=zeros, cum_search=zeros.clone(), rows=torch.zeros(count, dtype=torch.long))


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


def advance(model, beams: Beams, exp: Expansion, ranking: torch.Tensor, row_ids: torch.Tensor, *, width: int,
            t: int, config: DecodeConfig, recorder: Recorder, pool: FinishedPool) -> Beams:
    """Select among ``ranking`` (b, V) for the b beams whose rows in ``exp`` are ``row_ids`` (b,); record
    the candidates and the step; move finished ones to ``pool``; return the surviving beams."""
    rows, tokens, values, finished, kept = select(ranking, width, model.target_vocab.eos_id)
    search = beams.cum_search[rows] + exp.search_log_probs[row_ids[rows], tokens]  # (C,) without extras
    log_prob = exp.model_log_probs[row_ids[rows], tokens]  # (C,)
    cum_model = beams.cum_model[rows] + log_prob
    scores = torch.where(finished, search, values) / length_penalty(t + 1, config)
    status = ["finished" if f else "kept" if k else "pruned"
              for f, k in zip(finished.tolist(), kept.tolist(), strict=True)]
    ids = recorder.add_nodes(parents=beams.nodes[rows], tokens=tokens, step=t, log_probs=log_prob,
                             cum_log_probs=cum_model, scores=scores, status=status)
    if recorder.record_steps:  # (skip the row copies when nothing is recorded)
        recorder.add_step(t=t, node_ids=beams.nodes, logits=exp.logits[row_ids],
                          temperature_logits=exp.temperature_logits[row_ids],
                          filtered_logits=exp.filtered_logits[row_ids], attention=exp.attention[row_ids],
                          candidates=ids)
    for c in finished.nonzero()[:, 0].tolist():
        dropped = pool.add(make_hypothesis(model, beams.tokens[rows[c]].tolist(), log_prob=cum_model[c],
                                           score=scores[c], node=ids[c], finished=True))
        if dropped is not None:
            recorder.set_status(dropped.node, "pruned")
    k = kept.nonzero()[:, 0]
    return Beams(nodes=ids[k], tokens=torch.cat([beams.tokens[rows[k]], tokens[k, None]], dim=1),
                 cum_model=cum_model[k], cum_search=search[k], rows=row_ids[rows[k]])


def is_done(pool: FinishedPool, beams: Beams, length: int, config: DecodeConfig) -> bool:
    """No live beam (at ``length`` tokens) can enter the full pool any more (module docstring)."""
    if not pool.full:
        return False
    if config.early_stopping:
        return True
    best = float(beams.cum_search.max())
    bound = max(best / length_penalty(length + 1, config), best / length_penalty(config.max_length, config))
    return bound <= pool.worst


def finalize(model, pools: list[FinishedPool], groups: list[Beams], config: DecodeConfig, steps: Steps) -> None:
    """The loop ran out (max_length, or the time budget after ``steps.length`` tokens): live beams compete for
    the pool as unfinished hypotheses (HF ``finalize``), and a max_length cut is noted."""
    lp = length_penalty(steps.length, config)
    for pool, beams in zip(pools, groups, strict=True):
        for i in range(beams.nodes.numel()):
            pool.add(make_hypothesis(model, beams.tokens[i].tolist(), log_prob=beams.cum_model[i],
                                     score=beams.cum_search[i] / lp, node=beams.nodes[i], finished=False))
    live = sum(b.nodes.numel() for b in groups)
    steps.note_max_length(f"Stopped at max_length={config.max_length} with {live} live beam(s) that could still "
                          "have improved the results.")
