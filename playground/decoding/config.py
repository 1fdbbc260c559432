"""DecodeConfig: every knob of every strategy, frozen, keyword-only and validated once, here.

Its fields are the rows of the parameter table (params.py: CORE, then each registered strategy's own, then
SHARED), so a strategy that brings a parameter declares it in its registry entry and nowhere else:

    DecodeConfig(strategy="beam", beam_width=5, num_return=3)
    DecodeConfig(strategy="contrastive", top_k=4, penalty_alpha=0.6)     # penalty_alpha: contrastive.py's

A bad value raises ValueError naming the field, the value and what is allowed, so the Python API, the CLI and
the UI can all show the message as is. Fields a strategy does not read are ignored; which it reads is its spec's
``reads`` (spec.py). A strategy may start a shared field elsewhere than its default (``spec.defaults``: contrastive
search's candidates, top_k, are 4 where the field is at its "off" value 0). Every strategy also stops when
``time_budget_s`` of wall-clock time is spent (budget.py), keeping what it found so far and saying so in
``trace.message`` (``trace.truncated``).
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from playground.decoding import params
from playground.decoding.params import (  # the engine's limits, read by the UI, the CLI and the tests
    DEFAULT_TIME_BUDGET_S,
    LENGTH_PENALTY_FORMULAS,
    MAX_BEAM_WIDTH,
    MAX_LENGTH,
    MAX_SAMPLES,
    SAMPLERS,
)
from playground.decoding.processors import FILTERS, PROCESSORS
from playground.decoding.registry import NAMES as STRATEGIES
from playground.decoding.registry import STRATEGIES as SPECS
from playground.decoding.spec import RETURNS
from playground.decoding.validate import check_range

_STRATEGY = params.with_choices(params.CORE[0], tuple((spec.label, name) for name, spec in SPECS.items()))
PARAMS = MappingProxyType(params.table([p for spec in SPECS.values() for p in spec.params]) | {
    "strategy": _STRATEGY})  # name -> Param, in the table's order


class _Validated:
    """DecodeConfig's methods (the fields come from PARAMS, below)."""

    def __post_init__(self) -> None:
        spec = SPECS.get(self.strategy)
        for name, value in (spec.defaults.items() if spec else ()):  # e.g. contrastive search: top_k 0 -> 4
            if getattr(self, name) == PARAMS[name].default:
                object.__setattr__(self, name, value)
        for name, param in PARAMS.items():  # ranges, choices, booleans; JSON's lists become tuples
            object.__setattr__(self, name, param.check(getattr(self, name)))
        object.__setattr__(self, "num_groups", check_range("num_groups", self.num_groups, 1, self.beam_width,
                                                           integer=True))
        if self.beam_width % self.num_groups:
            raise ValueError(f"num_groups must divide beam_width={self.beam_width}, got {self.num_groups}")
        bound = RETURNS[spec.returns]  # greedy-like searches accept (and ignore) num_return <= beam_width
        object.__setattr__(self, "num_return", check_range("num_return", self.num_return, 1, getattr(self, bound),
                                                           integer=True, note=f" (at most {bound})"))
        unknown = [f for f in self.filter_order if f not in FILTERS]
        if unknown or len(set(self.filter_order)) != len(self.filter_order):
            raise ValueError(f"filter_order must list distinct filters from {FILTERS}, got {self.filter_order}")
        omitted = [name for name in FILTERS if PROCESSORS[name].enabled(self) and name not in self.filter_order]
        if omitted:
            raise ValueError(f"filter_order {self.filter_order} omits enabled filter(s) {omitted}")
        if len(self.prefix) >= self.max_length:
            raise ValueError(f"prefix has {len(self.prefix)} symbols; it must be shorter than "
                             f"max_length={self.max_length}")

    @property
    def spec(self):
        """The strategy's registry entry (spec.py)."""
        return SPECS[self.strategy]

    def to_dict(self) -> dict:
        """JSON-native dict (tuples become lists)."""
        values = ((name, getattr(self, name)) for name in PARAMS)  # (every field is a plain value: no deep copy)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values}

    @classmethod
    def from_dict(cls, d: dict) -> DecodeConfig:
        unknown = sorted(set(d) - set(PARAMS))
        if unknown:
            raise ValueError(f"unknown DecodeConfig field(s) {unknown}; valid fields: {sorted(PARAMS)}")
        return cls(**d)


DecodeConfig = dataclasses.make_dataclass(
    "DecodeConfig", [(p.name, p.kind, dataclasses.field(default=p.default)) for p in PARAMS.values()],
    bases=(_Validated,), frozen=True, kw_only=True)
DecodeConfig.__module__ = __name__  # (make_dataclass takes module= only from Python 3.12)
DecodeConfig.__doc__ = "Every decoding parameter (params.py), validated:\n\n" + "\n".join(
    f"    {p.name} = {p.default!r}: {p.doc}" for p in PARAMS.values())

__all__ = ["DEFAULT_TIME_BUDGET_S", "FILTERS", "LENGTH_PENALTY_FORMULAS", "MAX_BEAM_WIDTH", "MAX_LENGTH", "MAX_SAMPLES",
           "PARAMS", "SAMPLERS", "STRATEGIES", "DecodeConfig"]
