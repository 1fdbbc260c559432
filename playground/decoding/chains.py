"""Chain strategies: greedy decoding, ancestral sampling (N samples drawn as one batch), teacher forcing.

Each grows H independent rows one token at a time, for every input of the batch at once (rows are grouped by
input, in order); a row leaves the batch when it emits </s>. Each row is a chain in its input's trace tree,
and each step records that input's rows with the token chosen from each. Scores are raw model
log-probabilities (T=1), whatever filters the sampler used. Sampling draws each input's rows from that input's
own generator, seeded with ``config.seed``, so an input gets the same samples in a batch as alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from playground.decoding.budget import Steps
from playground.decoding.common import (
    argmax_only,
    attention_of,
    filter_settings,
    forced_at,
    make_hypothesis,
    model_step,
    never_generated,
    prefix_ids,
    process_step,
    rank_hypotheses,
)
from playground.decoding.config import DecodeConfig
from playground.decoding.recorder import Recorder
from playground.decoding.samplers import SAMPLERS
from playground.decoding.trace import Hypothesis

Choose = Callable[[torch.Tensor, int], torch.Tensor]  # (filtered logits (h, V) of one input's rows, input) -> (h,)


def greedy(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """Take the most probable token (after the history processors) at every step."""
    return chain(model, state, config, recorders, rows=1, choose=lambda logits, i: logits.argmax(-1))


def sample(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """Draw ``num_samples`` sequences of each input at once from the filtered distribution, with a seeded
    generator per input (same seed and config, same samples). Temperature 0 makes every row the greedy output."""
    generators = [torch.Generator().manual_seed(config.seed) for _ in recorders]
    draw = SAMPLERS[config.sampler]
    return chain(model, state, config, recorders, rows=config.num_samples,
                 choose=lambda logits, i: draw(logits, generators[i]))


def spans(inputs: torch.Tensor) -> list[tuple[int, slice]]:
    """(input, its rows) for rows grouped by input: inputs (H,) ascending, e.g. [0, 0, 2] -> (0, 0:2), (2, 2:3)."""
    if inputs.numel() and int(inputs[0]) == int(inputs[-1]):  # one input (the page's case): no grouping to do
        return [(int(inputs[0]), slice(0, inputs.numel()))]
    values, counts = torch.unique_consecutive(inputs, return_counts=True)
    ends = torch.cumsum(counts, 0).tolist()
    return [(int(v), slice(end - c, end)) for v, c, end in zip(values.tolist(), counts.tolist(), ends, strict=True)]


@dataclass
class Chains:
    inputs: torch.Tensor  # (H,) input of each live row, ascending
    nodes: torch.Tensor  # (H,) trace node id of each live row (in its input's trace)
    tokens: torch.Tensor  # (H, t) generated so far
    cum: torch.Tensor  # (H,) float64 raw model log-prob so far

    def keep(self, index: torch.Tensor, nodes: torch.Tensor, tokens: torch.Tensor, cum: torch.Tensor) -> Chains:
        return Chains(self.inputs[index], nodes[index], tokens[index], cum[index])


def chain(model, state, config: DecodeConfig, recorders: list[Recorder], *, rows: int, choose: Choose,
          forced: list[int] | None = None) -> list[list[Hypothesis]]:
    """Grow ``rows`` sequences per input; ``forced`` token ids (default: config.prefix) override the first choices.

    An explicit ``forced`` is teacher forcing (score, exact search's re-scoring): its length is fixed, so
    it ignores the time budget; free decoding stops early when the budget runs out."""
    vocab, n = model.target_vocab, len(recorders)
    inputs = torch.arange(n).repeat_interleave(rows)  # (H,)
    live = Chains(inputs, torch.tensor([r.root(vocab.bos_id) for r in recorders]).repeat_interleave(rows),
                  torch.zeros((n * rows, 0), dtype=torch.long), torch.zeros(n * rows, dtype=torch.float64))
    steps = Steps(config, recorders, lambda: f"with {live.nodes.numel()} of {n * rows} sequence(s) unfinished",
                  timed=forced is None)
    forced = prefix_ids(model, config) if forced is None else forced
    settings, argmax, banned = filter_settings(config), argmax_only(config), never_generated(model)
    state = model.reorder(state, inputs)  # ``rows`` copies of each encoded source
    prev = torch.full((n * rows,), vocab.bos_id)  # (H,) last token of each live row
    hypotheses: list[list[Hypothesis]] = [[] for _ in recorders]
    for t in steps:
        out = model_step(model, prev, state)
        logits, state = out.logits, out.state
        processed = process_step(logits, settings, live.tokens, banned=banned, forced=forced_at(forced, t),
                                 argmax=argmax)
        groups = spans(live.inputs)
        picks = [choose(rows_of(processed[1], r), i) for i, r in groups]
        chosen = picks[0] if len(picks) == 1 else torch.cat(picks)  # (H,)
        log_prob = torch.log_softmax(logits, -1).gather(1, chosen[:, None])[:, 0]  # (H,) raw, T=1
        cum, done = live.cum + log_prob, chosen == vocab.eos_id
        children = record(recorders, groups, t, live, chosen, log_prob, cum, done,
                          (logits, *processed, attention_of(out), out.member_log_probs))
        tokens = torch.cat([live.tokens, chosen[:, None]], dim=1)
        if not bool(done.any()):  # (the common step: every row goes on, nothing to select)
            live, prev = Chains(live.inputs, children, tokens, cum), chosen
            continue
        for row in done.nonzero()[:, 0].tolist():
            hypotheses[int(live.inputs[row])].append(make_hypothesis(
                model, tokens[row, :-1].tolist(), log_prob=cum[row], score=cum[row], node=children[row],
                finished=True))
        alive = (~done).nonzero()[:, 0]  # (H',)
        if alive.numel() == 0:
            break
        state = model.reorder(state, alive)
        live, prev = live.keep(alive, children, tokens, cum), chosen[alive]
    else:
        finish_unfinished(model, live, recorders, hypotheses, steps=steps, rows=rows, config=config)
    return [rank_hypotheses(h) for h in hypotheses]


def record(recorders: list[Recorder], groups, t: int, live: Chains, chosen, log_prob, cum, done,
           arrays: tuple) -> torch.Tensor:
    """Each input's rows of step t into its recorder: the chosen children as nodes, and the step (``arrays``:
    logits, temperature_logits, filtered_logits (H, V), attention (H, L, K, S), members (H, M, V) or None).
    Returns the children's ids."""
    logits, temperature_logits, filtered_logits, attention, members = arrays
    children = []
    for i, r in groups:
        ids = recorders[i].add_nodes(parents=rows_of(live.nodes, r), tokens=rows_of(chosen, r), step=t,
                                     log_probs=rows_of(log_prob, r), cum_log_probs=rows_of(cum, r),
                                     scores=rows_of(cum, r),
                                     status=["finished" if d else "kept" for d in rows_of(done, r).tolist()])
        recorders[i].add_step(t=t, node_ids=rows_of(live.nodes, r), logits=rows_of(logits, r),
                              temperature_logits=rows_of(temperature_logits, r),
                              filtered_logits=rows_of(filtered_logits, r), attention=rows_of(attention, r),
                              chosen=rows_of(chosen, r), candidates=ids,
                              members=None if members is None else rows_of(members, r))
        children.append(ids)
    return children[0] if len(children) == 1 else torch.cat(children)


