"""The launched app through gradio_client: named endpoints, JSON traces, errors as messages, sessions."""

from __future__ import annotations

import json
import threading

import pytest
from gradio_client import Client
from helpers import CHARS, PHONES, served_client

from playground.decoding.trace import Trace
from playground.ui.explore import charts

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def client():
    yield from served_client(range(7880, 7890))


def test_named_endpoints(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/decode", "/models", "/explore", "/select_hypothesis", "/branch", "/controls",
            "/switch_model", "/pick_example", "/chat_prompt"} <= names
    assert "/select_step" not in names  # the step slider redraws in the page (step_views.js), never the server


def test_decode_returns_the_trace_as_json(client):
    out = client.predict("cab", "g2p-tiny", "beam", beam_width=3, num_return=2, max_length=6,
                         api_name="/decode")
    assert out["model"] == "g2p-tiny" and out["source"] == ["c", "a", "b"]
    trace = Trace.from_dict({k: v for k, v in out.items() if k not in ("model", "returned")})
    assert trace.strategy == "beam" and trace.config["beam_width"] == 3 and len(out["returned"]) == 2
    assert trace.steps[0].log_probs.shape == (1, len(PHONES))


def test_decode_on_the_p2g_model(client):
    out = client.predict("K AE T", "p2g-tiny", "greedy", api_name="/decode")
    assert out["source"] == ["K", "AE", "T"] and out["target_symbols"] == list(CHARS.symbols)


@pytest.mark.parametrize("kwargs, message", [
    (dict(text="c4b"), "unknown symbol"),
    (dict(text="   "), "empty"),
    (dict(text="cab", temperature=-1.0, strategy="sample"), "temperature"),
    (dict(text="cab", strategy="beam", beam_width=2, num_return=3), "num_return"),
    (dict(text="cab", strategy="nucleus"), "strategy must be one of"),
    (dict(text="cab", model="someone/model"), "Hub is off"),
])
def test_bad_requests_get_a_message_not_a_stack_trace(client, kwargs, message):
    with pytest.raises(Exception) as err:
        client.predict(api_name="/decode", **kwargs)
    assert message in str(err.value) and "Traceback" not in str(err.value)


def test_models_endpoint(client):
    assert [m["task"] for m in client.predict(api_name="/models")] == ["g2p", "p2g"]


def test_explore_endpoint_returns_what_the_page_draws(client):
    out = client.predict("cab", "g2p-tiny", strategy="beam", beam_width=4, num_return=3,
                         length_penalty_formula="gnmt", max_length=8, api_name="/explore")
    assert "cab" in out["summary"] and len(out["hypotheses"]) == 3  # beam search returns num_return hypotheses
    assert out["heads"] == [1, 1] and out["layer"] == 0 and out["head"] == -1  # an RNN: one attention
    views = out["views"]  # every chart's figure and every step's views: the page draws them
    assert list(views["figures"]) == charts.names()
    assert all(set(fig) == {"data", "layout"} for fig in views["figures"].values())
    assert views["steps"] == out["steps"] and len(views["distribution"]) == views["steps"]
    assert len(json.dumps(views)) < 300_000
    second = client.predict("cab", "g2p-tiny", strategy="beam", beam_width=4, num_return=3, hypothesis=2, step=2,
                            max_length=8, api_name="/select_hypothesis")
    assert second["hypothesis"] == 2 and second["step"] == 2 and second["summary"] != out["summary"]
    trace = client.predict("cab", "g2p-tiny", strategy="beam", beam_width=4, max_length=8, api_name="/export_trace")
    assert trace["text"] == "cab" and trace["config"]["beam_width"] == 4 and trace["nodes"]
    first = trace["alternatives"][0]  # the best output's tokens, each with its top 5 alternatives
    assert len(first) == len(trace["hypotheses"][0]["tokens"]) + trace["hypotheses"][0]["finished"]
    assert all(len(a["top"]) == 5 and a["rank"] >= 0 and 0 <= a["p"] <= 1 for a in first)


