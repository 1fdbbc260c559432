"""Every decoding parameter, declared once: its default, the values the API accepts, what it does, its page control.

``DecodeConfig`` (config.py) is built from these rows: CORE, then each strategy's own parameters (a strategy that
brings one declares it in its registry entry, registry.py), then SHARED. Everything else derives from the same
rows: the page's controls and their order (ui/common/controls.py), the CLI's options (cli.py), the /decode
endpoint's inputs (ui/wiring.py), Compare's column knobs (analysis/compare.py). The processors' fields take their
default ("off") from the processor registry (processors.py), so a filter is declared in one place too.

A ``Control`` describes the widget the page shows for a parameter (kind, label, range, help); the page shows
only the controls of the parameters its strategy reads (spec.py). ``page_default`` is a deliberate difference of
the page from the API's default, with its reason in ``doc``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import NamedTuple

from playground.decoding.processors import FILTERS, PROCESSORS
from playground.decoding.validate import check_range

MAX_LENGTH, MAX_BEAM_WIDTH, MAX_SAMPLES, MAX_NODE_BUDGET = 64, 16, 1000, 100_000
DEFAULT_TIME_BUDGET_S, MAX_TIME_BUDGET_S = 10.0, 60.0  # a shared server must not give one request minutes
SAMPLERS = ("multinomial", "gumbel")
LENGTH_PENALTY_FORMULAS = ("none", "length", "gnmt")
NO_DEFAULT = object()  # page_default when the page uses the API's default


class Range(NamedTuple):
    low: float
    high: float
    integer: bool = False
    low_open: bool = False
    high_open: bool = False


@dataclass(frozen=True, kw_only=True)
class Control:
    """The page's widget: ``kind`` "radio" (``choices``), "slider" (``low``..``high`` by ``step``) or "number"."""

    kind: str
    label: str
    info: str = ""
    low: float = 0
    high: float = 0
    step: float = 1
    choices: tuple = ()

    @property
    def integer(self) -> bool:
        return self.kind == "number" or (self.kind == "slider" and float(self.step).is_integer())


@dataclass(frozen=True, kw_only=True)
class Param:
    name: str
    default: object
    doc: str  # one line: what it does (CLI help, the API's documentation)
    range: Range | None = None  # numbers: the values the API accepts
    choices: tuple[str, ...] = ()  # strings: the values the API accepts
    control: Control | None = None  # the page's widget, when the page shows one
    page_default: object = NO_DEFAULT
    short: str = ""  # how a label names it before its value ("T=", "top-k "): Compare's column labels

    @property
    def kind(self) -> type:
        """bool, int, float, str or tuple: what the field holds (the CLI parses it so)."""
        return type(self.default)

    @property
    def on_page(self):
        """The value the page starts with."""
        return self.default if self.page_default is NO_DEFAULT else self.page_default

    def check(self, value):
        """``value`` normalised (numpy scalars to int / float, sequences to tuples) or ValueError naming the field."""
        if self.range is not None:
            r = self.range
            return check_range(self.name, value, r.low, r.high, integer=r.integer, low_open=r.low_open,
                               high_open=r.high_open)
        if self.choices and value not in self.choices:
            raise ValueError(f"{self.name} must be one of {', '.join(map(repr, self.choices))}; got {value!r}")
        if self.kind is bool and not isinstance(value, bool):
            raise ValueError(f"{self.name} must be True or False, got {value!r}")
        if self.kind is tuple:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{self.name} must be a sequence of strings, got {value!r}")
            return tuple(value)
        return value


def processor_param(field: str, doc: str, high: float, control: Control | None = None, *, integer: bool = False,
                    low_open: bool = False, high_open: bool = False, short: str = "") -> Param:
    """A processor's parameter: its default is the processor's "off" value (processors.py)."""
    off = next(p.off for p in PROCESSORS.values() if p.field == field)
    return Param(name=field, default=int(off) if integer else float(off), doc=doc, control=control, short=short,
                 range=Range(0, high, integer=integer, low_open=low_open, high_open=high_open))


def is_filter(name: str) -> bool:
    """Whether ``name`` holds a processor's value (it does nothing at its default, the "off" value)."""
    return any(p.field == name for p in PROCESSORS.values())


