"""Exact search: the single most probable output, by depth-first branch and bound.

Because every log-prob is <= 0, a prefix's cumulative log-prob is an upper bound on the score of every
sequence that extends it. So: keep the best complete sequence found so far (the incumbent, seeded with
beam search of width ``beam_width``, formula "none"), explore prefixes depth first, most probable child
first, and cut every prefix that cannot beat the incumbent (cf. Stahlberg & Byrne 2019, "On NMT Search
Errors and Model Errors: Cat Got Your Tongue?", who use this to show that beam search often misses the
model's mode, which is frequently the empty output).

The objective is the plain sum of the search log-probs (the model's, after the history processors),
with no length penalty: a length penalty would break the bound. Outputs end with </s> within
``max_length`` tokens. Each expansion scores all of a prefix's surviving children in one batched model
step; ``node_budget`` caps the model rows evaluated and ``time_budget_s`` the time (budget.py); a search
that hits either says so (``truncated``): its answer is then only the best found, not provably the best.

The trace holds the best path, re-scored with teacher forcing so that its steps carry every array,
plus the first ``MAX_RECORDED`` explored prefixes (status "pruned", no steps of their own).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, NamedTuple

import torch

from playground.decoding.common import (
    filter_settings,
    forced_at,
    forced_search,
    make_hypothesis,
    model_step,
    never_generated,
    prefix_ids,
    process_step,
    search_log_probs,
)
from playground.decoding.recorder import Recorder
from playground.decoding.spec import StrategySpec
from playground.decoding.strategies.beam import beam
from playground.decoding.strategies.greedy import teacher_force
from playground.decoding.trace import Hypothesis

if TYPE_CHECKING:
    from playground.decoding.config import DecodeConfig

MAX_RECORDED = 2000  # explored nodes kept in the trace (the UI draws them)
SAME_SCORE = 1e-4  # log-prob differences below this are rounding, not a better sequence


@dataclasses.dataclass
class Explored:
    """Every prefix the search created, as parallel lists (index 0 = the root, <s>)."""

    parent: list[int]
    token: list[int]
    depth: list[int]  # number of generated tokens
    log_prob: list[float]  # raw model log-prob of the token
    cum_log_prob: list[float]  # raw model log-prob of the prefix
    search: list[float]  # search log-prob of the prefix (the objective and the bound)

    def add(self, parent: int, token: int, log_prob: float, search: float) -> int:
        self.parent.append(parent)
        self.token.append(token)
        self.depth.append(self.depth[parent] + 1)
        self.log_prob.append(log_prob)
        self.cum_log_prob.append(self.cum_log_prob[parent] + log_prob)
        self.search.append(search)
        return len(self.parent) - 1

    def tokens(self, node: int) -> list[int]:
        out = []
        while self.parent[node] != -1:
            out.append(self.token[node])
            node = self.parent[node]
        return out[::-1]


class Expansion(NamedTuple):
    """The next-token distributions of some prefixes (one model step for all of them)."""

    model_log_probs: torch.Tensor  # (B, V) the model's, T = 1
    search_log_probs: torch.Tensor  # (B, V) float64 what the search adds up (common.search_log_probs)
    state: object  # the model's state after the step, a row per prefix


def expand(model, state, prefixes: list[list[int]], settings, forced: int | None) -> Expansion:
    """One batched model step for equal-length ``prefixes`` (``state``: their rows); a forced token (the
    prefix) is the only one that survives, at the model's cost."""
    tokens = torch.tensor(prefixes, dtype=torch.long).reshape(len(prefixes), len(prefixes[0]))  # (B, t)
    prev = tokens[:, -1] if tokens.shape[1] else torch.full((len(prefixes),), model.target_vocab.bos_id)
    out = model_step(model, prev, state)
    _, filtered = process_step(out.logits, settings, tokens, banned=never_generated(model), forced=forced)
    model_log_probs = torch.log_softmax(out.logits, dim=-1)
    search = search_log_probs(out.logits, filtered, settings, tokens, samples=False) if forced is None else \
        forced_search(model_log_probs, forced)
    return Expansion(model_log_probs, search, out.state)


