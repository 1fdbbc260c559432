"""Diverse beam search (Vijayakumar et al. 2016, "Diverse Beam Search: Decoding Diverse Solutions from
Neural Sequence Models", arXiv:1610.02424), with the Hamming diversity term.

The beam_width beams are split into G = num_groups groups of beam_width / G. All live beams share one
batched model step; then the groups choose in order g = 1..G, each by ordinary beam search (beam.py,
top 2·(k/G) candidates, its own n-best pool of k/G, its own stopping test) on the augmented scores

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

import torch

from playground.decoding.beam import (
    Beams,
    FinishedPool,
    advance,
    expand,
    finalize,
    initial_beams,
    is_done,
)
from playground.decoding.budget import Steps
from playground.decoding.common import filter_settings, forced_at, prefix_ids, rank_hypotheses
from playground.decoding.config import DecodeConfig
from playground.decoding.recorder import Recorder
from playground.decoding.trace import Hypothesis


def diverse_beam(model, state, config: DecodeConfig, recorder: Recorder) -> list[Hypothesis]:
    num_groups = config.num_groups
    width = config.beam_width // num_groups
    settings, forced = filter_settings(config), prefix_ids(model, config)
    root = initial_beams(model, recorder)  # every group starts from the same root node
    groups: dict[int, Beams] = {g: root for g in range(num_groups)}  # live groups only
    pools = [FinishedPool(width) for _ in range(num_groups)]
    state = model.reorder(state, torch.zeros(num_groups, dtype=torch.long))  # one row per group's root
    steps = Steps(config, recorder, lambda: "with live beams left")
    for t in steps:
        live = cat_beams(list(groups.values()))
        exp = expand(model, state, live, settings, forced_at(forced, t), config)
        counts = torch.zeros(exp.logits.shape[1], dtype=torch.float64)  # (V,) tokens taken by earlier groups
        offset, next_groups = 0, {}
        for g, beams in groups.items():
            row_ids = torch.arange(offset, offset + beams.nodes.numel())
            offset += beams.nodes.numel()
            penalty = config.diversity_penalty * counts  # (V,) Hamming diversity against earlier groups
            ranking = beams.cum_search[:, None] + exp.search_log_probs[row_ids] - penalty  # (b, V)
            beams = advance(model, beams, exp, ranking, row_ids, width=width, t=t, config=config,
                            recorder=recorder, pool=pools[g])
            if beams.nodes.numel():
                counts += torch.bincount(beams.tokens[:, -1], minlength=counts.numel())
            if beams.nodes.numel() and not is_done(pools[g], beams, t + 1, config):
                next_groups[g] = beams
        groups = next_groups
        if not groups:
            break
        state = model.reorder(exp.state, torch.cat([b.rows for b in groups.values()]))
    else:
        finalize(model, [pools[g] for g in groups], list(groups.values()), config, steps)
    return distinct(rank_hypotheses([h for pool in pools for h in pool.items]))


def distinct(ranked: list[Hypothesis]) -> list[Hypothesis]:
    """The first (best) hypothesis of each distinct token sequence, order kept."""
    seen: set[tuple[int, ...]] = set()
    out = []
    for h in ranked:
        if tuple(h.token_ids) not in seen:
            seen.add(tuple(h.token_ids))
            out.append(h)
    return out


def cat_beams(groups: list[Beams]) -> Beams:
    """Stack groups' beams into one batch (rows in group order)."""
    return Beams(nodes=torch.cat([b.nodes for b in groups]), tokens=torch.cat([b.tokens for b in groups]),
                 cum_model=torch.cat([b.cum_model for b in groups]),
                 cum_search=torch.cat([b.cum_search for b in groups]),
                 rows=torch.cat([b.rows for b in groups]))
