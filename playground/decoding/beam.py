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

import itertools
from dataclasses import dataclass

import torch

from playground.decoding.beams import Beams, Expansion, FinishedPool, cat_beams, expand, initial_beams, select
from playground.decoding.budget import Steps
from playground.decoding.common import filter_settings, forced_at, length_penalty, make_hypothesis, prefix_ids
from playground.decoding.config import DecodeConfig
from playground.decoding.recorder import Recorder
from playground.decoding.trace import Hypothesis


@dataclass
class Group:
    """One beam search over one input: its live beams, n-best pool and recorder. A batch of inputs runs a group
    each; a diverse beam search runs several per input (diverse_beam.py)."""

    input: int  # index of the input in the batch
    beams: Beams
    pool: FinishedPool
    recorder: Recorder
    live: bool = True


def beam(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """Beam search of every input of the batch (``state``: one row per input, in the recorders' order)."""
    groups = [Group(input=i, beams=initial_beams(r.root(model.target_vocab.bos_id)), pool=FinishedPool(
        config.beam_width), recorder=r) for i, r in enumerate(recorders)]
    search(model, state, config, groups, width=config.beam_width)
    return [g.pool.items for g in groups]


def search(model, state, config: DecodeConfig, groups: list[Group], *, width: int, diversity: float = 0.0) -> None:
    """Run ``groups`` (their first beams' rows are ``state``'s rows, in order) to the end: every step expands
    all live groups' beams in one batched model call, then selects for every group among its own rows' candidates.
    ``diversity`` > 0 subtracts diversity * (how many earlier groups of the same input took token v at this
    step) from each candidate's ranking, so the groups of an input then choose one after another
    (diverse_beam.py)."""
    settings, forced = filter_settings(config), prefix_ids(model, config)
    steps = Steps(config, [g.recorder for g in groups], lambda: "with live beams left")
    for t in steps:
        live = [g for g in groups if g.live]
        beams = cat_beams([g.beams for g in live])
        exp = expand(model, state, beams, settings, forced_at(forced, t), config)
        ranking = beams.cum_search[:, None] + exp.search_log_probs  # (B, V)
        sizes = [g.beams.nodes.numel() for g in live]
        if not diversity:
            advance(model, live, beams, exp, ranking, sizes, width=width, t=t, config=config)
        else:
            diverse_advance(model, live, beams, exp, ranking, sizes, width=width, t=t, config=config,
                            diversity=diversity)
        for g in live:
            g.live = bool(g.beams.nodes.numel()) and not is_done(g.pool, g.beams, t + 1, config)
        if not any(g.live for g in groups):
            return
        state = model.reorder(exp.state, torch.cat([g.beams.rows for g in groups if g.live]))
    finalize(model, [g for g in groups if g.live], config, steps)


def diverse_advance(model, live: list[Group], beams: Beams, exp: Expansion, ranking: torch.Tensor, sizes: list[int],
                    *, width: int, t: int, config: DecodeConfig, diversity: float) -> None:
    """advance, one group after another: each group's ranking first loses ``diversity`` per earlier group of
    its input that took the token at this step (Vijayakumar et al. 2016, eq. 3, Hamming diversity)."""
    counts: dict[int, torch.Tensor] = {}  # input -> (V,) tokens its earlier groups took at this step
    offsets = [0, *itertools.accumulate(sizes)]
    for g, start, size in zip(live, offsets, sizes, strict=False):
        if g.input in counts:
            ranking[start:start + size] -= diversity * counts[g.input]
        advance(model, [g], beams, exp, ranking, [size], width=width, t=t, config=config, first_row=start)
        if g.beams.nodes.numel():
            taken = torch.bincount(g.beams.tokens[:, -1], minlength=ranking.shape[1]).double()
            counts[g.input] = counts.get(g.input, 0) + taken


def advance(model, groups: list[Group], beams: Beams, exp: Expansion, ranking: torch.Tensor, sizes: list[int], *,
            width: int, t: int, config: DecodeConfig, first_row: int = 0) -> None:
    """Select for every group at once (the top 2·width candidates of its rows), then per group: record the
    candidates and the step, move finished ones to its pool, keep the best ``width`` others as its beams.

    ``beams``, ``exp`` and ``ranking`` (B, V) hold every live row; group g owns ``sizes[g]`` consecutive rows,
    the first group's starting at ``first_row``."""
    picked = select(ranking, sizes, width, model.target_vocab.eos_id, first_row=first_row)
    rows, tokens = picked.rows, picked.tokens  # (G, C) global rows and tokens of each group's candidates
    search = beams.cum_search[rows] + exp.search_log_probs[rows, tokens]  # (G, C) without any diversity term
    log_prob = exp.model_log_probs[rows, tokens]
    cum_model = beams.cum_model[rows] + log_prob
    scores = torch.where(picked.finished, search, picked.values) / length_penalty(t + 1, config)
    starts = itertools.accumulate(sizes, initial=first_row)
    counts, finished, kept = picked.count.tolist(), picked.finished.tolist(), picked.kept.tolist()  # (one .tolist)
    for g, (group, start, n) in enumerate(zip(groups, starts, counts, strict=False)):
        span = slice(start, start + sizes[g])
        status = ["finished" if f else "kept" if k else "pruned"
                  for f, k in zip(finished[g][:n], kept[g][:n], strict=True)]
        ids = group.recorder.add_nodes(parents=beams.nodes[rows[g, :n]], tokens=tokens[g, :n], step=t,
                                       log_probs=log_prob[g, :n], cum_log_probs=cum_model[g, :n],
                                       scores=scores[g, :n], status=status)
        if group.recorder.record_steps:  # (skip the row copies when nothing is recorded)
            group.recorder.add_step(t=t, node_ids=beams.nodes[span], logits=exp.logits[span],
                                    temperature_logits=exp.temperature_logits[span],
                                    filtered_logits=exp.filtered_logits[span], attention=exp.attention[span],
                                    candidates=ids, members=None if exp.members is None else exp.members[span])
        for c in (c for c in range(n) if finished[g][c]):
            dropped = group.pool.add(make_hypothesis(model, beams.tokens[rows[g, c]].tolist(),
                                                     log_prob=cum_model[g, c], score=scores[g, c], node=ids[c],
                                                     finished=True))
            if dropped is not None:
                group.recorder.set_status(dropped.node, "pruned")
        k = picked.kept[g].nonzero()[:, 0]
        group.beams = Beams(nodes=ids[k], tokens=torch.cat([beams.tokens[rows[g, k]], tokens[g, k, None]], dim=1),
                            cum_model=cum_model[g, k], cum_search=search[g, k], rows=rows[g, k])


def is_done(pool: FinishedPool, beams: Beams, length: int, config: DecodeConfig) -> bool:
    """No live beam (at ``length`` tokens) can enter the full pool any more (module docstring)."""
    if not pool.full:
        return False
    if config.early_stopping:
        return True
    best = float(beams.cum_search.max())
    bound = max(best / length_penalty(length + 1, config), best / length_penalty(config.max_length, config))
    return bound <= pool.worst


def finalize(model, groups: list[Group], config: DecodeConfig, steps: Steps) -> None:
    """The loop ran out (max_length, or the time budget after ``steps.length`` tokens): live beams compete for
    their pool as unfinished hypotheses (HF ``finalize``), and each input's recorder notes a max_length cut."""
    lp = length_penalty(steps.length, config)
    for g in groups:
        for i in range(g.beams.nodes.numel()):
            g.pool.add(make_hypothesis(model, g.beams.tokens[i].tolist(), log_prob=g.beams.cum_model[i],
                                       score=g.beams.cum_search[i] / lp, node=g.beams.nodes[i], finished=False))
    for recorder in dict.fromkeys(g.recorder for g in groups):  # (one note per input: diverse groups share one)
        live = sum(g.beams.nodes.numel() for g in groups if g.recorder is recorder)
        steps.note_max_length(recorder, f"Stopped at max_length={config.max_length} with {live} live beam(s) that "
                                        "could still have improved the results.")
