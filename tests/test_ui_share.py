"""View strings: round trips, short links, and a clear ValueError for anything that is not one."""

from __future__ import annotations

import base64
import json

import pytest

from playground.ui.common.controls import UiParams
from playground.ui.explore.share import MAX_CHARS, ShareView, parse_view, view_string


def encode(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_round_trip_keeps_input_model_strategy_parameters_and_seed():
    view = ShareView(model="p2g-luong", text="K ER N AH L",
                     params=UiParams(strategy="sample", temperature=1.5, top_p=0.9, num_return=7, seed=42))
    s = view_string(view)
    assert parse_view(s) == view
    assert set(s) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")  # URL-safe


def test_only_non_default_parameters_are_stored():
    payload = json.loads(base64.urlsafe_b64decode(view_string(
        ShareView(model="g2p", text="cat", params=UiParams(beam_width=9))) + "=="))
    assert payload == {"v": 1, "m": "g2p", "t": "cat", "p": {"beam_width": 9}}
    assert parse_view(encode({"v": 1, "m": "g2p", "t": "cat"})).params == UiParams()


def test_a_target_language_is_kept_only_when_one_was_chosen():
    view = ShareView(model="nllb", text="The house.", language="deu_Latn")
    payload = json.loads(base64.urlsafe_b64decode(view_string(view) + "=="))
    assert payload["l"] == "deu_Latn" and parse_view(view_string(view)) == view
    assert "l" not in json.loads(base64.urlsafe_b64decode(view_string(ShareView(model="g2p", text="cat")) + "=="))
    assert parse_view(encode({"v": 1, "m": "g2p", "t": "cat"})).language == ""  # links made before it


def test_unicode_input_survives():
    view = ShareView(model="g2p", text="naïve")
    assert parse_view(view_string(view)).text == "naïve"


@pytest.mark.parametrize("bad, message", [
    ("", "empty"),
    ("   ", "empty"),
    ("not a view!", "not a view string"),
    (encode([1, 2]), "unsupported"),
    (encode({"v": 2, "m": "g2p", "t": "cat"}), "version 2"),
    (encode({"v": 1, "m": "g2p", "t": "cat", "p": {"beam": 3}}), "unknown parameter"),
    (encode({"v": 1, "m": "g2p", "t": "cat", "p": [3]}), "not a mapping"),
    (encode({"v": 1, "m": "g2p", "t": "cat", "p": {"time_budget_s": 60}}), "unknown parameter"),
    (encode({"v": 1, "m": "g2p", "t": "cat", "p": {"beam_width": 99}}), "beam_width"),
    (encode({"v": 1, "m": "g2p", "t": "cat", "p": {"strategy": "magic"}}), "strategy"),
    (encode({"v": 1, "m": 3, "t": "cat"}), "model must be a string"),
    (encode({"v": 1, "m": "g2p", "t": "x" * 201}), "at most 200"),
    (encode({"v": 1, "m": "g2p", "t": "cat", "l": 7}), "language must be a string"),
    (encode({"v": 1, "m": "g2p", "t": "cat", "l": "x" * 65}), "at most 64"),
    ("A" * (MAX_CHARS + 1), "at most"),
])
def test_bad_strings_raise_a_clear_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_view(bad)


def test_the_server_time_budget_is_never_shared():
    s = view_string(ShareView(model="g2p", text="cat", params=UiParams(time_budget_s=1.0)))
    assert parse_view(s).params.time_budget_s == UiParams().time_budget_s
