"""The page's decoding controls, defined once (no gradio here).

Every control is a field of ``UiParams`` carrying its ``Control`` spec (widget kind and range, label, help, the
strategies that read it). Everything else is derived from that one table: the Explore widgets (explore/tab.py), which
controls a strategy shows (``visible_controls``), the event handlers' argument lists (``CONTROL_NAMES``), share
strings (share.py), the Sample tab's settings and the Compare columns' sliders.

Temperature and the truncation filters only change *sampling* (sample, stochastic_beam); argmax-style searches
ignore them (playground/decoding/config.py), so the page hides them instead of letting a slider do nothing.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field
from types import MappingProxyType

from playground.decoding.config import DEFAULT_TIME_BUDGET_S, MAX_BEAM_WIDTH, MAX_LENGTH, DecodeConfig
from playground.decoding.registry import LABELS
from playground.decoding.validate import whole

STRATEGY_CHOICES = tuple((label, name) for name, label in LABELS.items())  # (label shown, engine name)
SAMPLING = ("sample", "stochastic_beam")  # the strategies that apply temperature and the filters
BEAMS = ("beam", "stochastic_beam", "diverse_beam")
NORMALISED = ("beam", "diverse_beam")  # the searches that rank finished outputs by a length penalty
# score(y) = log p(y|x) / lp(|y|): Wu et al. 2016 (GNMT, arXiv:1609.08144) eq. 14 for "gnmt"
FORMULAS = MappingProxyType({
    "none": "score = log p(y|x)  (no length normalisation: short outputs win)",
    "length": "score = log p(y|x) / |y|^α",
    "gnmt": "score = log p(y|x) / ((5 + |y|) / 6)^α   (Wu et al. 2016)",
})


@dataclass(frozen=True, kw_only=True)
class Control:
    """One widget: ``kind`` "radio" (``choices``), "slider" (``low``..``high`` by ``step``) or "number"."""

    kind: str
    label: str
    info: str = ""
    low: float = 0
    high: float = 0
    step: float = 1
    choices: tuple = ()
    strategies: tuple[str, ...] = tuple(LABELS)  # the strategies that read this control

    @property
    def integer(self) -> bool:
        return self.kind == "number" or (self.kind == "slider" and float(self.step).is_integer())


def control(default, spec: Control):
    return field(default=default, metadata={"control": spec})


@dataclass(frozen=True, kw_only=True)
class UiParams:
    """The page's controls, as the widgets deliver them (sliders give floats), in page order."""

    strategy: str = control("greedy", Control(kind="radio", label="Strategy", choices=STRATEGY_CHOICES,
                                              strategies=()))  # (always shown: it picks the others)
    temperature: float = control(1.0, Control(kind="slider", label="Temperature", low=0, high=5, step=0.05,
                                              info="0 = always the most probable", strategies=SAMPLING))
    top_k: int = control(0, Control(kind="slider", label="top-k", low=0, high=50, info="keep the k most probable; "
                                    "0 = off", strategies=SAMPLING))
    top_p: float = control(1.0, Control(kind="slider", label="top-p (nucleus)", low=0.05, high=1, step=0.01,
                                        info="keep the smallest set with this much mass; 1 = off",
                                        strategies=SAMPLING))
    min_p: float = control(0.0, Control(kind="slider", label="min-p", low=0, high=0.95, step=0.01,
                                        info="drop tokens below min-p × the top probability; 0 = off",
                                        strategies=SAMPLING))
    beam_width: int = control(4, Control(kind="slider", label="Beam width", low=1, high=MAX_BEAM_WIDTH,
                                         strategies=BEAMS))
    num_groups: int = control(2, Control(kind="slider", label="Groups (diverse beam)", low=1, high=MAX_BEAM_WIDTH,
                                         info="must divide the beam width", strategies=("diverse_beam",)))
    diversity_penalty: float = control(0.5, Control(kind="slider", label="Diversity penalty", low=0, high=5, step=0.1,
                                                    info="how strongly a group avoids earlier groups' tokens",
                                                    strategies=("diverse_beam",)))
    num_return: int = control(3, Control(kind="slider", label="Returned hypotheses", low=1, high=MAX_BEAM_WIDTH,
                                         strategies=("sample",) + BEAMS))
    length_penalty_formula: str = control("length", Control(kind="radio", label="Length penalty",
                                                            choices=tuple(FORMULAS), strategies=NORMALISED))
    length_penalty: float = control(1.0, Control(kind="slider", label="α (length penalty)", low=0, high=2, step=0.05,
                                                 info="0 = no normalisation; larger favours longer outputs",
                                                 strategies=NORMALISED))
    seed: int = control(0, Control(kind="number", label="Seed", strategies=SAMPLING))
    max_length: int = control(32, Control(kind="slider", label="Max length", low=1, high=MAX_LENGTH,
                                          info="output symbols, the end token included"))
    time_budget_s: float = DEFAULT_TIME_BUDGET_S  # no widget: the server's limit per decode

    def to_config(self) -> tuple[DecodeConfig, list[str]]:
        """A DecodeConfig plus notes on values adjusted to fit (shown as warnings, not errors).

        Raises ValueError (from DecodeConfig, naming the field and its valid range) for values that cannot
        be repaired, including anything the /explore API hands over that is not a number."""
        values = {name: whole(v) if CONTROLS[name].integer else _real(v) for name, v in self.controls().items()}
        values["time_budget_s"] = _real(self.time_budget_s)
        notes = fit_counts(values)
        s = values["strategy"]
        num_return = values.pop("num_return")
        if s != "diverse_beam":
            values["num_groups"] = 1  # only diverse beam reads it, and it must divide the width
        if s == "sample":  # "returned hypotheses" = independent samples
            values.update(num_samples=num_return, num_return=num_return)
        elif s in BEAMS:
            values["num_return"] = num_return
        return DecodeConfig(**values), notes

    def controls(self) -> dict:
        """The values of the controls (every field but the server's time budget), by name."""
        return {name: getattr(self, name) for name in CONTROLS}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


