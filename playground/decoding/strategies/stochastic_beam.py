"""Stochastic beam search: k distinct sequences sampled without replacement (Kool, van Hoof & Welling
2019, "Stochastic Beams and Where to Find Them: The Gumbel-Top-k Trick for Sampling Sequences Without
Replacement", ICML).

Every node y of the search tree has a log-prob phi(y) (sum of the filtered, renormalised log-probs
along its path) and a perturbed log-prob G(y) ~ Gumbel(phi(y)) such that the k sequences with the
largest G are a sample without replacement of size k from the sequence distribution. Top-down:

    G(root) = 0
    for the children c of a node y:  G_c ~ Gumbel(phi(c))  i.i.d.,  Z = max_c G_c,
    G~(c) = -log(exp(-G~(y)) - exp(-Z) + exp(-G_c))        (Kool et al. 2019, eq. 23)

i.e. the children's Gumbels conditioned on their maximum being the parent's G~(y). Computed stably as
(their Appendix B):  v = G~(y) - G_c + log1mexp(G_c - Z),  G~(c) = G~(y) - max(0, v) - log1p(exp(-|v|)).

Each step keeps the k largest G~ among the live beams' children and the sequences that already ended
(a finished sequence is its own only child, with the same G~), so when all k slots hold finished
sequences, they are the sample. It selects through beam search's contract (beam.top_candidates: the top 2·k
children are the step's candidates). Node and hypothesis ``score`` = G~ (the ranking key: the order of
drawing); ``log_prob`` stays the raw model log-prob.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from playground.decoding.common import make_hypothesis
from playground.decoding.driver import FINISHED, KEPT, PRUNED, Group, Live, Picks, Search, StepView, decode_loop
from playground.decoding.recorder import Recorder
from playground.decoding.samplers import gumbel_noise
from playground.decoding.spec import SAMPLING_FIELDS, StrategySpec
from playground.decoding.strategies.beam import top_candidates
from playground.decoding.strategies.pools import Slots
from playground.decoding.trace import Hypothesis

if TYPE_CHECKING:
    from playground.decoding.config import DecodeConfig


def log1mexp(a: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(a)) for a <= 0, accurate at both ends (Maechler 2012); log1mexp(0) = -inf."""
    return torch.where(a > -math.log(2), torch.log(-torch.expm1(a)), torch.log1p(-torch.exp(a)))


def truncated_gumbel(gumbels: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """Gumbels (B, V) (-inf for impossible children) conditioned on max_v = upper (B, 1): eq. 23 above."""
    z = gumbels.max(dim=-1, keepdim=True).values  # (B, 1)
    v = upper - gumbels + log1mexp(gumbels - z)
    return upper - v.clamp(min=0) - torch.log1p(torch.exp(-v.abs()))


class StochasticBeam(Search):
    samples = True

    def __init__(self, k: int, seed: int):
        self.k, self.generator = k, torch.Generator().manual_seed(seed)

    def select(self, view: StepView, groups: list[Group]) -> Picks:
        """Keep the k largest G~ among the children (R, V) and the finished sequences holding a slot; the top 2·k
        children are the step's candidates."""
        (group,) = groups
        live = view.live
        phi = live.cum_search[:, None] + view.search_log_probs  # (R, V) float64
        children = truncated_gumbel(phi + gumbel_noise(phi.shape, self.generator), live.extra["perturbed"][:, None])
        values, index, valid = top_candidates(children.reshape(1, -1), 2 * self.k)  # best children first
        index, values = index[0, valid[0]], values[0, valid[0]]  # (C,)
        rows, tokens = index // children.shape[1], index % children.shape[1]
        pooled = torch.cat([values, torch.tensor(group.pool.keys(), dtype=torch.float64)])
        chosen = torch.zeros(pooled.numel(), dtype=torch.bool)
        chosen[pooled.topk(min(self.k, pooled.numel())).indices] = True
        ends = tokens == view.run.model.target_vocab.eos_id
        status = torch.where(~chosen[:values.numel()], PRUNED, torch.where(ends, FINISHED, KEPT)).tolist()
        dropped = group.pool.keep(chosen[values.numel():].tolist())
        return Picks(group=torch.zeros_like(rows), row=rows, token=tokens, status=status, score=values,
                     search=phi[rows, tokens], extra={"perturbed": values}, dropped=[(0, h) for h in dropped])

    def cut(self, model, group: Group, live: Live, rows: slice, length: int) -> None:
        """Live beams (cut by max_length or the time budget) as samples without </s>, keyed by their G~."""
        for r in range(rows.start, rows.stop):
            g = live.extra["perturbed"][r]
            group.pool.add(make_hypothesis(model, live.tokens[r].tolist(), log_prob=live.cum_model[r], score=g,
                                           node=live.nodes[r], finished=False), float(g))

    def cut_note(self, config, count: int) -> str:
        return f"{count} of the {self.k} samples reached max_length={config.max_length} without </s>."


def stochastic_beam(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """One input at a time (``recorders`` holds one): decode_many runs a batch input by input."""
    (recorder,) = recorders
    group = Group(input=0, recorder=recorder, pool=Slots(), root=recorder.root(model.target_vocab.bos_id))
    live = Live.roots([group], perturbed=torch.zeros(1, dtype=torch.float64))  # G~(root) = 0
    decode_loop(model, state, config, StochasticBeam(config.beam_width, config.seed), [group], live)
    return [group.pool.ranked()]


SPEC = StrategySpec(
    name="stochastic_beam", label="stochastic beam", run=stochastic_beam, samples=True, returns="best",
    score="perturbed", reads=(*SAMPLING_FIELDS, "beam_width", "num_return"),
    doc="Kool, van Hoof & Welling 2019: Gumbel-top-k, k distinct samples without replacement",
    presets={"stochastic beam 5": {"beam_width": 5}},
)
