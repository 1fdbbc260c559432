"""Minimum Bayes risk (MBR) decoding: pick the candidate that agrees most with the others, not the most probable one.

    result = minimum_bayes_risk(model, "colonel", DecodeConfig(temperature=1.0, seed=0), n=100)
    result.mbr                  # the choice: argmax_i E[u(h_i)]
    result.matrix               # U[i][j] = u(h_i, y_j) between every pair of distinct candidates
    result.beam, result.mode    # beam search's best and exact search's answer, for comparison

Kumar & Byrne (2004, "Minimum Bayes-Risk Decoding for Statistical Machine Translation") choose the hypothesis
of least expected loss under the model's posterior; Eikema & Aziz (2020, "Is MAP Decoding All You Need? The
Inadequacy of the Mode in Neural Machine Translation") estimate that expectation with unbiased samples of the
model as pseudo-references. Here, over the D distinct candidates y_1..y_D:

    E[u(h_i)] = sum_j w_j U[i][j],  U[i][j] = u(h_i, y_j),  sum_j w_j = 1,  MBR = argmax_i E[u(h_i)]

* ``source="sample"``: N ancestral samples with the page's settings (temperature, top-k, top-p, min-p, seed,
  max length; analysis/sampling.py draws them in one batch), deduplicated with counts; w_j = count_j / N, the
  empirical frequency. So E[u(h_i)] is the plain mean of u(h_i, y) over all N samples (Eikema & Aziz's
  estimator), and the candidates are the distinct samples themselves.
* ``source="beam"``: beam search's n-best list (width N, ranked by log p, no length penalty); w_j = p(y_j|x) /
  sum_k p(y_k|x), the model's probabilities renormalised over the list (Kumar & Byrne's N-best MBR).
* **Self-utility is included**: the sum runs over every j, j = i too, and U[i][i] = 1. A candidate is its own
  pseudo-reference as often as it was drawn (its weight), exactly as in the mean over the N samples. Without
  it, E would be sum_{j != i} w_j U[i][j] / (1 - w_i); that is not what is computed.
* Ties (expected utilities within 1e-9) go to the larger weight, then the larger log p, then the first listed.

Utility u(h, y) (analysis/utility.py): for our symbol models (G2P, P2G) 1 - Levenshtein(h, y) / max(|h|, |y|)
over output symbols (1 when both are empty); for a tokenizer's pieces (Hugging Face models) chrF (Popović 2015)
of the detokenized strings. Both lie in [0, 1] and give 1 for identical outputs; the edit utility is symmetric,
chrF is not (recall weighs more). N is bounded: 1-200 samples or a beam of 1-16 (at most 200 × 200 utilities);
each decode keeps the engine's time budget.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from playground.analysis.sampling import sample_distribution
from playground.analysis.utility import utilities, utility_name
from playground.analysis.whatif import references
from playground.decoding.api import decode
from playground.decoding.config import MAX_BEAM_WIDTH, DecodeConfig
from playground.models.card import task_of

SOURCES = ("sample", "beam")
MAX_SAMPLES = 200  # N for source="sample": the matrix is at most 200 x 200
MAX_BEAM = MAX_BEAM_WIDTH  # N for source="beam": the beam's width and n-best size
REFERENCE_BEAM_WIDTH = 5  # "beam search's best", beside the MBR choice
TIE = 1e-9
Progress = Callable[[float, str], None]


@dataclass(frozen=True, kw_only=True)
class MbrCandidate:
    tokens: tuple[str, ...]  # without </s>
    text: str  # the model's writing of them (what chrF reads)
    finished: bool  # False: cut at max_length
    count: int  # samples equal to it (1 for an n-best entry)
    weight: float  # w_j: its share as a pseudo-reference (see the module docstring)
    log_prob: float  # model log p(y|x) at T=1
    expected_utility: float  # sum_j w_j U[i][j]
    correct: bool | None  # a dictionary answer; None when the input is not in the dictionary (or no dictionary)


@dataclass(frozen=True, kw_only=True)
class Anchor:
    """Beam search's best or the model's mode, scored against the same pseudo-references."""

    label: str
    tokens: tuple[str, ...]
    text: str
    log_prob: float
    expected_utility: float  # sum_j w_j u(this, y_j), as a candidate's
    correct: bool | None
    candidate: int  # its index among the candidates, -1 if it is not one
    note: str = ""  # e.g. exact search stopped early


@dataclass(frozen=True, kw_only=True)
class MbrResult:
    source: tuple[str, ...]
    method: str  # "sample" | "beam"
    n: int  # samples drawn, or the n-best list's length
    utility: str  # which utility, in words
    config: DecodeConfig  # the decode that drew the candidates
    candidates: tuple[MbrCandidate, ...]  # most weight first
    matrix: np.ndarray  # (D, D) float64, U[i, j] = u(candidate i, candidate j)
    choice: int  # index of the MBR output
    beam: Anchor
    mode: Anchor
    message: str = ""

    @property
    def mbr(self) -> MbrCandidate:
        return self.candidates[self.choice]

    @property
    def weights(self) -> np.ndarray:
        return np.array([c.weight for c in self.candidates])

    @property
    def expected(self) -> np.ndarray:
        return np.array([c.expected_utility for c in self.candidates])

    def to_dict(self) -> dict:
        return dict(source=list(self.source), method=self.method, n=self.n, distinct=len(self.candidates),
                    utility=self.utility, weights_are=WEIGHTS_ARE[self.method], self_utility=SELF_UTILITY,
                    config=self.config.to_dict(), message=self.message,
                    candidates=[dict(dataclasses.asdict(c), tokens=list(c.tokens)) for c in self.candidates],
                    matrix=self.matrix.tolist(), weights=self.weights.tolist(),
                    expected_utilities=self.expected.tolist(), choice=self.choice,
                    mbr=dict(dataclasses.asdict(self.mbr), tokens=list(self.mbr.tokens)),
                    beam=_anchor_dict(self.beam), mode=_anchor_dict(self.mode))


WEIGHTS_ARE = MappingProxyType({"sample": "count / n: each candidate's empirical frequency among the n samples",
                               "beam": "p(y|x) renormalised over the n-best list"})
SELF_UTILITY = ("included: expected_utilities[i] = sum_j weights[j] * matrix[i][j] over every j, j = i too "
                "(matrix[i][i] = 1)")


def _anchor_dict(anchor: Anchor) -> dict:
    return dict(dataclasses.asdict(anchor), tokens=list(anchor.tokens))


def choose(expected, weights, log_probs) -> int:
    """argmax_i expected[i]; ties (within TIE) to the larger weight, then log p, then the first."""
    best = max(expected)
    tied = [i for i, e in enumerate(expected) if e >= best - TIE]
    return max(tied, key=lambda i: (weights[i], log_probs[i], -i))


# --- the analysis ---------------------------------------------------------------------------------------
def check_request(n, source) -> int:
    """``n`` as an int within the bound of ``source``; a ValueError for people otherwise."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(map(repr, SOURCES))}, got {str(source)[:40]!r}")
    top = MAX_SAMPLES if source == "sample" else MAX_BEAM
    what = "samples" if source == "sample" else "n-best hypotheses (the beam's width)"
    if (not isinstance(n, (int, float)) or isinstance(n, bool) or not math.isfinite(n) or not float(n).is_integer()
            or not 1 <= n <= top):
        raise ValueError(f"the number of {what} for MBR must be a whole number from 1 to {top}, got {n!r}")
    return int(n)


