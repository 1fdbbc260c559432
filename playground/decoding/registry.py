"""The strategy registry: one entry (a StrategySpec, spec.py) per strategy, in the order the page lists them.

Adding a strategy is its module under strategies/ and one line here; config validation, the page's controls,
Compare's presets, What-if, the API and the CLI all read the entries.
"""

from __future__ import annotations

from types import MappingProxyType

from playground.decoding.spec import StrategySpec
from playground.decoding.strategies import (
    beam,
    contrastive,
    diverse_beam,
    exact,
    greedy,
    sampling,
    stochastic_beam,
)

STRATEGIES: MappingProxyType[str, StrategySpec] = MappingProxyType({spec.name: spec for spec in (
    greedy.SPEC,
    sampling.SPEC,
    beam.SPEC,
    stochastic_beam.SPEC,
    diverse_beam.SPEC,
    exact.SPEC,
    contrastive.SPEC,
)})
NAMES = tuple(STRATEGIES)
LABELS = MappingProxyType({name: spec.label for name, spec in STRATEGIES.items()})  # how people name them
BATCHED = tuple(name for name, spec in STRATEGIES.items() if spec.batched)
PRESETS = MappingProxyType({preset: {"strategy": name, **values} for name, spec in STRATEGIES.items()
                            for preset, values in spec.presets.items()})  # Compare's: name -> DecodeConfig values
