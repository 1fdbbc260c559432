"""Contrastive search (Su et al. 2022, "A Contrastive Framework for Neural Text Generation", NeurIPS, eq. 5).

At each step the k most probable tokens are the candidates, and the one taken maximises

    (1 - alpha) * p(v | y_<t, x)  -  alpha * max_{j <= t} cos(h_v, h_j)
      model confidence               degeneration penalty

where h_v is the decoder's hidden state with v fed at the next position (a look-ahead step of all k candidates in
one batch, whose output then serves as the next step's, so no step runs twice) and h_0..h_t those of the
positions so far, from <s> on. alpha = 0 is greedy decoding; a larger alpha turns away from a candidate whose
representation repeats the context. Parameters as in Hugging Face's ``generate``: ``top_k`` (candidates) and
``penalty_alpha``; p is the model's distribution after the history processors (what greedy takes the argmax of).
(HF also counts a decoder-only model's prompt positions among the h_j; here the context starts at <s>, the first
position the engine steps.)

The trace is a chain whose every step also records its other candidates, pruned, with their scores: a node's
``score`` is the objective above; a hypothesis' is its log-probability.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from playground.decoding.driver import FINISHED, KEPT, PRUNED, Group, Live, Picks, Scored, Search, StepView, decode_loop
from playground.decoding.params import Control, Param, Range
from playground.decoding.recorder import Recorder
from playground.decoding.spec import StrategySpec
from playground.decoding.strategies.beam import top_candidates
from playground.decoding.strategies.pools import Collected
from playground.decoding.trace import Hypothesis

if TYPE_CHECKING:
    from playground.decoding.config import DecodeConfig


def objective(probs: torch.Tensor, hidden: torch.Tensor, context: torch.Tensor, alpha: float) -> torch.Tensor:
    """probs (C,) of the candidates, their hidden states (C, d) and the context's (n, d) -> (C,) float64 scores."""
    similarity = F.cosine_similarity(hidden[:, None, :], context[None, :, :], dim=-1)  # (C, n)
    return (1 - alpha) * probs.double() - alpha * similarity.amax(dim=1).double()


class Contrastive(Search):
    def __init__(self, k: int, alpha: float):
        self.k, self.alpha = k, alpha

    def select(self, view: StepView, groups: list[Group]) -> Picks:
        """One row (one input): score its top-k candidates by looking one step ahead with each."""
        past = view.live.extra.get("context")  # (1, t, d) the positions before this one; none at the first step
        here = view.out.hidden[:, None]
        context = here if past is None else torch.cat([past, here], dim=1)  # (1, t + 1, d)
        _, index, valid = top_candidates(view.search_log_probs, self.k)
        tokens = index[0, valid[0]]  # (C,) at least one: every row keeps a token
        ahead = view.peek(torch.zeros_like(tokens), tokens)  # each candidate fed at the next position
        scores = objective(view.search_log_probs[0, tokens].exp(), ahead.hidden, context[0], self.alpha)
        best = int(scores.argmax())  # (the first of equal scores: the more probable candidate)
        ends = bool(tokens[best] == view.run.model.target_vocab.eos_id)
        status = [PRUNED] * tokens.numel()
        status[best] = FINISHED if ends else KEPT
        taken = torch.tensor([best])
        return Picks(group=torch.zeros_like(tokens), row=torch.zeros_like(tokens), token=tokens, status=status,
                     score=scores, chosen=tokens[taken], extra={"context": context.expand(tokens.numel(), -1, -1)},
                     ahead=None if ends else ahead.rows(taken, view.run.model.reorder(ahead.state, taken)))

    def hypothesis_score(self, scored: Scored, c: int) -> torch.Tensor:
        return scored.cum[c]  # a hypothesis is ranked by its log-probability; nodes show the objective


def contrastive(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """One input at a time (``recorders`` holds one): decode_many runs a batch input by input."""
    (recorder,) = recorders
    group = Group(input=0, recorder=recorder, pool=Collected(), root=recorder.root(model.target_vocab.bos_id))
    decode_loop(model, state, config, Contrastive(config.top_k, config.penalty_alpha), [group], Live.roots([group]))
    return [group.pool.ranked()]


SPEC = StrategySpec(
    name="contrastive", label="contrastive search", run=contrastive, needs=frozenset({"hidden"}),
    reads=("top_k", "penalty_alpha"), defaults={"top_k": 4},  # top_k's "off" value 0 would leave no candidate
    rows="top_k",  # one look-ahead row per candidate
    doc="Su et al. 2022: the top-k candidates re-ranked by (1 - alpha) p - alpha max cosine similarity of the "
        "candidate's hidden state to the context's; penalty_alpha = 0 is greedy",
    params=(Param(name="penalty_alpha", default=0.6, range=Range(0, 1),
                  doc="contrastive search's degeneration penalty alpha (0 = greedy)", short="α=",
                  control=Control(kind="slider", label="α (degeneration penalty)", low=0, high=1, step=0.05,
                                  info="0 = greedy; larger avoids repeating what was said")),),
    presets={"contrastive k=4, α=0.6": {"top_k": 4, "penalty_alpha": 0.6}},
)