CORE = (
    Param(name="strategy", default="greedy", doc="the decoding strategy (registry.py)",
          control=Control(kind="radio", label="Strategy")),
    processor_param("temperature", "sampling temperature; 0 = argmax (greedy)", 100,
                    Control(kind="slider", label="Temperature", low=0, high=5, step=0.05,
                            info="0 = always the most probable"), short="T="),
    processor_param("top_k", "keep the k most probable tokens; 0 disables", 1_000_000,
                    Control(kind="slider", label="top-k", low=0, high=50, info="keep the k most probable; 0 = off"),
                    integer=True, short="top-k "),
    processor_param("top_p", "nucleus: the smallest set with this much mass; 1 disables", 1,
                    Control(kind="slider", label="top-p (nucleus)", low=0.05, high=1, step=0.01,
                            info="keep the smallest set with this much mass; 1 = off"), low_open=True, short="top-p "),
    processor_param("min_p", "drop tokens below min_p x the top probability; 0 disables", 1,
                    Control(kind="slider", label="min-p", low=0, high=0.95, step=0.01,
                            info="drop tokens below min-p × the top probability; 0 = off"), high_open=True,
                    short="min-p "),
    processor_param("typical_mass", "locally typical sampling's mass; 1 disables", 1, low_open=True),
    processor_param("epsilon", "drop tokens below this probability; 0 disables", 1, high_open=True),
    Param(name="filter_order", default=FILTERS, doc="the order the filters apply in (comma-separated)"),
    Param(name="sampler", default="multinomial", choices=SAMPLERS, doc="how a token is drawn"),
    Param(name="num_samples", default=1, range=Range(1, MAX_SAMPLES, integer=True), doc="sequences drawn"),
    processor_param("repetition_penalty", "divide (multiply) the logits of generated tokens; 1 disables", 10,
                    low_open=True),
    processor_param("no_repeat_ngram_size", "never repeat an n-gram of this size; 0 disables", MAX_LENGTH,
                    integer=True),
    Param(name="beam_width", default=5, range=Range(1, MAX_BEAM_WIDTH, integer=True),
          doc="beams kept per step; the page starts at 4, a width its 2 diverse-beam groups divide", page_default=4,
          control=Control(kind="slider", label="Beam width", low=1, high=MAX_BEAM_WIDTH)),
    Param(name="num_groups", default=1, range=Range(1, MAX_BEAM_WIDTH, integer=True),
          doc="diverse beam's groups (divides beam_width); the page starts at 2, so that picking diverse beam "
              "differs from beam search", page_default=2, short="groups=",
          control=Control(kind="slider", label="Groups (diverse beam)", low=1, high=MAX_BEAM_WIDTH,
                          info="must divide the beam width")),
    Param(name="diversity_penalty", default=0.0, range=Range(0, 100),
          doc="how strongly a diverse-beam group avoids earlier groups' tokens; the page starts at 0.5, so that "
              "picking diverse beam differs from beam search", page_default=0.5, short="λ=",
          control=Control(kind="slider", label="Diversity penalty", low=0, high=5, step=0.1,
                          info="how strongly a group avoids earlier groups' tokens")),
    Param(name="num_return", default=1, range=Range(1, math.inf, integer=True),
          doc="hypotheses returned (at most beam_width, or num_samples for sampling); the page shows the best 3",
          page_default=3, control=Control(kind="slider", label="Returned hypotheses", low=1, high=MAX_BEAM_WIDTH)),
    Param(name="length_penalty_formula", default="length", choices=LENGTH_PENALTY_FORMULAS,
          doc="how finished hypotheses are normalised by length",
          control=Control(kind="radio", label="Length penalty", choices=LENGTH_PENALTY_FORMULAS)),
    Param(name="length_penalty", default=1.0, range=Range(-10, 10), doc="alpha of the length penalty", short="α=",
          control=Control(kind="slider", label="α (length penalty)", low=0, high=2, step=0.05,
                          info="0 = no normalisation; larger favours longer outputs")),
    Param(name="early_stopping", default=False, doc="stop once beam_width hypotheses have finished"),
    Param(name="node_budget", default=5000, range=Range(1, MAX_NODE_BUDGET, integer=True),
          doc="exact search: model rows evaluated before giving up"),
)
SHARED = (  # read by every strategy; after the strategies' own parameters on the page
    Param(name="seed", default=0, range=Range(0, 2**63 - 1, integer=True), doc="the random generator's seed",
          control=Control(kind="number", label="Seed")),
    Param(name="max_length", default=32, range=Range(1, MAX_LENGTH, integer=True),
          doc="output tokens, </s> included",
          control=Control(kind="slider", label="Max length", low=1, high=MAX_LENGTH,
                          info="output symbols, the end token included")),
    Param(name="time_budget_s", default=DEFAULT_TIME_BUDGET_S, range=Range(0, MAX_TIME_BUDGET_S, low_open=True),
          doc="wall-clock seconds: stop, keep what was found, say so"),
    Param(name="prefix", default=(), doc="forced first output symbols"),
    Param(name="record_trace", default=True, doc="record every step's distributions (off: outputs only)"),
)


def table(strategy_params) -> dict[str, Param]:
    """name -> Param, in order: CORE, the strategies' own, SHARED; a name declared twice is a bug."""
    rows = [*CORE, *strategy_params, *SHARED]
    names = [p.name for p in rows]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"decoding parameter(s) declared twice: {twice}")
    return {p.name: p for p in rows}


def with_choices(param: Param, choices: tuple) -> Param:
    """``param`` accepting ``choices`` (the strategy names, known once the registry is built)."""
    control = param.control and dataclasses.replace(param.control, choices=choices)
    return dataclasses.replace(param, choices=tuple(value for _, value in choices), control=control)
