"""The Explore tab's server functions (service.py): one JSON answer per call, errors as data, per-page sessions,
bounded concurrency."""

from __future__ import annotations

import json
import threading

import pytest
from helpers import tiny_model, tiny_transformer

from playground.ui.common.controls import UiParams
from playground.ui.explore.service import ExploreService
from playground.ui.store import ModelStore


def payload(token="page-1", text="cat", **controls) -> dict:
    return {"token": token, "model": "tiny", "text": text, **UiParams(**controls).controls(), "step": 1}


@pytest.fixture
def service():
    return ExploreService(ModelStore({"tiny": tiny_model(), "tf": tiny_transformer(layers=3, heads=2)}),
                          concurrency=2)


def test_an_answer_holds_everything_the_page_draws(service):
    r = json.loads(service.explore(payload(strategy="beam", beam_width=3, num_return=2, max_length=5)))
    assert "<b>cat</b>" in r["summary"] and len(r["hypotheses"]) == 2 and r["hypothesis"] == 0
    assert r["steps"] == r["views"]["steps"] >= 1 and r["step"] == 1 and r["heads"] == [1, 1]
    assert set(r["views"]["figures"]) == {"results", "tokens", "distribution", "attention", "tree", "uncertainty",
                                          "lens"}
    assert r["share"] and r["notes"] == [] and r["warning"] == ""


def test_bad_input_is_an_error_in_the_answer_and_keeps_the_pages_last_decode(service):
    service.explore(payload(text="cat"))
    r = json.loads(service.explore(payload(text="c<4>t")))
    assert r["error"].startswith("Cannot decode: unknown symbol(s)") and set(r) == {"error"}
    assert "<" not in r["error"] and "&lt;" in r["error"]  # escaped: the page shows it in the status line as HTML
    assert json.loads(service.export({"token": "page-1"}))["text"] == "cat"  # the last good decode stays


@pytest.mark.parametrize("bad", [None, [], "text", {"model": "tiny", "text": "cat"}, {"token": "x" * 65}])
def test_malformed_calls_are_refused_with_a_message(service, bad):
    assert json.loads(service.explore(bad))["error"].startswith("Cannot decode:")


def test_a_pick_re_renders_the_pages_own_decode_without_decoding(service, monkeypatch):
    service.explore(payload(token="a", strategy="beam", beam_width=3, num_return=3, max_length=5))
    service.explore(payload(token="b", text="tab"))
    monkeypatch.setattr(service.store, "decode", lambda *a: pytest.fail("a pick must not decode"))
    second = json.loads(service.pick({"token": "a", "hypothesis": 2, "step": 2}))
    assert second["hypothesis"] == 2 and second["step"] == 2 and len(second["hypotheses"]) == 3
    assert "<b>tab</b>" in json.loads(service.pick({"token": "b", "hypothesis": 0}))["summary"]
    assert "expired" in json.loads(service.pick({"token": "never-decoded"}))["error"]


def test_a_transformer_answer_offers_its_layers_and_heads_and_keeps_the_pick(service):
    r = json.loads(service.explore({**payload(max_length=4), "model": "tf", "layer": 0, "head": 1}))
    assert r["heads"] == [3, 2] and r["layer"] == 0 and r["head"] == 1
    assert "layer 1 of 3, head 2 of 2" in r["views"]["figures"]["attention"]["layout"]["title"]["text"]
    default = json.loads(service.pick({"token": "page-1", "layer": 99, "head": -1}))  # out of range: the last
    assert default["layer"] == 2 and default["head"] == -1


def test_repaired_values_and_a_time_budget_cut_are_said(service, monkeypatch):
    import functools

    from playground.ui.explore import service as module

    r = json.loads(service.explore(payload(strategy="beam", beam_width=2, num_return=5, max_length=4)))
    assert r["notes"] == ["showing 2 hypotheses: a search cannot return more than its beam width"]
    assert r["warning"] == ""
    monkeypatch.setattr(module, "UiParams", functools.partial(UiParams, time_budget_s=1e-9))  # a slow server
    cut = json.loads(service.explore(payload(strategy="beam", beam_width=4, max_length=40)))
    assert "time budget" in cut["warning"] and "time budget" in cut["summary"]


def test_no_free_slot_within_the_wait_is_a_busy_message(service):
    service.wait_s = 0.01
    for _ in range(2):
        service.slots.acquire()  # two slow decodes elsewhere hold both slots
    assert "busy" in json.loads(service.explore(payload()))["error"]


def test_an_unexpected_failure_is_a_generic_message_not_a_traceback(service, monkeypatch):
    monkeypatch.setattr(service.store, "decode", lambda *a: 1 / 0)
    assert json.loads(service.explore(payload()))["error"] == (
        "Decoding failed unexpectedly; the server log has the details.")


def test_concurrent_pages_each_keep_their_own_decode(service):
    words = ["cab", "bat", "tack", "stab", "cast", "bast"]
    threads = [threading.Thread(target=service.explore, args=(payload(token=w, text=w),)) for w in words]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [json.loads(service.export({"token": w}))["text"] for w in words] == words


def test_a_target_language_is_forced_as_the_first_output_token(service):
    # a multilingual model's language is a token of its target vocabulary; any token shows the mechanism
    for strategy in ("greedy", "beam"):
        r = json.loads(service.explore({**payload(strategy=strategy, beam_width=3, num_return=3), "language": "K"}))
        assert r["hypotheses"] and all(label.split(". ", 1)[1].startswith("K") for label in r["hypotheses"])
    unknown = json.loads(service.explore({**payload(), "language": "xx_XX"}))
    assert "xx_XX" in unknown["error"]  # not a token of this model: said, not crashed
    assert json.loads(service.explore({**payload(), "language": ""}))["hypotheses"]  # "" = the model's choice