def test_controls_endpoint_hides_what_a_strategy_ignores(client):
    updates = client.predict("greedy", "length", api_name="/controls")
    assert not any(u.get("visible") for u in updates)  # greedy: only max length (always shown) applies
    updates = client.predict("sample", "length", api_name="/controls")
    assert [u.get("visible") for u in updates[:4]] == [True] * 4  # temperature, top-k, top-p, min-p


def test_concurrent_sessions_each_get_their_own_result(client):
    words = ["cab", "bat", "tack", "stab"]
    results: dict[str, list] = {}

    def session(word: str) -> None:
        c = Client(client.src, verbose=False)
        results[word] = [c.predict(word, "g2p-tiny", api_name="/decode")["source"] for _ in range(3)]

    threads = [threading.Thread(target=session, args=(w,)) for w in words]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == {w: [list(w)] * 3 for w in words}


def test_open_view_endpoint_sets_model_input_and_controls(client):
    from playground.ui.common.controls import CONTROL_NAMES as PARAMS
    from playground.ui.common.controls import UiParams
    from playground.ui.explore.share import ShareView, view_string

    s = view_string(ShareView(model="p2g-tiny", text="K AE T", params=UiParams(strategy="beam", beam_width=7)))
    out = client.predict(s, api_name="/open_view")
    assert out[0] == "p2g-tiny" and out[1] == "K AE T"
    assert out[2]["value"] == "" and out[2]["visible"] is False  # the language picker: none for this model
    values = dict(zip(PARAMS, out[3:-1], strict=True))
    assert values["strategy"] == "beam" and values["beam_width"] == 7
    assert json.loads(out[-1]) == {"model": "p2g-tiny", "text": "K AE T", "branch": []}  # no branch, for its input
    branched = ShareView(model="p2g-tiny", text="K AE T", branch=("c", "a"))
    assert json.loads(client.predict(view_string(branched), api_name="/open_view")[-1])["branch"] == ["c", "a"]
    with pytest.raises(Exception, match="not one of p2g-tiny's"):  # a language the view's model does not list
        client.predict(view_string(ShareView(model="p2g-tiny", text="K AE T", language="de_DE")),
                       api_name="/open_view")


@pytest.mark.parametrize("s, message", [("garbage!", "not a view string"), ("", "empty")])
def test_open_view_refuses_a_bad_string_with_a_message(client, s, message):
    with pytest.raises(Exception, match=message):
        client.predict(s, api_name="/open_view")


def test_open_view_refuses_an_unknown_model(client):
    from playground.ui.explore.share import ShareView, view_string

    with pytest.raises(Exception, match="no-such-model"):
        client.predict(view_string(ShareView(model="no-such-model", text="cab")), api_name="/open_view")


def test_branch_endpoint_forces_a_token_and_continues(client):
    """/branch: /explore's inputs plus branch_step and branch_token: the branch's best has the token there, after
    the selected hypothesis's own symbols before it."""
    out = client.predict("cab", model="g2p-tiny", strategy="greedy", max_length=6, api_name="/explore")
    first = out["hypotheses"][0].split(". ", 1)[1].split()  # the best output's symbols
    token = next(s for s in PHONES.content_symbols if s != first[0])
    branched = client.predict("cab", model="g2p-tiny", strategy="greedy", max_length=6, branch_step=1,
                              branch_token=token, api_name="/branch")
    assert branched["branch"] == [token] and branched["hypotheses"][-1].startswith(f"↳ 1. {token}")
    assert branched["step"] == 1 and "Branch at step 1" in branched["summary"]
    with pytest.raises(Exception, match="not a symbol of the model's output vocabulary"):
        client.predict("cab", model="g2p-tiny", branch_step=1, branch_token="XYZ", api_name="/branch")


def test_chat_prompt_on_a_model_without_a_chat_template_says_so(client):
    with pytest.raises(Exception, match="only a Hugging Face decoder-only model with a chat template"):
        client.predict("g2p-tiny", "cat", api_name="/chat_prompt")


def test_export_trace_keeps_to_the_response_bound(client, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_RESPONSE_BYTES", "2000")  # (the server runs in this process)
    with pytest.raises(Exception, match="PLAYGROUND_MAX_RESPONSE_BYTES sets it"):
        client.predict("cab", "g2p-tiny", strategy="beam", beam_width=4, max_length=8, api_name="/export_trace")
