"""The page's events as Gradio's config describes them (ui/wiring.py, explore/events.py): no browser needed."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from helpers import tiny_store


@pytest.fixture(scope="module")
def config():
    from playground.ui import build_demo

    return build_demo(tiny_store()).get_config_file()


def test_no_trigger_has_two_python_listeners_that_defer(config):
    """Gradio's page, when a deferred ``always_last`` event ends, dispatches its trigger again to every listener
    of it: two such listeners on one trigger would re-run each other forever (wiring.follow_input)."""
    deferring = Counter((target, event) for d in config["dependencies"]
                        if d["backend_fn"] and d["trigger_mode"] == "always_last"
                        for target, event in d["targets"] if event != "then")  # (a .then runs by its own id)
    assert deferring and max(deferring.values()) == 1, [k for k, n in deferring.items() if n > 1]


def test_the_tabs_that_follow_the_input_hear_of_every_change_to_it(config):
    """Compare and Sample follow the text, the target language and (after the switch) the model."""
    ids = {c["props"].get("elem_id"): c["id"] for c in config["components"] if c["props"].get("elem_id")}
    deps = {d["id"]: d for d in config["dependencies"]}

    def chain(dep):  # a dependency and every .then after it
        after = [d for d in config["dependencies"] if d["trigger_after"] == dep["id"]]
        return [dep] + [x for d in after for x in chain(d)]

    def followers(target: str, event: str) -> set:
        starts = [d for d in deps.values() if [ids[target], event] in [list(t) for t in d["targets"]]]
        names = {re.sub(r"_\d+$", "", d["api_name"] or "") for s in starts for d in chain(s)}  # (gradio numbers
        return {n for n in names if n.endswith("on_change")}  # a second event of one function's name)

    for target in ("text", "target-language", "model"):
        assert followers(target, "change") == {"compare_on_change", "sample_on_change"}, target


def test_picking_a_strategy_shows_its_controls_and_moves_those_it_starts_elsewhere():
    from playground.ui.common.controls import UiParams
    from playground.ui.explore.events import TOGGLED, strategy_controls

    start = UiParams().controls()
    out = dict(zip(TOGGLED, strategy_controls("contrastive", "length", *[start[n] for n in TOGGLED]), strict=True))
    assert out["top_k"]["visible"] and out["top_k"]["value"] == 4  # contrastive search starts at k = 4
    assert out["penalty_alpha"]["visible"] and "value" not in out["penalty_alpha"]
    assert not out["temperature"]["visible"] and not out["beam_width"]["visible"]
    moved_by_hand = {**start, "top_k": 7}
    out = dict(zip(TOGGLED, strategy_controls("contrastive", "length", *[moved_by_hand[n] for n in TOGGLED]),
                   strict=True))
    assert "value" not in out["top_k"]  # a value someone chose stays
