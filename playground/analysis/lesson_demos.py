"""One demonstration per Learn preset (lessons.py): run the engine, measure the phenomenon, say if it holds.

Each function ``(model, text) -> Demo`` is deterministic (fixed seeds) and returns the numbers a test
asserts on (``Demo.numbers``), chart panels (plain data; playground/ui/tabs/learn_plots.py draws them), and
``holds``. Sources: temperature softmax (e.g. Ackley, Hinton & Sejnowski 1985; Hinton et al. 2015);
top-p, Holtzman et al. 2020; length penalty, Wu et al. 2016 (GNMT, eq. 14); exact search and search vs
model errors, Stahlberg & Byrne 2019; stochastic beam search / Gumbel-top-k, Kool, van Hoof & Welling 2019;
the Gumbel-max trick, Gumbel 1954 and Maddison, Tarlow & Minka 2014.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import torch

from playground.analysis.whatif import search_check
from playground.decoding.api import decode
from playground.decoding.config import DecodeConfig
from playground.decoding.filters import temperature as apply_temperature

TOP = 6  # symbols shown in a distribution panel
CHI2_CRITICAL_001 = (10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588)  # df 1..10
GUMBEL_DRAWS = 400


@dataclass(frozen=True, kw_only=True)
class Series:
    name: str
    values: tuple[float, ...]  # one per category of its panel


@dataclass(frozen=True, kw_only=True)
class Panel:
    title: str
    categories: tuple[str, ...]  # symbols (distribution panels) or whole outputs (sequence panels)
    series: tuple[Series, ...]
    value_title: str  # the value axis' title
    horizontal: bool = False  # whole outputs: long labels read better as rows
    counts: bool = False  # values are counts (labelled as integers)
    cut: int = 0  # > 0: a filter kept the first ``cut`` categories (a dashed line marks the cut)
    category_title: str = "next symbol (most probable first)"  # the category axis' title (vertical bars)

    def __post_init__(self) -> None:
        for s in self.series:
            if len(s.values) != len(self.categories):
                raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(self.categories)} "
                                 "categories")


@dataclass(frozen=True, kw_only=True)
class Demo:
    key: str
    holds: bool
    summary: str  # one or two sentences with the measured numbers
    numbers: dict  # name -> number, what the tests assert on
    panels: tuple[Panel, ...]


def shown(model, tokens) -> str:
    """An output as the model's own writing (the lessons of model_lessons.py use these three helpers too)."""
    return model.target_vocab.detokenize(list(tokens)) or "(empty)"


def run(model, text: str, **config):
    """``decode`` with a DecodeConfig of ``config``."""
    return decode(model, text, DecodeConfig(**config))


def _uncertain_step(trace) -> int:
    """Index of the step (along a one-row chain) with the highest entropy."""
    return int(np.argmax([float(s.entropy[0]) for s in trace.steps]))


def _temperature_panel(model, trace, i: int, temps) -> Panel:
    logits = torch.as_tensor(trace.steps[i].logits[0]).double()  # (V,) raw logits of the step's one row
    order = torch.argsort(logits, descending=True)[:TOP].tolist()
    series = []
    for t in temps:
        probs = torch.zeros_like(logits) if t == 0 else torch.softmax(apply_temperature(logits, t), -1)
        if t == 0:
            probs[int(logits.argmax())] = 1.0
        series.append(Series(name=f"T = {t:g}", values=tuple(float(probs[j]) for j in order)))
    sym = trace.target_symbols
    return Panel(title=f"Step {i + 1} of the greedy output, its most uncertain step",
                 categories=tuple(sym[j] for j in order), series=tuple(series), value_title="probability")


def temperature_zero(model, text: str) -> Demo:
    greedy = run(model, text)
    best = greedy.hypotheses[0].tokens
    same = {t: sum(h.tokens == best for h in run(model, text, strategy="sample", temperature=t, num_samples=8,
                                                   num_return=8, seed=0).hypotheses) for t in (1.0, 0.0)}
    holds = same[0.0] == 8 and same[1.0] < 8
    return Demo(key="temperature_zero", holds=holds, numbers={"same_at_t0": same[0.0], "same_at_t1": same[1.0]},
                summary=f"Of 8 samples, {same[1.0]} equal the greedy output {shown(model, best)!r} at T = 1 and "
                        f"{same[0.0]} at T = 0.",
                panels=(_temperature_panel(model, greedy.trace, _uncertain_step(greedy.trace), (1, 0.5, 0.2, 0)),))


