"""Diverse beam search (Vijayakumar et al. 2016, "Diverse Beam Search: Decoding Diverse Solutions from
Neural Sequence Models", arXiv:1610.02424), with the Hamming diversity term.

The beam_width beams are split into G = num_groups groups of beam_width / G. All live beams share one
batched model step (beam.search, which also batches several inputs); then the groups choose in order
g = 1..G, each by ordinary beam search (beam.py,
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

from playground.decoding.beam import Group, search
from playground.decoding.beams import FinishedPool, initial_beams
from playground.decoding.common import rank_hypotheses
from playground.decoding.config import DecodeConfig
from playground.decoding.recorder import Recorder
from playground.decoding.trace import Hypothesis


def diverse_beam(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """Diverse beam search of every input of the batch (``state``: one row per input)."""
    num_groups, width = config.num_groups, config.beam_width // config.num_groups
    groups = []
    for i, recorder in enumerate(recorders):
        root = recorder.root(model.target_vocab.bos_id)  # every group of an input starts from its one root
        groups += [Group(input=i, beams=initial_beams(root), pool=FinishedPool(width), recorder=recorder)
                   for _ in range(num_groups)]
    state = model.reorder(state, torch.arange(len(recorders)).repeat_interleave(num_groups))  # a row per group
    search(model, state, config, groups, width=width, diversity=config.diversity_penalty)
    return [distinct(rank_hypotheses([h for g in groups if g.input == i for h in g.pool.items]))
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
