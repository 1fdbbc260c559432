"""What a strategy is, in one place: ``StrategySpec``, one registry entry per strategy (registry.py).

Everything the engine, the page, the API and the CLI need to know about a strategy is a field here, so adding one
is its module plus its entry: config validation and defaults (``returns``, ``params``, ``defaults``), the controls
the page shows
(``reads``), which distribution the step chart draws (``samples``), what the results' score means (``score``),
Compare's presets (``presets``), whether decode_many batches it (``batched``), which model outputs it needs
(``needs``).

    run(model, state, config, recorders) -> list[list[Hypothesis]]     per input, best first

``state`` is ``model.encode`` of N sources, a row each, in the recorders' order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from playground.decoding.params import Param

# read by every strategy (beyond its own ``reads``): the page shows max_length always
UNIVERSAL = ("strategy", "max_length", "prefix", "repetition_penalty", "no_repeat_ngram_size", "time_budget_s",
             "record_trace")
SAMPLING_FIELDS = ("temperature", "top_k", "top_p", "min_p", "typical_mass", "epsilon", "filter_order", "seed")
RETURNS = MappingProxyType({  # what num_return counts -> the field that bounds it (None: a single output)
    "one": "beam_width",  # greedy-like searches find one output; they accept (and ignore) num_return <= beam_width
    "best": "beam_width",  # the n best of the search's pool
    "samples": "num_samples",  # the samples drawn
})


@dataclass(frozen=True, kw_only=True)
class StrategySpec:
    name: str  # the engine's name (DecodeConfig.strategy)
    label: str  # how people call it (the page, Compare's columns, What-if)
    run: Callable  # the strategy (module docstring)
    doc: str  # one sentence with its source: the CLI's help, the docs
    reads: tuple[str, ...] = ()  # the DecodeConfig fields it reads beyond UNIVERSAL
    samples: bool = False  # draws from the filtered distribution: temperature and the filters apply
    batched: bool = False  # decodes many inputs in lockstep (decode_many); else one input at a time
    returns: str = "one"  # RETURNS
    score: str = "log p"  # what a hypothesis' score is, as the results chart labels it
    needs: frozenset[str] = frozenset()  # StepOutput fields a model must return (protocol.OPTIONAL)
    params: tuple[Param, ...] = ()  # DecodeConfig fields it brings (params.py)
    presets: Mapping[str, Mapping] = field(default_factory=dict)  # Compare presets: name -> DecodeConfig values
    defaults: Mapping[str, object] = field(default_factory=dict)  # a shared field's value for it when at its default
    rows: str | None = None  # the field setting how many rows one input's step holds (budget.py's memory check);
    # None: num_samples when it returns samples, beam_width when it reads it, else one row

    def __post_init__(self) -> None:
        if self.returns not in RETURNS:
            raise ValueError(f"{self.name}: returns must be one of {tuple(RETURNS)}, got {self.returns!r}")

    @property
    def normalises(self) -> bool:
        """Ranks finished outputs by a length penalty (the page shows the formula and α only then)."""
        return "length_penalty" in self.reads