def temperature_high(model, text: str) -> Demo:
    greedy = run(model, text)
    entropy = {}
    for t in (1.0, 2.0):
        logits = torch.as_tensor(np.stack([s.logits[0] for s in greedy.trace.steps])).double()  # (L, V)
        log_probs = torch.log_softmax(apply_temperature(logits, t), -1)
        entropy[t] = float(-(log_probs.exp() * log_probs).sum(-1).mean())  # mean over the greedy path, nats
    distinct = {t: len({tuple(h.tokens) for h in run(model, text, strategy="sample", temperature=t,
                                                     num_samples=16, num_return=16, seed=0).hypotheses})
                for t in (1.0, 2.0)}
    holds = entropy[2.0] > entropy[1.0] and distinct[2.0] > distinct[1.0]
    return Demo(key="temperature_high", holds=holds,
                numbers={"entropy_t1": entropy[1.0], "entropy_t2": entropy[2.0], "distinct_t1": distinct[1.0],
                         "distinct_t2": distinct[2.0]},
                summary=f"Mean entropy per step {entropy[1.0]:.2f} nats at T = 1, {entropy[2.0]:.2f} at T = 2; "
                        f"16 samples give {distinct[1.0]} distinct outputs at T = 1 and {distinct[2.0]} at T = 2.",
                panels=(_temperature_panel(model, greedy.trace, _uncertain_step(greedy.trace), (1, 2, 4)),))


def top_p_adaptive(model, text: str) -> Demo:
    trace = run(model, text, strategy="sample", top_p=0.9, seed=0).trace
    kept = [int(s.kept[0]) for s in trace.steps]
    confident, uncertain = int(np.argmin(kept)), int(np.argmax(kept))
    panels = []
    for i, what in ((confident, "confident"), (uncertain, "uncertain")):
        s = trace.steps[i]
        p1 = np.exp(s.log_probs[0].astype(np.float64))
        order = np.argsort(-p1, kind="stable")[:TOP]
        panels.append(Panel(title=f"Step {i + 1} ({what}): keeps {kept[i]}",
                            categories=tuple(trace.target_symbols[j] for j in order),
                            series=(Series(name="model, T = 1", values=tuple(float(p1[j]) for j in order)),
                                    Series(name="after top-p 0.9",
                                           values=tuple(float(s.probs_filtered[0][j]) for j in order))),
                            value_title="probability", cut=kept[i]))
    holds = kept[confident] == 1 and kept[uncertain] >= 3
    return Demo(key="top_p_adaptive", holds=holds,
                numbers={"kept_confident": kept[confident], "kept_uncertain": kept[uncertain]},
                summary=f"With top-p = 0.9 the kept set has {kept[confident]} symbol(s) at step {confident + 1} "
                        f"and {kept[uncertain]} at step {uncertain + 1}; per step: {kept}.",
                panels=tuple(panels))


def sequence_panel(model, title: str, rows, value_title: str = "log p(y|x) (nats)", counts: bool = False) -> Panel:
    """rows: (label prefix, tokens, value)."""
    return Panel(title=title, categories=tuple(f"{label}: {shown(model, toks)}" if label else shown(model, toks)
                                               for label, toks, _ in rows),
                 series=(Series(name=value_title, values=tuple(float(v) for _, _, v in rows)),),
                 value_title=value_title, horizontal=True, counts=counts)


def beam_beats_greedy(model, text: str) -> Demo:
    g = run(model, text).hypotheses[0]
    beam = run(model, text, strategy="beam", beam_width=5, num_return=5, length_penalty_formula="none").hypotheses
    rows = [("greedy", g.tokens, g.log_prob)] + [(f"beam #{i + 1}", h.tokens, h.log_prob) for i, h in enumerate(beam)]
    holds = beam[0].log_prob > g.log_prob + 1e-3
    return Demo(key="beam_beats_greedy", holds=holds, numbers={"greedy": g.log_prob, "beam": beam[0].log_prob},
                summary=f"Greedy: {shown(model, g.tokens)!r}, log p = {g.log_prob:.3f}; beam search (width 5): "
                        f"{shown(model, beam[0].tokens)!r}, log p = {beam[0].log_prob:.3f}.",
                panels=(sequence_panel(model, "Greedy vs beam search (width 5): total log p", rows),))


def length_penalty(model, text: str, alpha: float = 2.0) -> Demo:
    raw = run(model, text, strategy="beam", beam_width=5, num_return=5, length_penalty_formula="none").hypotheses
    lp = run(model, text, strategy="beam", beam_width=5, num_return=5, length_penalty=alpha).hypotheses
    holds = raw[0].tokens != lp[0].tokens
    return Demo(key="length_penalty", holds=holds,
                numbers={"raw_winner_len": len(raw[0].tokens), "penalised_winner_len": len(lp[0].tokens),
                         "raw_winner_log_prob": raw[0].log_prob, "penalised_winner_log_prob": lp[0].log_prob},
                summary=f"Without a penalty the winner is {shown(model, raw[0].tokens)!r} (log p = "
                        f"{raw[0].log_prob:.3f}); with log p / |y|^{alpha:g} it is {shown(model, lp[0].tokens)!r} "
                        f"(log p = {lp[0].log_prob:.3f}, score {lp[0].score:.3f}).",
                panels=(sequence_panel(model, "No penalty: ranked by log p", [
                            (f"#{i + 1}", h.tokens, h.log_prob) for i, h in enumerate(raw[:3])]),
                        sequence_panel(model, f"α = {alpha:g}: ranked by log p / |y|^{alpha:g}", [
                            (f"#{i + 1}", h.tokens, h.score) for i, h in enumerate(lp[:3])],
                            "score (nats per length^α)")))


