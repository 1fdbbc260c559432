"""Beam search, with an n-best pool, early stopping and a length penalty (HF / fairseq semantics).

At step t every live beam b is extended by every token v, and candidates are ranked by the cumulative
search log-prob  s(b) + log p(v | b)  (the model's log-probs after the history processors). As in HF
``BeamSearchScorer`` and fairseq ``SequenceGenerator``, the top 2·k candidates are considered (``select``, the one
selection contract of every beam-type search):

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
when the time budget runs out first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import torch

from playground.decoding.common import length_penalty, make_hypothesis, top_values
from playground.decoding.driver import FINISHED, KEPT, PRUNED, Group, Live, Picks, Search, StepView, decode_loop
from playground.decoding.recorder import Recorder
from playground.decoding.spec import StrategySpec
from playground.decoding.strategies.pools import FinishedPool
from playground.decoding.trace import Hypothesis

if TYPE_CHECKING:
    from playground.decoding.config import DecodeConfig


def top_candidates(ranking: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For each row of ``ranking`` (G, N), its ``count`` best entries, best first: values, index (G, C),
    C = min(count, N), and ``valid`` (G, C), False past the row's finite entries (an impossible, -inf candidate
    never counts)."""
    values, index = top_values(ranking, min(count, ranking.shape[1]))  # (ranking.topk's very tensors)
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
    if len(sizes) == 1:  # one group (batch 1): its rows are the block as they are, no padded copy
        block = ranking[first_row:first_row + most]
    else:
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


def picks_of(view: StepView, picked: Picked, group_ids: list[int], config: DecodeConfig) -> Picks:
    """``select``'s (G, C) candidates as the driver's (C',) Picks: finished ones scored s / lp(t + 1), kept ones
    carrying their search score s, the rest pruned."""
    rows, tokens = picked.rows, picked.tokens
    search = view.live.cum_search[rows] + view.search_log_probs[rows, tokens]  # (G, C) without any diversity term
    scores = torch.where(picked.finished, search, picked.values) / length_penalty(view.t + 1, config)
    status = torch.where(picked.finished, FINISHED, torch.where(picked.kept, KEPT, PRUNED))
    valid = torch.arange(rows.shape[1]) < picked.count[:, None]  # (G, C)
    group = torch.tensor(group_ids)[:, None].expand_as(rows)
    return Picks(group=group[valid], row=rows[valid], token=tokens[valid], status=status[valid].tolist(),
                 score=scores[valid], search=search[valid])


class BeamSearch(Search):
    def __init__(self, config: DecodeConfig, width: int):
        self.config, self.width = config, width

    def select(self, view: StepView, groups: list[Group]) -> Picks:
        ranking = view.live.cum_search[:, None] + view.search_log_probs  # (R, V)
        sizes = [rows.stop - rows.start for _, rows in view.spans]
        picked = select(ranking, sizes, self.width, view.run.model.target_vocab.eos_id)
        return picks_of(view, picked, [g for g, _ in view.spans], self.config)

    def done(self, group: Group, live: Live, rows: slice, length: int) -> bool:
        """No live beam (at ``length`` tokens) can enter the full pool any more (module docstring)."""
        pool, config = group.pool, self.config
        if not pool.full:
            return False
        if config.early_stopping:
            return True
        best = float(live.cum_search[rows].max())
        bound = max(best / length_penalty(length + 1, config), best / length_penalty(config.max_length, config))
        return bound <= pool.worst

    def cut(self, model, group: Group, live: Live, rows: slice, length: int) -> None:
        """Live beams compete for the pool as unfinished hypotheses (HF ``finalize``)."""
        lp = length_penalty(length, self.config)
        for r in range(rows.start, rows.stop):
            group.pool.add(make_hypothesis(model, live.tokens[r].tolist(), log_prob=live.cum_model[r],
                                           score=live.cum_search[r] / lp, node=live.nodes[r], finished=False))

    def cut_note(self, config, count: int) -> str:
        return (f"Stopped at max_length={config.max_length} with {count} live beam(s) that could still have "
                "improved the results.")


def beam(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """Beam search of every input of the batch (``state``: one row per input, in the recorders' order)."""
    bos = model.target_vocab.bos_id
    groups = [Group(input=i, recorder=r, pool=FinishedPool(config.beam_width), root=r.root(bos))
              for i, r in enumerate(recorders)]
    decode_loop(model, state, config, BeamSearch(config, config.beam_width), groups, Live.roots(groups))
    return [g.pool.ranked() for g in groups]


SPEC = StrategySpec(
    name="beam", label="beam search", run=beam, batched=True, returns="best", score="length-normalised",
    reads=("beam_width", "num_return", "length_penalty", "length_penalty_formula", "early_stopping"),
    doc="beam search with an n-best pool, early stopping, max length and a length penalty (HF, fairseq)",
    presets={"beam 5": {"beam_width": 5}, "beam 10, α=0": {"beam_width": 10, "length_penalty": 0.0}},
)
