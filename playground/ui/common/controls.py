"""Which control applies to which strategy, and UI values -> DecodeConfig (no gradio here).

The table mirrors playground/decoding/config.py: temperature and the truncation filters only
change *sampling* (sample, stochastic_beam); argmax-style searches ignore them, so the page hides
them instead of letting a slider silently do nothing.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from types import MappingProxyType

from playground.decoding.config import DEFAULT_TIME_BUDGET_S, MAX_BEAM_WIDTH, DecodeConfig

STRATEGY_CHOICES = (  # (label shown, value passed to the engine)
    ("greedy", "greedy"),
    ("sampling", "sample"),
    ("beam search", "beam"),
    ("stochastic beam", "stochastic_beam"),
    ("diverse beam", "diverse_beam"),
    ("exact search", "exact"),
)
FILTER_CONTROLS = ("temperature", "top_k", "top_p", "min_p")
LP_CONTROLS = ("length_penalty_formula", "length_penalty")
APPLIES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "greedy": ("max_length",),
    "sample": FILTER_CONTROLS + ("num_return", "seed", "max_length"),
    "beam": ("beam_width", "num_return") + LP_CONTROLS + ("max_length",),
    "stochastic_beam": FILTER_CONTROLS + ("beam_width", "num_return", "seed", "max_length"),
    "diverse_beam": ("beam_width", "num_groups", "diversity_penalty", "num_return") + LP_CONTROLS
                    + ("max_length",),
    "exact": ("max_length",),  # the mode of the model: no length penalty, one answer
})  # read-only, like every module-level table in playground/ui: sessions share modules, never state
CONTROLS = tuple(dict.fromkeys(c for cs in APPLIES.values() for c in cs))

# score(y) = log p(y|x) / lp(|y|): Wu et al. 2016 (GNMT, arXiv:1609.08144) eq. 14 for "gnmt"
FORMULAS = MappingProxyType({
    "none": "score = log p(y|x)  (no length normalisation: short outputs win)",
    "length": "score = log p(y|x) / |y|^α",
    "gnmt": "score = log p(y|x) / ((5 + |y|) / 6)^α   (Wu et al. 2016)",
})


def return_info(strategy: str) -> str:
    """The "Returned hypotheses" slider means samples drawn for sampling, the n best for the searches."""
    if strategy == "sample":
        return "the number of samples drawn"
    return "the best hypotheses the search keeps (at most the beam width)"


def visible_controls(strategy: str, formula: str = "length") -> dict[str, bool]:
    """Control name -> shown? for the chosen strategy (α is hidden when no formula uses it)."""
    used = set(APPLIES.get(strategy, ()))
    if formula == "none":
        used.discard("length_penalty")
    return {c: c in used for c in CONTROLS}


@dataclass(frozen=True, kw_only=True)
class UiParams:
    """The page's controls, as the widgets deliver them (sliders give floats)."""
    strategy: str = "greedy"
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    beam_width: int = 4
    num_return: int = 3
    length_penalty: float = 1.0
    length_penalty_formula: str = "length"
    num_groups: int = 2
    diversity_penalty: float = 0.5
    seed: int = 0
    max_length: int = 32
    time_budget_s: float = DEFAULT_TIME_BUDGET_S  # no widget: the server's limit per decode

    def to_config(self) -> tuple[DecodeConfig, list[str]]:
        """A DecodeConfig plus notes on values adjusted to fit (shown as warnings, not errors).

        Raises ValueError (from DecodeConfig, naming the field and its valid range) for values that
        cannot be repaired, including anything the /explore API hands over that is not a number.
        """
        notes: list[str] = []
        s = self.strategy
        beam_width, num_return, num_groups = _whole(self.beam_width), _whole(self.num_return), _whole(self.num_groups)
        repairable = all(isinstance(v, int) and v >= 1 for v in (beam_width, num_return, num_groups))
        if repairable and s in ("beam", "stochastic_beam", "diverse_beam") and num_return > beam_width:
            notes.append(f"showing {beam_width} hypotheses: a search cannot return more than its beam width")
            num_return = beam_width
        if (repairable and s == "diverse_beam" and beam_width <= MAX_BEAM_WIDTH
                and (num_groups > beam_width or beam_width % num_groups)):
            fitted = max(g for g in range(1, min(num_groups, beam_width) + 1) if beam_width % g == 0)
            notes.append(f"using {fitted} groups: the number of groups must divide the beam width "
                         f"{beam_width}")
            num_groups = fitted
        kwargs = dict(
            strategy=s, temperature=_real(self.temperature), top_k=_whole(self.top_k), top_p=_real(self.top_p),
            min_p=_real(self.min_p), length_penalty=_real(self.length_penalty),
            length_penalty_formula=self.length_penalty_formula,
            diversity_penalty=_real(self.diversity_penalty), time_budget_s=_real(self.time_budget_s),
            seed=_whole(self.seed), max_length=_whole(self.max_length), beam_width=beam_width,
            num_groups=num_groups if s == "diverse_beam" else 1,
        )
        if s == "sample":  # "returned hypotheses" = independent samples
            kwargs.update(num_samples=num_return, num_return=num_return)
        elif s in ("beam", "stochastic_beam", "diverse_beam"):
            kwargs.update(num_return=num_return)
        return DecodeConfig(**kwargs), notes

    def to_dict(self) -> dict:
        return asdict(self)


def _whole(value):
    """Sliders deliver whole numbers as floats (4.0): make them ints. Anything else is passed on as is, for
    DecodeConfig to refuse with the field's name and valid range (one wording on every surface)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) \
            and float(value).is_integer():
        return int(value)
    return value


def _real(value):
    """A number as float (numpy scalars included); anything else is left for DecodeConfig to refuse."""
    return float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else value
