"""The attention view of a decoder-only model: output steps x the context (the prompt, then what was fed after
it), the columns a step could not see yet left blank (the causal mask), a line where the prompt ends."""

import math

import pytest
from causal import causal_model
from helpers import tiny_decoder_only

from playground import DecodeConfig, decode
from playground.ui.explore.attention import attention_spec
from playground.ui.explore.selection import Selection
from playground.views import figures


def heatmap_of(trace, t=0):
    sel = Selection.of(trace)
    (heatmap,), layout = attention_spec(sel, t)
    return sel, heatmap, layout


def test_our_decoder_only_model_shows_the_prompt_then_s_then_its_outputs():
    trace = decode(tiny_decoder_only(), "cab", DecodeConfig(max_length=5)).trace
    sel, heatmap, layout = heatmap_of(trace, t=1)
    tokens = sel.hypothesis.tokens
    assert heatmap["x"][:4] == ["c", "a", "b", "&lt;s&gt;"] and len(heatmap["x"]) == 3 + len(sel.path)
    assert [x.replace("\u200b", "") for x in heatmap["x"][4:]] == tokens[:len(sel.path) - 1]  # (unique_labels)
    for j, row in enumerate(heatmap["z"]):  # row j sees the 3 letters, <s> and the j outputs before it
        assert not any(math.isnan(v) for v in row[:4 + j]) and all(math.isnan(v) for v in row[4 + j:])
        assert sum(row[:4 + j]) == pytest.approx(1.0, abs=1e-5)
    line = [s for s in layout["shapes"] if s["type"] == "line"]
    assert line and line[0]["x0"] == pytest.approx(2.5)  # between b and <s>
    assert "Self-attention" in layout["title"]["text"]


def test_a_hugging_face_causal_model_has_no_start_token_column():
    model = causal_model("gpt2", eos_bias=-20.0)  # (no </s>: four outputs)
    trace = decode(model, "the cat sat", DecodeConfig(max_length=4)).trace
    sel, heatmap, _ = heatmap_of(trace)
    assert heatmap["x"][:3] == trace.source and len(heatmap["x"]) == len(trace.source) + len(sel.path) - 1
    assert all(math.isnan(v) for v in heatmap["z"][0][len(trace.source):])  # the prompt's last position: prompt


def test_the_notebook_views_draw_it_too():
    trace = decode(tiny_decoder_only(), "cab", DecodeConfig(strategy="beam", beam_width=3, max_length=5)).trace
    figs = figures(trace, step=2)
    assert figs["attention"].data[0].x[3] == "&lt;s&gt;"
