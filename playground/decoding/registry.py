"""The strategy registry: name -> function, all with one signature and one trace type.

    strategy(model, state, config, recorder) -> list[Hypothesis]   (best first)

``state`` is ``model.encode(src_ids)`` for one source (batch 1); the strategy expands it with
``model.reorder`` as it needs, records into ``recorder`` and returns every final hypothesis it found.
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
LABELS = MappingProxyType({  # how people name them (the page, Compare's column labels, What-if)
    "greedy": "greedy",
    "sample": "sampling",
    "beam": "beam search",
    "stochastic_beam": "stochastic beam",
    "diverse_beam": "diverse beam",
    "exact": "exact search",
})