def exact_search_error(model, text: str, beam_width: int = 2) -> Demo:
    check = search_check(model, text, beam_width, time_budget_s=10.0)
    rows = [(check.beam.label, check.beam.tokens, check.beam.log_prob), ("exact: the mode", check.mode.tokens,
                                                                         check.mode.log_prob)]
    rows += [(c.label, c.tokens, c.log_prob) for c in check.references]
    return Demo(key="exact_search_error", holds=check.verdict == "search error",
                numbers={"beam": check.beam.log_prob, "mode": check.mode.log_prob, "verdict": check.verdict,
                         "model_error": check.model_error},
                summary=check.explanation, panels=(sequence_panel(model, "Beam search vs exact search", rows),))


def stochastic_beam(model, text: str, k: int = 5) -> Demo:
    samples = run(model, text, strategy="sample", num_samples=k, num_return=k, seed=0).hypotheses
    sbs = run(model, text, strategy="stochastic_beam", beam_width=k, num_return=k, seed=0).hypotheses
    counts = Counter(tuple(h.tokens) for h in samples)
    distinct = len({tuple(h.tokens) for h in sbs})
    holds = distinct == k and len(counts) < k
    return Demo(key="stochastic_beam", holds=holds, numbers={"distinct_sampling": len(counts),
                                                             "distinct_stochastic_beam": distinct},
                summary=f"{k} plain samples give {len(counts)} distinct outputs; stochastic beam search with "
                        f"k = {k} gives {distinct}.",
                panels=(sequence_panel(model, f"{k} samples with replacement: how often each came up",
                                       [("", toks, n) for toks, n in counts.most_common()], "times drawn", True),
                        sequence_panel(model, f"Stochastic beam, k = {k}: each output once",
                                       [(f"#{i + 1}", h.tokens, h.log_prob) for i, h in enumerate(sbs)])))


def gumbel_max(model, text: str, draws: int = GUMBEL_DRAWS) -> Demo:
    counts, log_p = {}, {}
    for sampler in ("multinomial", "gumbel"):
        hyps = run(model, text, strategy="sample", sampler=sampler, num_samples=draws, num_return=draws, seed=0,
                   record_trace=False).hypotheses
        counts[sampler] = Counter(tuple(h.tokens) for h in hyps)
        log_p.update({tuple(h.tokens): h.log_prob for h in hyps})
    top = [y for y, _ in (counts["multinomial"] + counts["gumbel"]).most_common(5)]
    table = np.array([[counts[s][y] for y in top] + [draws - sum(counts[s][y] for y in top)]
                      for s in ("multinomial", "gumbel")], dtype=np.float64)  # (2, C): the last column = others
    table = table[:, table.sum(0) > 0]
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    critical = CHI2_CRITICAL_001[table.shape[1] - 2]  # df = (2 - 1)(C - 1)
    labels = [(f"{i + 1}", y, 0) for i, y in enumerate(top)]
    freq = lambda s: tuple(counts[s][y] / draws for y in top)
    panel = Panel(title=f"{draws} draws each: frequency of the 5 commonest outputs",
                  categories=sequence_panel(model, "", labels).categories,
                  series=(Series(name="multinomial", values=freq("multinomial")),
                          Series(name="Gumbel-max", values=freq("gumbel")),
                          Series(name="model p(y|x)", values=tuple(float(np.exp(log_p[y])) for y in top))),
                  value_title="frequency / probability", horizontal=True)
    return Demo(key="gumbel_max", holds=chi2 < critical, numbers={"chi2": chi2, "critical": critical},
                summary=f"Chi-square of homogeneity {chi2:.2f} < {critical:.2f} (α = 0.001): the two samplers "
                        "draw the same distribution." if chi2 < critical else
                        f"Chi-square {chi2:.2f} ≥ {critical:.2f}: the draws differ more than chance allows.",
                panels=(panel,))


DEMOS = MappingProxyType({f.__name__: f for f in (temperature_zero, temperature_high, top_p_adaptive, beam_beats_greedy,
                                                   length_penalty, exact_search_error, stochastic_beam, gumbel_max)})
