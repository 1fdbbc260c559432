"""Branch from any token: force a token at some step and let the same strategy continue, drawn into the original
tree (the most requested interaction of token-probability tools: llama.cpp's UI, SillyTavern's "continue from
here", Seq2Seq-Vis's what-if edits).

    prefix = branch_prefix(trace, hypothesis, step=3, token="AH")   # its first 2 symbols, then AH
    merged = run_branch(model, "colonel", config, trace, prefix)

A branch is a prefix of forced symbols (the path to a node of the original tree, then the branch token): it
decodes with ``DecodeConfig.prefix`` set to it, so every strategy continues as it would after those symbols
(teacher-forced through the prefix, then free). The merged trace is the original plus the branch: the branch's
nodes past the prefix's shared part hang from the original node they leave from (the forced edge first), its
steps are recorded for its own nodes only, and its outputs follow the original's (``Trace.branch``). Forcing
</s> ends the output there: its log-probability is the model's (teacher forcing at T = 1).
"""

from __future__ import annotations

import dataclasses

from playground.decoding.api import decode, score
from playground.decoding.registry import STRATEGIES
from playground.decoding.trace import Branch, Hypothesis, Step, Trace
from playground.models.vocab import EOS, InputError


def branch_prefix(trace: Trace, hypothesis: Hypothesis, step, token) -> list[str]:
    """The forced symbols of a branch at output position ``step`` (1-based) of ``hypothesis``: its own symbols
    before it, then ``token``. InputError for a step past the hypothesis, a token outside the target vocabulary or
    one the filters removed under sampling (sampling could never take it)."""
    path = trace.path(hypothesis.node)[1:]  # its nodes, </s> included when finished
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= len(path):
        raise InputError(f"branch_step must be an output position of the hypothesis, 1 to {len(path)}; got {step!r}")
    if not isinstance(token, str) or token not in trace.target_symbols:
        raise InputError(f"branch_token {str(token)[:40]!r} is not a symbol of the model's output vocabulary")
    parent = trace.nodes[path[step - 1]].parent
    check_allowed(trace, parent, trace.target_symbols.index(token), token)
    return [*hypothesis.tokens[:step - 1], token]


def node_prefix(trace: Trace, node_id) -> list[str]:
    """The forced symbols of a branch that continues from a node of the tree: the path to it ("what if the search
    had kept this candidate?")."""
    if isinstance(node_id, bool) or not isinstance(node_id, int) or not 0 < node_id < len(trace.nodes):
        raise InputError(f"node must be a node of the tree, 1 to {len(trace.nodes) - 1}; got {node_id!r}")
    return [trace.target_symbols[trace.nodes[i].token] for i in trace.path(node_id)[1:]]


def check_allowed(trace: Trace, parent: int, token: int, symbol: str) -> None:
    """Under sampling, a token the filters removed at that step could never be drawn: refuse to force it."""
    spec, where = STRATEGIES.get(trace.strategy), trace.step_row(parent)
    if spec is None or not spec.samples or where is None:
        return
    step = trace.steps[where[0]]
    column = step.column(where[1], token)
    if column is not None and step.probs_filtered[where[1], column] == 0:
        raise InputError(f"the filters removed {symbol!r} at that step (its probability after top-k/top-p/min-p "
                         "is 0), so sampling could never take it; pick a token they kept")


def run_branch(model, text: str, config, original: Trace, prefix: list[str], *, decode_with=None) -> Trace:
    """``original`` with the branch that forces ``prefix`` drawn into it (module docstring). ``config``: the one
    ``original`` was decoded with; ``decode_with(config) -> DecodeResult`` decodes ``text`` (default: the engine's
    decode; the page's model store passes its cached one)."""
    if not prefix:
        raise InputError("a branch forces at least one symbol")
    if prefix[-1] == EOS:  # ending here: the prefix scored to </s>, teacher-forced
        branched, shown = score(model, text, prefix[:-1]).trace, 1
    else:
        if len(prefix) >= config.max_length:
            raise InputError(f"the branch forces {len(prefix)} symbols: raise max length above {len(prefix)} "
                             "to let the search continue after them")
        config = dataclasses.replace(config, prefix=tuple(prefix))
        result = decode(model, text, config) if decode_with is None else decode_with(config)
        branched, shown = result.trace, len(result.hypotheses)
    return merge(original, branched, prefix, shown)


def merge(original: Trace, branched: Trace, prefix: list[str], shown: int) -> Trace:
    """``original`` with ``branched``'s nodes past the shared part of ``prefix`` (the deepest original node along
    it) appended, their steps and hypotheses with them."""
    parent, depth = shared_node(original, prefix)
    ids: dict[int, int] = {}
    nodes = list(original.nodes)
    for n in branched.nodes:
        level = n.step + 1  # the root's depth is 0
        if level <= depth:  # on the forced path the original already holds
            ids[n.id] = original.path(parent)[level]
            continue
        ids[n.id] = len(nodes)
        nodes.append(dataclasses.replace(n, id=len(nodes), parent=ids[n.parent]))
    # a step t expands the nodes at depth t: those up to the shared node are the original's own rows
    steps = [remap_step(s, ids) for s in branched.steps if s.t > depth]
    hypotheses = [dataclasses.replace(h, node=ids[h.node]) for h in branched.hypotheses]
    branch = Branch(prefix=list(prefix), parent=parent, node=len(original.nodes), first=len(original.hypotheses),
                    shown=shown, steps_from=len(original.steps))
    note = f"Branch: {branched.message}" if branched.message else ""
    return dataclasses.replace(original, nodes=nodes, steps=[*original.steps, *steps],
                               hypotheses=[*original.hypotheses, *hypotheses], branch=branch,
                               message=" ".join(m for m in (original.message, note) if m))


def shared_node(trace: Trace, prefix: list[str]) -> tuple[int, int]:
    """(node, depth): the deepest node of ``trace`` whose path spells the start of ``prefix`` (not the whole of
    it: the branch token's node is the branch's own), the root (0, 0) at least."""
    node, children = 0, {}
    for n in trace.nodes[1:]:
        children.setdefault((n.parent, trace.target_symbols[n.token]), n.id)
    for depth, symbol in enumerate(prefix[:-1]):
        child = children.get((node, symbol))
        if child is None:
            return node, depth
        node = child
    return node, len(prefix) - 1


def remap_step(step: Step, ids: dict[int, int]) -> Step:
    return dataclasses.replace(step, node_ids=[ids[i] for i in step.node_ids],
                               candidates=[ids[i] for i in step.candidates if i in ids])
