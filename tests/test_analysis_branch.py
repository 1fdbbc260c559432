"""Branching from a token (analysis/branch.py) on a scripted model with hand-computed answers."""

import math

import pytest
from decoding_cases import BRANCHING
from helpers import check_invariants, tiny_decoder_only

from playground.analysis.branch import branch_prefix, node_prefix, run_branch
from playground.decoding import DecodeConfig, decode
from playground.decoding.trace import Trace
from playground.models.vocab import InputError
from playground.ui.explore.selection import Selection


def greedy(**kw):
    config = DecodeConfig(strategy="greedy", max_length=5, **kw)
    return config, decode(BRANCHING, "x", config).trace


def test_a_branch_forces_its_token_and_greedy_continues_from_it():
    config, trace = greedy()
    original = trace.hypotheses[0]
    assert original.tokens == ["a", "c"]
    prefix = branch_prefix(trace, original, 1, "b")  # step 1: b instead of a
    assert prefix == ["b"]
    merged = run_branch(BRANCHING, "x", config, trace, prefix)
    b = merged.branch
    assert b.parent == 0 and b.node == len(trace.nodes) and b.first == len(trace.hypotheses) and b.shown == 1
    branch = merged.hypotheses[b.first]
    assert branch.tokens == ["b", "b"] and branch.log_prob == pytest.approx(math.log(0.3 * 0.8 * 1.0), abs=1e-6)
    assert merged.nodes[b.node].parent == 0 and merged.target_symbols[merged.nodes[b.node].token] == "b"
    assert merged.nodes[:len(trace.nodes)] == trace.nodes and merged.steps[:b.steps_from] == trace.steps
    assert [h.tokens for h in Selection.of(merged).shown] == [["a", "c"], ["b", "b"]]
    assert Selection.of(merged).branch_from == 1
    check_invariants(merged, config)
    assert Trace.from_dict(merged.to_dict()) == merged


def test_a_later_branch_shares_the_original_path_up_to_it():
    config, trace = greedy()
    merged = run_branch(BRANCHING, "x", config, trace, branch_prefix(trace, trace.hypotheses[0], 2, "b"))
    b = merged.branch
    assert b.prefix == ["a", "b"] and b.parent == trace.path(trace.hypotheses[0].node)[1]  # the a node
    assert merged.hypotheses[b.first].tokens == ["a", "b"]
    # only the branch's own nodes were expanded anew: the a node keeps its one row (the original's)
    assert sum(n == b.parent for s in merged.steps for n in s.node_ids) == 1
    assert merged.step_row(b.parent) == trace.step_row(b.parent)


def test_forcing_the_end_scores_the_output_ending_there():
    config, trace = greedy()
    merged = run_branch(BRANCHING, "x", config, trace, branch_prefix(trace, trace.hypotheses[0], 2, "</s>"))
    ending = merged.hypotheses[merged.branch.first]
    assert ending.tokens == ["a"] and ending.finished
    assert ending.log_prob == pytest.approx(math.log(0.6 * 0.1), abs=1e-6)


def test_beam_search_continues_after_the_forced_token():
    config = DecodeConfig(strategy="beam", beam_width=2, num_return=2, max_length=5, length_penalty_formula="none")
    trace = decode(BRANCHING, "x", config).trace
    merged = run_branch(BRANCHING, "x", config, trace, ["c"])
    outputs = merged.hypotheses[merged.branch.first:]
    assert outputs and all(h.tokens[0] == "c" for h in outputs) and merged.branch.shown == len(outputs) == 1
    check_invariants(merged, config)


def test_a_tree_node_gives_its_path_as_the_branch():
    config = DecodeConfig(strategy="beam", beam_width=2, max_length=5)
    trace = decode(BRANCHING, "x", config).trace
    pruned = next(n for n in trace.nodes[1:] if n.status == "pruned")
    prefix = node_prefix(trace, pruned.id)
    assert prefix[-1] == trace.target_symbols[pruned.token] and len(prefix) == pruned.step + 1
    merged = run_branch(BRANCHING, "x", config, trace, prefix)
    assert merged.nodes[merged.branch.node].parent == pruned.parent


@pytest.mark.parametrize("step, token, message", [
    (4, "b", "branch_step must be an output position"),  # "a c </s>" has 3
    (0, "b", "branch_step must be"),
    (1, "z", "not a symbol of the model's output vocabulary"),
    (1, 7, "not a symbol"),
])
def test_an_impossible_branch_is_refused_with_a_message(step, token, message):
    _, trace = greedy()
    with pytest.raises(InputError, match=message):
        branch_prefix(trace, trace.hypotheses[0], step, token)


def test_a_token_the_filters_removed_cannot_be_sampled():
    config = DecodeConfig(strategy="sample", top_k=1, max_length=5)
    trace = decode(BRANCHING, "x", config).trace
    with pytest.raises(InputError, match="the filters removed 'b'"):
        branch_prefix(trace, trace.hypotheses[0], 1, "b")


def test_a_branch_must_leave_room_to_continue():
    config = DecodeConfig(strategy="greedy", max_length=2)
    trace = decode(BRANCHING, "x", config).trace
    with pytest.raises(InputError, match="raise max length"):
        run_branch(BRANCHING, "x", config, trace, ["a", "b"])


def test_a_decoder_only_branch_keeps_its_context_attention():
    model = tiny_decoder_only()
    config = DecodeConfig(strategy="greedy", max_length=5)
    trace = decode(model, "cab", config).trace
    token = next(s for s in trace.target_symbols[3:] if s != trace.hypotheses[0].tokens[0])
    merged = run_branch(model, "cab", config, trace, [token])
    sel = Selection.of(merged, merged.branch.first)
    assert sel.hypothesis.tokens[0] == token and merged.context_keys(sel.hypothesis.node)[:4] == ["c", "a", "b", "<s>"]
