"""Chains: independent rows that take one token a step. Greedy decoding (the argmax), and teacher forcing (every
token forced: ``teacher_force``, which ``score`` and exact search's re-scoring use); sampling (sampling.py) is a
chain too.

Each row is a chain in its input's trace tree; a step records an input's rows with the token each took. Scores
are raw model log-probabilities (T = 1), whatever filters the chooser used. A row leaves when it emits </s>.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from playground.decoding.driver import FINISHED, KEPT, Group, Live, Picks, Search, StepView, decode_loop, rows_of
from playground.decoding.recorder import Recorder
from playground.decoding.spec import StrategySpec
from playground.decoding.strategies.pools import Collected
from playground.decoding.trace import Hypothesis

if TYPE_CHECKING:
    from playground.decoding.config import DecodeConfig

Choose = Callable[[torch.Tensor, int], torch.Tensor]  # (filtered logits (h, V) of one input's rows, input) -> (h,)


class Chains(Search):
    """Each row takes ``choose``'s token from its filtered distribution; </s> finishes it."""

    def __init__(self, choose: Choose, *, rows: int, total: int, samples: bool = False):
        self.choose, self.rows, self.total, self.samples = choose, rows, total, samples

    def select(self, view: StepView, groups: list[Group]) -> Picks:
        live, spans = view.live, view.spans
        if len(spans) == 1:  # one input's rows: all of them (no slice)
            chosen = self.choose(view.filtered_logits, groups[spans[0][0]].input)  # (R,)
        else:
            chosen = torch.cat([self.choose(rows_of(view.filtered_logits, rows), groups[g].input) for g, rows in spans])
        eos = view.run.model.target_vocab.eos_id
        status = [FINISHED if token == eos else KEPT for token in chosen.tolist()]
        return Picks(group=live.group, row=None, token=chosen, status=status, chosen=chosen, one_per_row=True)

    def live_note(self, live: Live) -> str:
        return f"with {live.nodes.numel()} of {self.total} sequence(s) unfinished"

    def cut_note(self, config, count: int) -> str:
        return f"{count} of {self.rows} sequence(s) reached max_length={config.max_length} without </s>."


def chain(model, state, config: DecodeConfig, recorders: list[Recorder], *, rows: int, choose: Choose,
          samples: bool = False, forced: list[int] | None = None) -> list[list[Hypothesis]]:
    """Grow ``rows`` sequences per input; ``forced`` token ids (default: config.prefix) override the first choices.
    An explicit ``forced`` is teacher forcing: its length is fixed, so it ignores the time budget."""
    bos = model.target_vocab.bos_id
    groups = [Group(input=i, recorder=r, pool=Collected(), root=r.root(bos)) for i, r in enumerate(recorders)]
    if rows > 1:  # ``rows`` copies of each (one: the state as it is, every model's reorder by arange is a copy)
        state = model.reorder(state, torch.arange(len(recorders)).repeat_interleave(rows))
    search = Chains(choose, rows=rows, total=len(recorders) * rows, samples=samples)
    decode_loop(model, state, config, search, groups, Live.roots(groups, rows), forced=forced, timed=forced is None)
    return [g.pool.ranked() for g in groups]


def argmax(logits: torch.Tensor, _input: int) -> torch.Tensor:
    return logits.argmax(-1)


def greedy(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """Take the most probable token (after the history processors) at every step."""
    return chain(model, state, config, recorders, rows=1, choose=argmax)


def teacher_force(model, state, config: DecodeConfig, recorder: Recorder, target_ids: list[int]) -> Hypothesis:
    """The one chain that takes ``target_ids`` (</s> included to finish), every step recorded."""
    return chain(model, state, config, [recorder], rows=1, choose=argmax, forced=target_ids)[0][0]


SPEC = StrategySpec(
    name="greedy", label="greedy", run=greedy, batched=True,
    doc="the most probable token at every step (the history processors apply; temperature and truncation filters "
        "are sampling tools, as in Hugging Face generate)",
    presets={"greedy": {}},
)
