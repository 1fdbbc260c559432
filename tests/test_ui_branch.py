"""Branching in Explore (service.py, handlers.py, share.py): a click's branch drawn beside the original, kept
across later decodes and in the share string until cleared."""

from __future__ import annotations

import json

import pytest
from decoding_cases import BRANCHING
from helpers import tiny_model

from playground.ui.common.controls import UiParams
from playground.ui.explore.service import ExploreService
from playground.ui.explore.share import parse_view
from playground.ui.store import ModelStore


def payload(token="page", **controls) -> dict:
    return {"token": token, "model": "s", "text": "x", **UiParams(**controls).controls(), "step": 1}


@pytest.fixture
def service():
    return ExploreService(ModelStore({"s": BRANCHING, "tiny": tiny_model()}),
                          concurrency=1)


def test_a_bar_click_draws_the_branch_beside_the_original(service):
    service.explore(payload(strategy="greedy", max_length=5))
    r = json.loads(service.branch({"token": "page", "hypothesis": 0, "step": 1, "branch_token": 4}))  # b
    assert r["branch"] == ["b"] and r["hypotheses"] == ["1. ac", "↳ 1. bb"] and r["hypothesis"] == 1
    assert r["step"] == 1 and "Branch at step 1: b forced" in r["summary"] and "where the search took a" in r["summary"]
    results = r["views"]["figures"]["results"]
    assert results["data"][0]["marker"]["color"][1] != results["data"][0]["marker"]["color"][0]
    assert any(d.get("name") == "branch (forced token)" for d in r["views"]["figures"]["tree"]["data"])
    assert parse_view(r["share"]).branch == ("b",)


def test_the_branch_stays_across_settings_until_cleared(service):
    service.explore(payload(strategy="greedy", max_length=5))
    r = json.loads(service.explore({**payload(strategy="beam", beam_width=2, num_return=2, max_length=5),
                                     "branch": ["b"]}))
    first = next(i for i, h in enumerate(r["hypotheses"]) if h.startswith("↳"))
    assert r["branch"] == ["b"] and r["hypothesis"] == first == 2  # the views follow the branch's best
    cleared = json.loads(service.branch({"token": "page", "clear": True}))
    assert cleared["branch"] == [] and not any(h.startswith("↳") for h in cleared["hypotheses"])
    assert "Branch" not in cleared["summary"]


def test_a_tree_node_continues_from_where_it_is(service):
    service.explore(payload(strategy="beam", beam_width=2, num_return=1, max_length=5))
    trace = json.loads(service.export({"token": "page"}))
    pruned = next(n for n in trace["nodes"][1:] if n["status"] == "pruned")
    r = json.loads(service.branch({"token": "page", "node": pruned["id"]}))
    assert len(r["branch"]) == pruned["step"] + 1 and r["hypotheses"][-1].startswith("↳")


@pytest.mark.parametrize("change, message", [
    ({"branch_token": 999}, "not a symbol"),
    ({"step": 9}, "branch_step must be an output position"),
    ({"node": 10_000}, "node must be a node of the tree"),
])
def test_an_impossible_branch_gets_a_message(service, change, message):
    service.explore(payload(strategy="greedy", max_length=5))
    request = {"token": "page", "hypothesis": 0, "step": 1, "branch_token": 4, **change}
    if "node" in change:
        request = {"token": "page", **change}
    r = json.loads(service.branch(request))
    assert message in r["error"]


def test_a_branch_from_a_share_string_is_drawn_again(service):
    r = json.loads(service.explore({**payload(strategy="greedy", max_length=5), "branch": ["a", "b"]}))
    assert r["branch"] == ["a", "b"] and r["hypotheses"][-1] == "↳ 1. ab"
    bad = json.loads(service.explore({**payload(strategy="greedy", max_length=5), "branch": "ab"}))
    assert "a branch is a list" in bad["error"]


def test_export_carries_the_branch(service):
    service.explore(payload(strategy="greedy", max_length=5))
    service.branch({"token": "page", "hypothesis": 0, "step": 2, "branch_token": 4})  # a, then b
    exported = json.loads(service.export({"token": "page"}))
    assert exported["branch"]["prefix"] == ["a", "b"] and exported["hypotheses"][-1]["tokens"] == ["a", "b"]
