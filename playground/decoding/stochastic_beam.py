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
sequences, they are the sample. Node and hypothesis ``score`` = G~ (the ranking key: the order of
drawing); ``log_prob`` stays the raw model log-prob.
"""

from __future__ import annotations

import math

import torch

from playground.decoding.beams import Beams, expand, initial_beams, top_candidates
from playground.decoding.budget import Steps
from playground.decoding.common import argmax_only, filter_settings, forced_at, make_hypothesis, prefix_ids
from playground.decoding.config import DecodeConfig
from playground.decoding.recorder import Recorder
from playground.decoding.samplers import gumbel_noise
from playground.decoding.trace import Hypothesis


def log1mexp(a: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(a)) for a <= 0, accurate at both ends (Maechler 2012); log1mexp(0) = -inf."""
    return torch.where(a > -math.log(2), torch.log(-torch.expm1(a)), torch.log1p(-torch.exp(a)))


def truncated_gumbel(gumbels: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """Gumbels (B, V) (-inf for impossible children) conditioned on max_v = upper (B, 1): eq. 23 above."""
    z = gumbels.max(dim=-1, keepdim=True).values  # (B, 1)
    v = upper - gumbels + log1mexp(gumbels - z)
    return upper - v.clamp(min=0) - torch.log1p(torch.exp(-v.abs()))


def stochastic_beam(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """One input at a time (``recorders`` holds one): decode_many runs a batch input by input."""
    (recorder,) = recorders
    k = config.beam_width
    generator = torch.Generator().manual_seed(config.seed)
    settings, argmax, forced = filter_settings(config), argmax_only(config), prefix_ids(model, config)
    beams = initial_beams(recorder.root(model.target_vocab.bos_id))
    perturbed = torch.zeros(1, dtype=torch.float64)  # G~(root) = 0
    finished: list[tuple[float, Hypothesis]] = []  # ended sequences holding a slot: (G~ in float64, hyp)
    steps = Steps(config, recorders, lambda: "with live beams left")
    for t in steps:
        exp = expand(model, state, beams, settings, forced_at(forced, t), config, argmax=argmax)
        phi = beams.cum_search[:, None] + exp.search_log_probs  # (B, V) float64
        children = truncated_gumbel(phi + gumbel_noise(phi.shape, generator), perturbed[:, None])  # (B, V)
        beams, perturbed, finished = select_slots(model, beams, exp, phi, children, finished, k=k, t=t,
                                                  recorder=recorder)
        if beams.nodes.numel() == 0:
            break
        state = model.reorder(exp.state, beams.rows)
    else:
        finished += unfinished(model, beams, perturbed)
        steps.note_max_length(recorder, f"{beams.nodes.numel()} of the {k} samples reached max_length="
                                        f"{config.max_length} without </s>.")
    return [[h for _, h in sorted(finished, key=lambda item: -item[0])]]


def unfinished(model, beams: Beams, perturbed: torch.Tensor) -> list[tuple[float, Hypothesis]]:
    """Live beams (cut by max_length or the time budget) as (G~, hypothesis) without </s>."""
    return [(float(perturbed[i]), make_hypothesis(model, beams.tokens[i].tolist(), log_prob=beams.cum_model[i],
                                                  score=perturbed[i], node=beams.nodes[i], finished=False))
            for i in range(beams.nodes.numel())]


def select_slots(model, beams: Beams, exp, phi: torch.Tensor, children: torch.Tensor,
                 finished: list[tuple[float, Hypothesis]], *, k: int, t: int, recorder: Recorder):
    """Keep the k largest G~ among the children (B, V) and the finished sequences; record the top 2k
    children as candidates. Returns the live beams, their G~ (B',) and the finished list."""
    values, index, valid = top_candidates(children.reshape(1, -1), 2 * k)  # best children first
    index, values = index[0, valid[0]], values[0, valid[0]]  # (C,)
    rows, tokens = index // children.shape[1], index % children.shape[1]
    count, eos = values.numel(), model.target_vocab.eos_id
    held = torch.tensor([g for g, _ in finished], dtype=torch.float64)  # (F,)
    pooled = torch.cat([values, held])
    chosen = torch.zeros(pooled.numel(), dtype=torch.bool)
    chosen[pooled.topk(min(k, pooled.numel())).indices] = True
    chosen_child, chosen_held = chosen[:count], chosen[count:]
    ends = tokens == eos
    log_prob = exp.model_log_probs[rows, tokens]
    cum_model = beams.cum_model[rows] + log_prob
    status = ["pruned" if not c else "finished" if e else "kept"
              for c, e in zip(chosen_child.tolist(), ends.tolist(), strict=True)]
    ids = recorder.add_nodes(parents=beams.nodes[rows], tokens=tokens, step=t, log_probs=log_prob,
                             cum_log_probs=cum_model, scores=values, status=status)
    recorder.add_step(t=t, node_ids=beams.nodes, logits=exp.logits, temperature_logits=exp.temperature_logits,
                      filtered_logits=exp.filtered_logits, attention=exp.attention, candidates=ids,
                      members=exp.members)
    for (_, h), keep in zip(finished, chosen_held.tolist(), strict=True):
        if not keep:
            recorder.set_status(h.node, "pruned")
    finished = [item for item, keep in zip(finished, chosen_held.tolist(), strict=True) if keep]
    for c in (chosen_child & ends).nonzero()[:, 0].tolist():
        hypothesis = make_hypothesis(model, beams.tokens[rows[c]].tolist(), log_prob=cum_model[c],
                                     score=values[c], node=ids[c], finished=True)
        finished.append((float(values[c]), hypothesis))
    live = (chosen_child & ~ends).nonzero()[:, 0]
    search = phi[rows[live], tokens[live]]
    return (Beams(nodes=ids[live], tokens=torch.cat([beams.tokens[rows[live]], tokens[live, None]], dim=1),
                  cum_model=cum_model[live], cum_search=search, rows=rows[live]),
            values[live], finished)
