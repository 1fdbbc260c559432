"""DecodeConfig: every knob of every strategy, frozen and validated once, here.

A bad value raises ValueError naming the field, the value and what is allowed, so the Python API, the
CLI and the UI can all show the message as is. Fields a strategy does not use are ignored. Who reads what:

    every strategy      max_length (output tokens, </s> included), prefix (forced first symbols),
                        repetition_penalty and no_repeat_ngram_size (the history processors), record_trace
    greedy              nothing else: the argmax of the processed distribution (temperature and the
                        truncation filters are sampling tools, as in Hugging Face ``generate``)
    sample              temperature (0 = argmax, so sampling at T=0 is greedy decoding), top_k, top_p,
                        min_p, typical_mass, epsilon in filter_order, sampler, num_samples, seed, num_return
    beam                beam_width, num_return, length_penalty(_formula), early_stopping
    diverse_beam        as beam, plus num_groups and diversity_penalty
    stochastic_beam     beam_width (k samples), num_return, seed and the sampling filters (no length penalty)
    exact               beam_width (of the beam search that seeds its bound), node_budget

Every strategy also stops when ``time_budget_s`` of wall-clock time is spent (budget.py), keeping what it
found so far and saying so in ``trace.message`` (``trace.truncated``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import NamedTuple

from playground.decoding.processors import FILTERS, PROCESSORS
from playground.decoding.validate import check_range

STRATEGIES = ("greedy", "sample", "beam", "stochastic_beam", "diverse_beam", "exact")
SAMPLERS = ("multinomial", "gumbel")
LENGTH_PENALTY_FORMULAS = ("none", "length", "gnmt")
MAX_LENGTH, MAX_BEAM_WIDTH, MAX_SAMPLES, MAX_NODE_BUDGET = 64, 16, 1000, 100_000
DEFAULT_TIME_BUDGET_S, MAX_TIME_BUDGET_S = 10.0, 60.0  # a shared server must not give one request minutes


class Range(NamedTuple):
    low: float
    high: float
    integer: bool = False
    low_open: bool = False
    high_open: bool = False


# field -> the values the API accepts; processor fields are narrower than their filters' domains where a
# value is absurd for a decode (temperature 1000)
RANGES = MappingProxyType({
    "temperature": Range(0, 100),  # 0 = argmax (greedy), not a division
    "top_p": Range(0, 1, low_open=True),
    "min_p": Range(0, 1, high_open=True),
    "typical_mass": Range(0, 1, low_open=True),
    "epsilon": Range(0, 1, high_open=True),
    "repetition_penalty": Range(0, 10, low_open=True),
    "length_penalty": Range(-10, 10),
    "diversity_penalty": Range(0, 100),
    "time_budget_s": Range(0, MAX_TIME_BUDGET_S, low_open=True),
    "top_k": Range(0, 1_000_000, integer=True),
    "no_repeat_ngram_size": Range(0, MAX_LENGTH, integer=True),
    "beam_width": Range(1, MAX_BEAM_WIDTH, integer=True),
    "num_samples": Range(1, MAX_SAMPLES, integer=True),
    "max_length": Range(1, MAX_LENGTH, integer=True),
    "node_budget": Range(1, MAX_NODE_BUDGET, integer=True),
    "seed": Range(0, 2**63 - 1, integer=True),
})


@dataclass(frozen=True, kw_only=True)
class DecodeConfig:
    strategy: str = "greedy"
    # sampling filters (sample, stochastic_beam)
    temperature: float = 1.0  # 0 = argmax
    top_k: int = 0  # 0 disables
    top_p: float = 1.0  # 1 disables
    min_p: float = 0.0  # 0 disables
    typical_mass: float = 1.0  # 1 disables
    epsilon: float = 0.0  # 0 disables
    filter_order: tuple[str, ...] = FILTERS
    sampler: str = "multinomial"
    num_samples: int = 1
    # processors (every strategy)
    repetition_penalty: float = 1.0  # 1 disables
    no_repeat_ngram_size: int = 0  # 0 disables
    # beam-type searches
    beam_width: int = 5
    num_return: int = 1
    length_penalty: float = 1.0  # alpha
    length_penalty_formula: str = "length"
    early_stopping: bool = False
    num_groups: int = 1
    diversity_penalty: float = 0.0
    node_budget: int = 5000  # exact search: model rows evaluated before giving up
    # every strategy
    max_length: int = 32  # output tokens, </s> included
    time_budget_s: float = DEFAULT_TIME_BUDGET_S  # wall clock: stop, keep what was found, say so
    seed: int = 0
    prefix: tuple[str, ...] = ()  # forced target prefix (symbols)
    record_trace: bool = True

    def __post_init__(self) -> None:
        # JSON and the CLI give lists; store tuples so the config stays hashable and immutable
        object.__setattr__(self, "filter_order", _tuple_of_str("filter_order", self.filter_order))
        object.__setattr__(self, "prefix", _tuple_of_str("prefix", self.prefix))
        _choice("strategy", self.strategy, STRATEGIES)
        _choice("sampler", self.sampler, SAMPLERS)
        _choice("length_penalty_formula", self.length_penalty_formula, LENGTH_PENALTY_FORMULAS)
        for name, r in RANGES.items():  # (numpy scalars become int / float)
            object.__setattr__(self, name, check_range(name, getattr(self, name), r.low, r.high, integer=r.integer,
                                                       low_open=r.low_open, high_open=r.high_open))
        object.__setattr__(self, "num_groups", check_range("num_groups", self.num_groups, 1, self.beam_width,
                                                           integer=True))
        if self.beam_width % self.num_groups:
            raise ValueError(f"num_groups must divide beam_width={self.beam_width}, got {self.num_groups}")
        # greedy and exact search find one hypothesis; they accept (and ignore) num_return <= beam_width
        what = "num_samples" if self.strategy == "sample" else "beam_width"
        object.__setattr__(self, "num_return", check_range("num_return", self.num_return, 1, getattr(self, what),
                                                           integer=True, note=f" (at most {what})"))
        for flag in ("early_stopping", "record_trace"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        unknown = [f for f in self.filter_order if f not in FILTERS]
        if unknown or len(set(self.filter_order)) != len(self.filter_order):
            raise ValueError(f"filter_order must list distinct filters from {FILTERS}, "
                             f"got {self.filter_order}")
        omitted = [f for f, on in self._enabled_filters().items() if on and f not in self.filter_order]
        if omitted:
            raise ValueError(f"filter_order {self.filter_order} omits enabled filter(s) {omitted}")
        if len(self.prefix) >= self.max_length:
            raise ValueError(f"prefix has {len(self.prefix)} symbols; it must be shorter than "
                             f"max_length={self.max_length}")

    def _enabled_filters(self) -> dict[str, bool]:
        return {name: PROCESSORS[name].enabled(self) for name in FILTERS}

    def to_dict(self) -> dict:
        """JSON-native dict (tuples become lists)."""
        values = ((f.name, getattr(self, f.name)) for f in fields(self))  # (every field is a plain value: no deep copy)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values}

    @classmethod
    def from_dict(cls, d: dict) -> DecodeConfig:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown DecodeConfig field(s) {unknown}; valid fields: {sorted(names)}")
        return cls(**d)


def _choice(name: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def _tuple_of_str(name: str, value) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a sequence of strings, got {value!r}")
    return tuple(value)