def exact(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """One input at a time (``recorders`` holds one): decode_many runs a batch input by input."""
    (recorder,) = recorders
    eos = model.target_vocab.eos_id
    seed = beam_seed(model, state, config, recorder)
    best = seed.token_ids if seed is not None and seed.finished else None  # incumbent (ids without </s>)
    bound = seed.score if best is not None else float("-inf")
    settings, forced = filter_settings(config, samples=False), prefix_ids(model, config)
    explored = Explored(parent=[-1], token=[model.target_vocab.bos_id], depth=[0], log_prob=[0.0],
                        cum_log_prob=[0.0], search=[0.0])
    stack = [(0, expand(model, state, [[]], settings, forced_at(forced, 0)), 0)]
    rows_used, truncated, timed_out = 1, False, False
    while stack:
        if recorder.out_of_time(f"the exact search after evaluating {rows_used} nodes"):
            timed_out = True  # the recorder noted it (truncated)
            break
        node, exp, row = stack.pop()  # exp.*[row]: the distribution over this prefix's next token
        if explored.search[node] <= bound:
            continue  # the incumbent improved since this prefix was pushed
        scores = explored.search[node] + exp.search_log_probs[row]  # (V,) float64, one per child
        if float(scores[eos]) > bound:
            bound, best = float(scores[eos]), explored.tokens(node)
        if explored.depth[node] + 2 > config.max_length:  # a child token and then </s> must fit
            continue
        values, order = scores.tolist(), torch.argsort(scores, descending=True).tolist()
        viable = [v for v in order if v != eos and values[v] > bound]
        if not viable:
            continue
        if rows_used + len(viable) > config.node_budget:
            truncated = True
            break
        rows_used += len(viable)
        model_log_probs = exp.model_log_probs[row].tolist()
        children = [explored.add(node, v, model_log_probs[v], values[v]) for v in viable]
        child_state = model.reorder(exp.state, torch.full((len(viable),), row, dtype=torch.long))
        child_exp = expand(model, child_state, [explored.tokens(c) for c in children], settings,
                           forced_at(forced, explored.depth[node] + 1))
        stack.extend((c, child_exp, i) for i, c in reversed(list(enumerate(children))))  # best on top
    hypotheses = record(model, state, config, recorder, explored, best, seed, bound)
    notes = f"Exact search evaluated {rows_used} nodes"
    if truncated:
        recorder.note(f"{notes} and stopped at node_budget={config.node_budget}: the result is the best "
                      "found so far, not necessarily the most probable output.", truncated=True)
    elif not timed_out:
        recorder.note(f"{notes}; best log-prob {bound:.4f}.")
    if seed is not None and seed.finished:
        # the search re-scores prefixes in other batch shapes than beam search did, so the same sequence
        # can differ by float32 rounding (~1e-6): only a clear gain means beam search missed the best
        found = ("it missed the best" if bound > seed.score + SAME_SCORE else
                 "the search, cut short, found nothing better" if truncated or timed_out else "it found the best")
        recorder.note(f"Beam search (width {config.beam_width}) scored {seed.score:.4f}: {found}.")
    return [hypotheses]


def beam_seed(model, state, config: DecodeConfig, recorder: Recorder) -> Hypothesis | None:
    """The incumbent to beat: beam search (same width, no length penalty), unrecorded."""
    seed_config = dataclasses.replace(config, strategy="beam", length_penalty_formula="none", num_return=1,
                                      early_stopping=False, record_trace=False)
    quiet = Recorder(strategy="beam", config={}, source=[], target_symbols=[], record_steps=False,
                     deadline=recorder.deadline)  # the seed's time counts against the same budget
    (hypotheses,) = beam(model, state, seed_config, [quiet])
    return hypotheses[0] if hypotheses else None


def record(model, state, config: DecodeConfig, recorder: Recorder, explored: Explored, best: list[int] | None,
           seed: Hypothesis | None, bound: float) -> list[Hypothesis]:
    """Trace: the best path re-scored by teacher forcing (root = node 0, its t-th token = node t + 1), then
    the first MAX_RECORDED explored prefixes hung under it as "pruned" nodes."""
    if best is None:  # nothing ended with </s> within max_length: beam's best cut-off output
        forced = seed.token_ids if seed is not None else []
    else:
        forced = best + [model.target_vocab.eos_id]
    hyp = teacher_force(model, state, config, recorder, forced)
    child = {(p, tok): i for i, (p, tok) in enumerate(zip(explored.parent, explored.token, strict=True))}
    trace_id, node = {0: 0}, 0
    for t, token in enumerate(forced):  # the explored prefixes along the best path are path nodes
        node = child.get((node, token), -1)
        if node == -1:
            break
        trace_id[node] = t + 1
    for i in range(1, min(len(explored.token), MAX_RECORDED)):
        if i not in trace_id:  # parents come before children, so the parent is already mapped
            trace_id[i] = int(recorder.add_nodes(
                parents=torch.tensor([trace_id[explored.parent[i]]]),
                tokens=torch.tensor([explored.token[i]]),
                step=explored.depth[i] - 1, log_probs=torch.tensor([explored.log_prob[i]]),
                cum_log_probs=torch.tensor([explored.cum_log_prob[i]]),
                scores=torch.tensor([explored.search[i]]),
                status="pruned")[0])
    score = hyp.score if best is None else bound
    return [make_hypothesis(model, hyp.token_ids, log_prob=hyp.log_prob, score=score,
                            node=hyp.node, finished=hyp.finished)]


SPEC = StrategySpec(
    name="exact", label="exact search", run=exact, reads=("beam_width", "node_budget"),
    doc="depth-first branch and bound for the model's most probable output, seeded with beam search, to show when "
        "beam search misses it (Stahlberg & Byrne 2019)",
    presets={"exact search": {}},
)