CONTROLS = MappingProxyType({f.name: f.metadata["control"] for f in dataclasses.fields(UiParams)
                             if "control" in f.metadata})  # name -> Control, in page order
CONTROL_NAMES = tuple(CONTROLS)
SETTINGS = CONTROL_NAMES[1:]  # every control but the strategy itself
APPLIES = MappingProxyType({s: tuple(n for n, c in CONTROLS.items() if s in c.strategies) for s in LABELS})


def fit_counts(values: dict) -> list[str]:
    """Repair ``values`` (whole numbers already ints) in place where the page can say what it did: more
    returned hypotheses than the beam is wide, or groups that do not divide the width. Returns the notes."""
    notes, s = [], values["strategy"]
    width, num_return, groups = values["beam_width"], values["num_return"], values["num_groups"]
    if not all(isinstance(v, int) and v >= 1 for v in (width, num_return, groups)):
        return notes  # DecodeConfig refuses them, naming the field
    if s in BEAMS and num_return > width:
        notes.append(f"showing {width} hypotheses: a search cannot return more than its beam width")
        values["num_return"] = width
    if s == "diverse_beam" and width <= MAX_BEAM_WIDTH and (groups > width or width % groups):
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
    return bool(language) and language in {token for _, token in getattr(model, "target_languages", None) or ()}


def language_props(model) -> dict:
    """The target-language picker: a multilingual model's languages (models/hf.py ``target_languages``), shown
    only for such a model; "" lets the model choose."""
    languages = list(getattr(model, "target_languages", None) or [])
    return dict(choices=[("chosen by the model", ""), *languages], visible=bool(languages))


def return_info(strategy: str) -> str:
    """The "Returned hypotheses" slider means samples drawn for sampling, the n best for the searches."""
    if strategy == "sample":
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


def _real(value):
    """A number as float (numpy scalars included); anything else is left for DecodeConfig to refuse."""
    return float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else value
