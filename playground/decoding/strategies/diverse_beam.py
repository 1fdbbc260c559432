"""Diverse beam search (Vijayakumar et al. 2016, "Diverse Beam Search: Decoding Diverse Solutions from
Neural Sequence Models", arXiv:1610.02424), with the Hamming diversity term: beam search with a selection hook.

The beam_width beams are split into G = num_groups groups of beam_width / G. All live beams share one
batched model step (the driver loop, which also batches several inputs); then the groups choose in order
g = 1..G, each by ordinary beam search (beam.py: top 2·(k/G) candidates, its own n-best pool of k/G, its own
stopping test) on the augmented scores

    s(b) + log p(v | b) - lambda * count_{<g}(v)        (paper eq. 3 with Hamming diversity)

where count_{<g}(v) is how many beams of the earlier groups chose token v at this step. As in the
paper's Algorithm 1, the penalty only steers the choice at the current step: a beam's cumulative score
stays its log-prob (HF ``generate`` instead adds the penalty into the running beam score). Candidate
nodes record the augmented score / lp(L) as ``score``; finished hypotheses the penalty-free s / lp(L).
Each group's steps are recorded separately (same t, the group's rows). The final list merges all
groups' pools, best first; a sequence that several groups found is listed once (its best copy), since a
list of "diverse" outputs holding the same output twice helps nobody (HF returns the copies).
G = 1 (or lambda = 0 with G = 1) is plain beam search.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

import torch

from playground.decoding.common import rank_hypotheses
from playground.decoding.driver import KEPT, Group, Live, Picks, StepView, decode_loop
from playground.decoding.recorder import Recorder
from playground.decoding.spec import StrategySpec
from playground.decoding.strategies.beam import BeamSearch, picks_of, select
from playground.decoding.strategies.pools import FinishedPool
from playground.decoding.trace import Hypothesis

if TYPE_CHECKING:
    from playground.decoding.config import DecodeConfig


class DiverseBeamSearch(BeamSearch):
    """Beam search whose groups choose one after another, each penalised by its input's earlier groups' tokens."""

    def select(self, view: StepView, groups: list[Group]) -> Picks:
        ranking = view.live.cum_search[:, None] + view.search_log_probs  # (R, V)
        eos, penalty = view.run.model.target_vocab.eos_id, self.config.diversity_penalty
        counts: dict[int, torch.Tensor] = {}  # input -> (V,) tokens its earlier groups took at this step
        parts = []
        for g, rows in view.spans:
            group = groups[g]
            if group.input in counts:
                ranking[rows] -= penalty * counts[group.input]
            picked = select(ranking, [rows.stop - rows.start], self.width, eos, first_row=rows.start)
            parts.append(picks_of(view, picked, [g], self.config))
            taken = parts[-1].token[torch.tensor([code == KEPT for code in parts[-1].status], dtype=torch.bool)]
            if taken.numel():
                counts[group.input] = counts.get(group.input, 0) + torch.bincount(
                    taken, minlength=ranking.shape[1]).double()
        return Picks(status=[code for p in parts for code in p.status], **{
            f.name: torch.cat([getattr(p, f.name) for p in parts]) for f in fields(Picks)
            if isinstance(getattr(parts[0], f.name), torch.Tensor)})


def diverse_beam(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """Diverse beam search of every input of the batch (``state``: one row per input)."""
    num_groups, width = config.num_groups, config.beam_width // config.num_groups
    groups, bos = [], model.target_vocab.bos_id
    for i, recorder in enumerate(recorders):
        root = recorder.root(bos)  # every group of an input starts from its one root
        groups += [Group(input=i, recorder=recorder, pool=FinishedPool(width), root=root) for _ in range(num_groups)]
    state = model.reorder(state, torch.arange(len(recorders)).repeat_interleave(num_groups))  # a row per group
    decode_loop(model, state, config, DiverseBeamSearch(config, width), groups, Live.roots(groups))
    return [distinct(rank_hypotheses([h for g in groups if g.input == i for h in g.pool.ranked()]))
            for i in range(len(recorders))]


def distinct(ranked: list[Hypothesis]) -> list[Hypothesis]:
    """The first (best) hypothesis of each distinct token sequence, order kept."""
    seen: set[tuple[int, ...]] = set()
    out = []
    for h in ranked:
        if tuple(h.token_ids) not in seen:
            seen.add(tuple(h.token_ids))
            out.append(h)
    return out


SPEC = StrategySpec(
    name="diverse_beam", label="diverse beam", run=diverse_beam, batched=True, returns="best",
    score="length-normalised",
    reads=("beam_width", "num_return", "length_penalty", "length_penalty_formula", "early_stopping", "num_groups",
           "diversity_penalty"),
    doc="Vijayakumar et al. 2016: groups with a Hamming diversity penalty; a sequence found by several groups is "
        "listed once",
    presets={"diverse beam": {"beam_width": 6, "num_groups": 3, "diversity_penalty": 1.0}},
)
