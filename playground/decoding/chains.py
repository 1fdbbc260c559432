"""Chain strategies: greedy decoding and ancestral sampling (N samples drawn as one batch).

Both grow H independent rows one token at a time; a row leaves the batch when it emits </s>. Each row
is a chain in the trace tree, and each step records the H rows with the token chosen from each.
Scores are raw model log-probabilities (T=1), whatever filters the sampler used.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from playground.decoding.budget import Steps
from playground.decoding.common import (
    argmax_only,
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

Choose = Callable[[torch.Tensor], torch.Tensor]  # filtered logits (H, V) -> chosen tokens (H,)


def greedy(model, state, config: DecodeConfig, recorder: Recorder) -> list[Hypothesis]:
    """Take the most probable token (after the history processors) at every step."""
    return chain(model, state, config, recorder, rows=1, choose=lambda logits: logits.argmax(-1))


def sample(model, state, config: DecodeConfig, recorder: Recorder) -> list[Hypothesis]:
    """Draw ``num_samples`` sequences at once from the filtered distribution, with a seeded generator
    (same seed and config, same samples). Temperature 0 makes every row the greedy output."""
    generator = torch.Generator().manual_seed(config.seed)
    draw = SAMPLERS[config.sampler]

    def choose(filtered_logits: torch.Tensor) -> torch.Tensor:
        return draw(filtered_logits, generator)  # (H,)

    return chain(model, state, config, recorder, rows=config.num_samples, choose=choose)


def chain(model, state, config: DecodeConfig, recorder: Recorder, *, rows: int, choose: Choose,
          forced: list[int] | None = None) -> list[Hypothesis]:
    """Grow ``rows`` sequences; ``forced`` token ids (default: config.prefix) override the first choices.

    An explicit ``forced`` is teacher forcing (score, exact search's re-scoring): its length is fixed, so
    it ignores the time budget; free decoding stops early when the budget runs out."""
    vocab = model.target_vocab
    steps = Steps(config, recorder, lambda: f"with {nodes.numel()} of {rows} sequence(s) unfinished",
                  timed=forced is None)
    forced = prefix_ids(model, config) if forced is None else forced
    settings, argmax, banned = filter_settings(config), argmax_only(config), never_generated(model)
    state = model.reorder(state, torch.zeros(rows, dtype=torch.long))  # N copies of the encoded source
    nodes = torch.full((rows,), recorder.root(vocab.bos_id))  # (H,) node id of each live row
    prev = torch.full((rows,), vocab.bos_id)  # (H,) last token of each live row
    tokens = torch.zeros((rows, 0), dtype=torch.long)  # (H, t) generated so far
    cum = torch.zeros(rows, dtype=torch.float64)  # (H,) raw model log-prob so far
    hypotheses: list[Hypothesis] = []
    for t in steps:
        logits, state, attention = model_step(model, prev, state)
        temperature_logits, filtered_logits = process_step(logits, settings, tokens, banned=banned,
                                                           forced=forced_at(forced, t), argmax=argmax)
        chosen = choose(filtered_logits)  # (H,)
        log_prob = torch.log_softmax(logits, -1).gather(1, chosen[:, None])[:, 0]  # (H,) raw, T=1
        cum = cum + log_prob
        done = chosen == vocab.eos_id
        children = recorder.add_nodes(parents=nodes, tokens=chosen, step=t, log_probs=log_prob,
                                      cum_log_probs=cum, scores=cum,
                                      status=["finished" if d else "kept" for d in done.tolist()])
        recorder.add_step(t=t, node_ids=nodes, logits=logits, temperature_logits=temperature_logits,
                          filtered_logits=filtered_logits, attention=attention, chosen=chosen,
                          candidates=children)
        tokens = torch.cat([tokens, chosen[:, None]], dim=1)
        for i in done.nonzero()[:, 0].tolist():
            hypotheses.append(make_hypothesis(model, tokens[i, :-1].tolist(), log_prob=cum[i], score=cum[i],
                                              node=children[i], finished=True))
        alive = (~done).nonzero()[:, 0]  # (H',)
        if alive.numel() == 0:
            break
        if alive.numel() < done.numel():
            state = model.reorder(state, alive)
        nodes, prev, tokens, cum = children[alive], chosen[alive], tokens[alive], cum[alive]
    else:
        hypotheses += unfinished(model, nodes, tokens, cum)
        steps.note_max_length(f"{nodes.numel()} of {rows} sequence(s) reached max_length={config.max_length} "
                              "without </s>.")
    return rank_hypotheses(hypotheses)


def unfinished(model, nodes: torch.Tensor, tokens: torch.Tensor, cum: torch.Tensor) -> list[Hypothesis]:
    """The live rows as hypotheses cut before </s>: nodes (H,), tokens (H, t), cum (H,)."""
    return [make_hypothesis(model, tokens[i].tolist(), log_prob=cum[i], score=cum[i], node=nodes[i],
                            finished=False) for i in range(nodes.numel())]
