"""The page's decoding controls, derived from the engine's tables (no gradio here).

Every control is a decoding parameter with a page widget (playground/decoding/params.py: its ``Control``), in the
table's order; which strategies show it is which read it (the registry's specs, playground/decoding/spec.py). So
``UiParams`` (the controls as the widgets deliver them), the Explore widgets (explore/tab.py), which controls a
strategy shows (``visible_controls``), the event handlers' argument lists (``CONTROL_NAMES``), share strings
(share.py), the Sample tab's settings and the Compare columns' sliders all come from those two tables: a strategy
that brings a parameter with a control gets its widget without an edit here.

Temperature and the truncation filters only change *sampling* (the specs that sample); argmax-style searches
ignore them, so the page hides them instead of letting a slider do nothing.
"""

from __future__ import annotations

import dataclasses
import numbers
from types import MappingProxyType

from playground.decoding.config import PARAMS, DecodeConfig
from playground.decoding.registry import STRATEGIES
from playground.decoding.spec import UNIVERSAL
from playground.decoding.validate import whole

STRATEGY_CHOICES = PARAMS["strategy"].control.choices  # (label shown, engine name)
# score(y) = log p(y|x) / lp(|y|): Wu et al. 2016 (GNMT, arXiv:1609.08144) eq. 14 for "gnmt"
FORMULAS = MappingProxyType({
    "none": "score = log p(y|x)  (no length normalisation: short outputs win)",
    "length": "score = log p(y|x) / |y|^α",
    "gnmt": "score = log p(y|x) / ((5 + |y|) / 6)^α   (Wu et al. 2016)",
})
CONTROLS = MappingProxyType({name: p.control for name, p in PARAMS.items() if p.control})  # in page order
CONTROL_NAMES = tuple(CONTROLS)
SETTINGS = CONTROL_NAMES[1:]  # every control but the strategy itself
APPLIES = MappingProxyType({name: tuple(n for n in SETTINGS if n in spec.reads or n in UNIVERSAL)
                            for name, spec in STRATEGIES.items()})  # strategy -> the controls it reads


class _PageValues:
    """UiParams' methods (its fields are CONTROLS', below, plus the server's time budget)."""

    def to_config(self) -> tuple[DecodeConfig, list[str]]:
        """A DecodeConfig plus notes on values adjusted to fit (shown as warnings, not errors).

        Raises ValueError (from DecodeConfig, naming the field and its valid range) for values that cannot
        be repaired, including anything the /explore API hands over that is not a number."""
        values = {name: whole(v) if CONTROLS[name].integer else _real(v) for name, v in self.controls().items()}
        values["time_budget_s"] = _real(self.time_budget_s)
        notes = fit_counts(values)
        spec = STRATEGIES.get(values["strategy"])
        num_return = values.pop("num_return")
        if spec is not None:
            if "num_groups" not in spec.reads:
                values["num_groups"] = 1  # only diverse beam reads it, and it must divide the width
            if spec.returns == "samples":  # "returned hypotheses" = independent samples
                values.update(num_samples=num_return, num_return=num_return)
            elif spec.returns == "best":
                values["num_return"] = num_return
        config = DecodeConfig(**values)
        notes += [f"using {CONTROLS[k].label} {getattr(config, k)}, {spec.label}'s own ({values[k]} turns it off)"
                  for k in (spec.defaults if spec else ()) if getattr(config, k) != values[k]]
        return config, notes

    def controls(self) -> dict:
        """The values of the controls (every field but the server's time budget), by name."""
        return {name: getattr(self, name) for name in CONTROLS}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


UiParams = dataclasses.make_dataclass(
    "UiParams", [*((name, PARAMS[name].kind, dataclasses.field(default=PARAMS[name].on_page,
                                                              metadata={"control": CONTROLS[name]}))
                   for name in CONTROLS),
                 ("time_budget_s", float, dataclasses.field(default=PARAMS["time_budget_s"].default))],
    bases=(_PageValues,), frozen=True, kw_only=True)
UiParams.__module__ = __name__  # (make_dataclass takes module= only from Python 3.12)
UiParams.__doc__ = "The page's controls, as the widgets deliver them (sliders give floats), in page order."


def fit_counts(values: dict) -> list[str]:
    """Repair ``values`` (whole numbers already ints) in place where the page can say what it did: more
    returned hypotheses than the beam is wide, or groups that do not divide the width. Returns the notes."""
    notes, spec = [], STRATEGIES.get(values["strategy"])
    width, num_return, groups = values["beam_width"], values["num_return"], values["num_groups"]
    if spec is None or not all(isinstance(v, int) and v >= 1 for v in (width, num_return, groups)):
        return notes  # DecodeConfig refuses them, naming the field
    if spec.returns == "best" and num_return > width:
        notes.append(f"showing {width} hypotheses: a search cannot return more than its beam width")
        values["num_return"] = width
    if "num_groups" in spec.reads and width <= CONTROLS["beam_width"].high and (groups > width or width % groups):
        fitted = max(g for g in range(1, min(groups, width) + 1) if width % g == 0)
        notes.append(f"using {fitted} groups: the number of groups must divide the beam width {width}")
        values["num_groups"] = fitted
    return notes


def with_language(config: DecodeConfig, language) -> DecodeConfig:
    """``config`` with a multilingual model's target-language token (models/hf.py ``target_languages``) forced
    as the first output token, as generate's ``forced_bos_token_id`` does; "" or None: the model chooses.
    A token the model does not know is refused when decoding, like any unknown prefix symbol."""
    if not language:
        return config
    if not isinstance(language, str):
        raise ValueError(f"language must be a target-language token, got {type(language).__name__}")
    return dataclasses.replace(config, prefix=(language, *config.prefix))


def speaks(model, language) -> bool:
    """Does ``model`` list ``language`` among its target languages (a Compare column on another model)?"""
    return bool(language) and language in {token for _, token in model.target_languages}


def language_props(model) -> dict:
    """The target-language picker: a multilingual model's languages (models/hf.py ``target_languages``), shown
    only for such a model; "" lets the model choose."""
    languages = list(model.target_languages)
    return dict(choices=[("chosen by the model", ""), *languages], visible=bool(languages))


def return_info(strategy: str) -> str:
    """The "Returned hypotheses" slider means samples drawn for sampling, the n best for the searches."""
    if STRATEGIES[strategy].returns == "samples":
        return "the number of samples drawn"
    return "the best hypotheses the search keeps (at most the beam width)"


def control_info(name: str, strategy: str, formula: str) -> str:
    """A control's help line; two change with the other controls (what "returned" means, the formula)."""
    if name == "num_return":
        return return_info(strategy)
    if name == "length_penalty_formula":
        return FORMULAS.get(formula, "")  # (an API caller may name no formula)
    return CONTROLS[name].info


def visible_controls(strategy: str, formula: str = "length") -> dict[str, bool]:
    """Setting name -> shown? for the chosen strategy (α is hidden when no formula uses it)."""
    used = set(APPLIES.get(strategy, ()))
    if formula == "none":
        used.discard("length_penalty")
    return {name: name in used for name in SETTINGS}


def strategy_values(strategy: str, values: dict) -> dict:
    """The controls a strategy starts elsewhere than the page does (spec.defaults: contrastive search's top-k 4),
    for those of ``values`` still at the page's start value: what picking ``strategy`` sets them to."""
    return {name: value for name, value in STRATEGIES[strategy].defaults.items()
            if name in values and values[name] == PARAMS[name].on_page}


def _real(value):
    """A number as float (numpy scalars included); anything else is left for DecodeConfig to refuse."""
    return float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else value