def _drawn(model, text: str, config: DecodeConfig, n: int, source: str, progress: Progress):
    """-> (the decode's config, [(tokens, finished, count, weight, log p)], how many drawn, the engine's note)."""
    if source == "sample":
        stats = sample_distribution(model, text, config, n, progress=lambda f, what: progress(0.6 * f, what))
        rows = [(o.tokens, o.finished, o.count, o.count / stats.n, o.log_prob) for o in stats.outputs]
        return stats.config, rows, stats.n, stats.message
    progress(0.0, f"beam search, width {n}")
    beam_config = DecodeConfig(strategy="beam", beam_width=n, num_return=n, length_penalty_formula="none",
                               max_length=config.max_length, prefix=config.prefix,
                               time_budget_s=config.time_budget_s, record_trace=False)
    result = decode(model, text, beam_config)
    merged: dict = {}
    for h in result.hypotheses:  # (the n-best list holds each sequence once; merged all the same)
        key = (tuple(h.tokens), h.finished)
        merged[key] = (merged[key][0] + 1, h.log_prob) if key in merged else (1, h.log_prob)
    top = max(lp for _, lp in merged.values())
    mass = {key: math.exp(lp - top) for key, (_, lp) in merged.items()}  # stable softmax over the list
    total = sum(mass.values())
    rows = sorted(((tokens, finished, count, mass[tokens, finished] / total, lp)
                   for (tokens, finished), (count, lp) in merged.items()), key=lambda r: (-r[3], r[0]))
    return beam_config, rows, len(result.hypotheses), result.trace.message