def rows_of(x: torch.Tensor, r: slice) -> torch.Tensor:
    """``x[r]`` along dim 0, or ``x`` itself when ``r`` spans all its rows (one input, the page's case: no new
    view per tensor and step; the recorder only keeps references, and nothing here is modified in place)."""
    return x if r.start == 0 and r.stop == x.shape[0] else x[r]


def finish_unfinished(model, live: Chains, recorders: list[Recorder], hypotheses: list[list[Hypothesis]], *,
                      steps: Steps, rows: int, config: DecodeConfig) -> None:
    """The loop ran out: every live row becomes a hypothesis cut before </s>, and each input says how many."""
    for i, r in spans(live.inputs):
        hypotheses[i] += unfinished(model, live.nodes[r], live.tokens[r], live.cum[r])
        steps.note_max_length(recorders[i], f"{r.stop - r.start} of {rows} sequence(s) reached "
                                            f"max_length={config.max_length} without </s>.")


def unfinished(model, nodes: torch.Tensor, tokens: torch.Tensor, cum: torch.Tensor) -> list[Hypothesis]:
    """The live rows as hypotheses cut before </s>: nodes (H,), tokens (H, t), cum (H,)."""
    return [make_hypothesis(model, tokens[i].tolist(), log_prob=cum[i], score=cum[i], node=nodes[i],
                            finished=False) for i in range(nodes.numel())]
