"""The strategy registry: name -> function, all with one signature and one trace type.

    strategy(model, state, config, recorders) -> list[list[Hypothesis]]   (per input, best first)

``state`` is ``model.encode(src_ids)`` for N sources (a row each, in the recorders' order); the strategy
expands it with ``model.reorder`` as it needs, records each input into its recorder and returns every final
hypothesis it found for each. The BATCHED strategies decode all N inputs in lockstep, one model call per
step; the others take one input at a time (``decode_many`` gives them batches of one).
"""

from __future__ import annotations

from types import MappingProxyType

from playground.decoding.beam import beam
from playground.decoding.chains import greedy, sample
from playground.decoding.config import STRATEGIES as STRATEGY_NAMES
from playground.decoding.diverse_beam import diverse_beam
from playground.decoding.exact import exact
from playground.decoding.stochastic_beam import stochastic_beam

STRATEGIES = {
    "greedy": greedy,
    "sample": sample,
    "beam": beam,
    "stochastic_beam": stochastic_beam,
    "diverse_beam": diverse_beam,
    "exact": exact,
}
assert tuple(STRATEGIES) == STRATEGY_NAMES, "config.STRATEGIES and the registry must agree"
BATCHED = ("greedy", "sample", "beam", "diverse_beam")
LABELS = MappingProxyType({  # how people name them (the page, Compare's column labels, What-if)
    "greedy": "greedy",
    "sample": "sampling",
    "beam": "beam search",
    "stochastic_beam": "stochastic beam",
    "diverse_beam": "diverse beam",
    "exact": "exact search",
})