def _anchors(model, text: str, config: DecodeConfig) -> tuple:
    """(beam search's best: width REFERENCE_BEAM_WIDTH, ranked by log p; exact search's result; its note)."""
    common = dict(beam_width=REFERENCE_BEAM_WIDTH, max_length=config.max_length, prefix=config.prefix,
                  time_budget_s=config.time_budget_s, record_trace=False)
    beam = decode(model, text, DecodeConfig(strategy="beam", length_penalty_formula="none", **common)).hypotheses[0]
    exact = decode(model, text, DecodeConfig(strategy="exact", **common))
    note = f"exact search stopped early ({exact.trace.message}): the best found so far" if exact.trace.truncated else ""
    return beam, exact.hypotheses[0], note, tuple(exact.trace.source)


def minimum_bayes_risk(model, text: str, config: DecodeConfig, n: int, source: str = "sample",
                       progress: Progress | None = None) -> MbrResult:
    """Draw ``n`` candidates (``source``: "sample" with ``config``'s filters, seed and max length, or "beam": the
    n-best list of a beam of width ``n``), compute U and every expected utility, pick the MBR output; beam search's
    best and the mode beside it. Raises InputError / ValueError with a message for people."""
    n = check_request(n, source)
    report = progress or (lambda fraction, what: None)
    drawn_config, rows, drawn, message = _drawn(model, text, config, n, source, report)
    report(0.65, "beam search and exact search, for comparison")
    beam, mode, mode_note, src = _anchors(model, text, drawn_config)
    refs = set(references(model, src)) if task_of(model) in ("g2p", "p2g") else set()
    correct = lambda tokens: (tuple(tokens) in refs) if refs else None  # noqa: E731
    tokens = [r[0] for r in rows]
    weights = np.array([r[3] for r in rows])
    report(0.85, f"{len(rows)} × {len(rows)} utilities")
    matrix = utilities(model, tokens, tokens)
    np.fill_diagonal(matrix, 1.0)  # (u(y, y) = 1 for both utilities; exact, whatever the rounding)
    expected = matrix @ weights
    detok = lambda t: model.target_vocab.detokenize(list(t))  # noqa: E731
    candidates = tuple(MbrCandidate(tokens=t, text=detok(t), finished=f, count=c, weight=float(w), log_prob=lp,
                                    expected_utility=float(e), correct=correct(t))
                       for (t, f, c, w, lp), e in zip(rows, expected, strict=True))
    choice = choose(expected.tolist(), weights.tolist(), [r[4] for r in rows])

    def anchor(label: str, h, note: str = "") -> Anchor:
        e = float(utilities(model, [tuple(h.tokens)], tokens)[0] @ weights)
        index = next((i for i, c in enumerate(candidates) if c.tokens == tuple(h.tokens) and c.finished == h.finished),
                     -1)
        return Anchor(label=label, tokens=tuple(h.tokens), text=detok(h.tokens), log_prob=h.log_prob,
                      expected_utility=candidates[index].expected_utility if index >= 0 else e,
                      correct=correct(h.tokens), candidate=index, note=note)

    report(1.0, "done")
    return MbrResult(source=src, method=source, n=drawn, utility=utility_name(model), config=drawn_config,
                     candidates=candidates, matrix=matrix, choice=choice,
                     beam=anchor(f"beam search's best (width {REFERENCE_BEAM_WIDTH})", beam),
                     mode=anchor("the mode (exact search)", mode, mode_note), message=message)
