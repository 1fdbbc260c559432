"""The five views as pure functions: Trace -> plotly Figure, checked headless (no server)."""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest
from helpers import tiny_model, trace_of

from playground.decoding.config import STRATEGIES
from playground.ui.explore.attention import attention_figure
from playground.ui.explore.distribution import distribution_figure
from playground.ui.explore.results import results_figure
from playground.ui.explore.selection import Selection
from playground.ui.explore.tree import euler_tour, tree_figure, tree_layout
from playground.ui.explore.uncertainty import uncertainty_figure
from playground.views import figures


def strings(obj):
    """Every string inside a figure's JSON-ready dict (labels, hover text, titles...)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from strings(v)


def axis_titles(fig: go.Figure) -> dict[str, str]:
    layout = fig.to_plotly_json()["layout"]
    return {k: v.get("title", {}).get("text", "") for k, v in layout.items()
            if k.startswith(("xaxis", "yaxis")) and v.get("visible", True)}


def test_results_show_raw_log_prob_and_normalised_score():
    trace = trace_of(strategy="beam", beam_width=3, num_return=3, length_penalty=1.0)
    fig = results_figure(Selection.of(trace, 1))
    log_p, score = fig.data
    assert np.allclose(log_p.x, [h.log_prob for h in trace.hypotheses])
    assert np.allclose(score.x, [h.score for h in trace.hypotheses])
    assert "score" in score.name and "log p" in log_p.name
    labels = fig.layout.yaxis.ticktext
    assert labels[0].startswith("1. K ER N AH L  /kɚnəl/")
    assert labels[1].startswith("<b>2.")  # the selected hypothesis is bold ...
    assert fig.layout.shapes[0].y0 == 0.5  # ... and has a band behind it


def test_results_use_one_bar_when_score_is_log_prob():
    fig = results_figure(Selection.of(trace_of(strategy="greedy")))
    assert len(fig.data) == 1
    assert math.isclose(fig.data[0].x[0], math.log(0.9 * 0.6 * 0.8 * 0.7 * 0.9), rel_tol=1e-5)


def test_distribution_greedy_highlights_the_chosen_token():
    trace = trace_of(strategy="greedy")
    fig = distribution_figure(Selection.of(trace), t=1)  # after K: ER 0.6, OW 0.4
    assert len(fig.data) == 1  # greedy does not filter: one series, no cut-off
    assert list(fig.layout.xaxis.ticktext[:2]) == ["<b>ER</b>", "OW"]
    assert np.allclose(fig.data[0].y[:2], [0.6, 0.4], atol=1e-6)
    assert "Step 2" in fig.layout.title.text and "entropy 0.67" in fig.layout.title.text  # H(.6,.4)
    assert any(a.text == "chosen" and a.x == 0 for a in fig.layout.annotations)


def test_distribution_sampling_shows_three_stages_and_the_cut_off():
    trace = trace_of(tiny_model(), "cat", strategy="sample", temperature=2.0, top_k=3, seed=1)
    fig = distribution_figure(Selection.of(trace), t=0)
    assert [d.name for d in fig.data] == ["model, T=1", "after temperature", "after filtering"]
    temp, filtered = np.asarray(fig.data[1].y), np.asarray(fig.data[2].y)
    kept = np.flatnonzero(filtered)  # the untrained model ranks <s> high; the engine never allows it
    assert len(kept) == 3 and math.isclose(filtered.sum(), 1, rel_tol=1e-5)
    assert (filtered[kept[-1] + 1:] == 0).all() and (temp[: kept[0]] == 0).all()
    assert [s.x0 for s in fig.layout.shapes if s.type == "line"] == [kept[-1] + 0.5]  # dashed line after them
    assert "kept 3 of" in fig.layout.title.text and "→" in fig.layout.title.text  # entropy before → after
    assert any("cut-off: 3 kept" in a.text for a in fig.layout.annotations)


def test_attention_keeps_repeated_source_symbols_apart_and_marks_the_step():
    trace = trace_of(strategy="greedy")
    fig = attention_figure(Selection.of(trace), t=2)
    z = np.asarray(fig.data[0].z)
    assert z.shape == (6, 7)  # K ER N AH L </s>  x  c o l o n e l (two o's, two l's: seven columns)
    assert len(set(fig.data[0].x)) == 7
    assert np.allclose(z, np.eye(6, 7))  # the scripted model attends monotonically
    rect = [s for s in fig.layout.shapes if s.type == "rect"][0]
    assert (rect.y0, rect.y1) == (1.5, 2.5)
    assert fig.data[0].y[-1] == "6·&lt;/s&gt;"


def test_attention_follows_the_selected_hypothesis():
    trace = trace_of(strategy="beam", beam_width=3, num_return=3)
    lengths = [Selection.of(trace, i).steps for i in range(3)]
    assert [np.asarray(attention_figure(Selection.of(trace, i)).data[0].z).shape[0] for i in range(3)] == lengths


def test_tree_styles_statuses_and_highlights_the_selected_path():
    trace = trace_of(strategy="beam", beam_width=2, num_return=2)
    fig = tree_figure(Selection.of(trace), t=2)
    by_name = {d.name: d for d in fig.data if d.name}
    assert {"kept (expanded)", "pruned", "finished (&lt;/s&gt;)", "selected hypothesis"} <= set(by_name)
    statuses = ("kept (expanded)", "pruned", "finished (&lt;/s&gt;)")
    assert len({by_name[n].marker.symbol for n in statuses}) == 3
    path = trace.path(trace.hypotheses[0].node)
    assert len(by_name["selected hypothesis"].x) == len(path)
    assert "score" in by_name["pruned"].hovertemplate and "cumulative" in by_name["pruned"].hovertemplate
    band = [s for s in fig.layout.shapes if s.type == "rect"][0]
    assert band.x0 < 2 < band.x1


def test_tree_layout_never_crosses_edges_and_stays_readable_at_width_8_over_20_steps():
    trace = trace_of(tiny_model(), "worcestershire", strategy="beam", beam_width=8, max_length=20)
    assert max(n.step for n in trace.nodes) == 19  # an untrained model runs all 20 steps
    pos = tree_layout(trace.nodes)
    edges = [(pos[n.parent], pos[n.id]) for n in trace.nodes[1:]]
    for (p1, c1) in edges:
        for (p2, c2) in edges:
            if c1[0] == c2[0] and p1[1] < p2[1]:
                assert c1[1] < c2[1], "edges between the same steps must not cross"
    assert max(y for _, y in pos.values()) < 16  # at most 2 x width candidates per step
    fig = tree_figure(Selection.of(trace), 5)
    assert fig.layout.height <= 600 and len(fig.to_json()) < 60_000


def test_euler_tour_walks_every_edge_down_and_up():
    trace = trace_of(strategy="beam", beam_width=2)
    ids = {n.id for n in trace.nodes}
    tour = euler_tour(trace.nodes, ids)
    assert tour[0] == tour[-1] == 0 and len(tour) == 2 * (len(ids) - 1) + 1
    steps = {tuple(sorted(pair)) for pair in zip(tour, tour[1:], strict=False)}
    assert steps == {tuple(sorted((n.parent, n.id))) for n in trace.nodes[1:]}


def test_uncertainty_follows_the_path_and_marks_the_step():
    trace = trace_of(strategy="greedy")
    fig = uncertainty_figure(Selection.of(trace), t=3)
    p1 = fig.data[0]
    assert np.allclose(p1.y, [0.9, 0.6, 0.8, 0.7, 0.9, 1.0], atol=1e-6)
    assert {s.x0 for s in fig.layout.shapes} == {2.5}  # one band per subplot
    assert {"p(chosen)", "entropy (nats)", "kept"} <= set(axis_titles(fig).values())


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_view_renders_for_every_strategy_with_titles_and_escaped_labels(strategy):
    extra = {"num_groups": 2, "diversity_penalty": 0.5} if strategy == "diverse_beam" else {}
    num_return = 1 if strategy in ("greedy", "exact") else 2
    trace = trace_of(tiny_model(), "lead", strategy=strategy, beam_width=4, num_samples=2,
                     num_return=num_return, max_length=8, **extra)
    for fig in figures(trace, hypothesis=0, step=3).values():
        assert isinstance(fig, go.Figure) and fig.layout.title.text
        titles = axis_titles(fig)
        assert all(titles[k] for k in titles if k.startswith("yaxis") and fig.layout[k].visible is not False)
        assert any(titles[k] for k in titles if k.startswith("xaxis")) or fig.layout.xaxis.visible is False
        text = " ".join(strings(fig.to_plotly_json()))
        for raw in ("<s>", "</s>", "<pad>"):
            assert raw not in text, f"{raw} reaches plotly unescaped (it would be read as HTML)"


def test_chart_payloads_stay_under_75_kb_and_130_kb_for_the_widest_longest_search():
    # seven charts; the token strip's cells carry their alternatives (~200 bytes each, at most 6 x 32 of them)
    word = "worcestershire"
    trace = trace_of(tiny_model(), word, strategy="beam", beam_width=8, max_length=20, num_return=8)
    assert sum(len(f.to_json()) for f in figures(trace, 0, 6).values()) < 75_000  # a typical wide update
    trace = trace_of(tiny_model(), word, strategy="beam", beam_width=16, max_length=64, num_return=16)
    sizes = [len(f.to_json()) for f in figures(trace, 0, 6).values()]
    assert max(sizes) < 60_000 and sum(sizes) < 130_000, sizes
    assert "pruned not drawn" in tree_figure(Selection.of(trace)).layout.title.text


def test_the_views_json_a_decode_sends_stays_bounded():
    # what the page receives per decode: the seven figures plus every step's distribution (~3 KB a step)
    from playground.ui.explore.handlers import Session, render_views

    word = "worcestershire"
    trace = trace_of(tiny_model(), word, strategy="beam", beam_width=8, max_length=20, num_return=8)
    assert len(render_views(Session(trace=trace), 0, 5).step_views) < 130_000  # 20 steps
    trace = trace_of(tiny_model(), word, strategy="beam", beam_width=16, max_length=64, num_return=16)
    assert len(render_views(Session(trace=trace), 0, 5).step_views) < 330_000  # 64 steps, the most there are


def test_figures_use_the_slim_template_and_float32_arrays():
    fig = uncertainty_figure(Selection.of(trace_of(strategy="greedy")), 0)
    assert "data" not in fig.to_plotly_json()["layout"]["template"]  # no default per-trace styling blob
    assert '"dtype":"f4"' in fig.to_json()


def test_figure_json_is_what_plotly_writes_for_the_same_dicts():
    from playground.ui.common.style import base_layout, figure, figure_json

    def spec():  # fresh dicts each time: nothing may depend on plotly having copied them
        bars = [dict(type="bar", x=[0, 1, 2], y=np.array([0.5, 0.25, 0.125], dtype=np.float32), name="<b>p</b>"),
                dict(type="scatter", x=[], y=np.zeros(0, dtype=np.float32))]
        return bars, base_layout("Step 1 · entropy 0.50 nats", 330, yaxis=dict(range=[0.0, 0.61]))

    written = json.loads(figure_json(*spec()))
    assert written == json.loads(figure(*spec()).to_json())
    assert written["data"][0]["y"] == {"dtype": "f4", "bdata": "AAAAPwAAgD4AAAA+"}  # 0.5, 0.25, 0.125 as float32
    assert written["data"][1]["y"] == []
    # int64 narrowed as plotly narrows it (int8 here), 2-D arrays with their shape
    other = [dict(type="heatmap", x=np.arange(3), z=np.ones((2, 3), dtype=np.float32)),
             dict(type="bar", y=np.array([-40_000, 7]))]
    assert json.loads(figure_json(other, base_layout("", 100))) == json.loads(figure(other, base_layout("", 100))
                                                                                 .to_json())
    assert json.loads(figure_json(other, base_layout("", 100)))["data"][0]["z"]["shape"] == "2, 3"
    with pytest.raises(TypeError, match="int64"):  # plotly would leave it a list: not ours to guess
        figure_json([dict(type="bar", y=np.array([2**40]))], base_layout("", 100))
    with pytest.raises(TypeError, match="object"):
        figure_json([dict(type="bar", y=np.array(["a"], dtype=object))], base_layout("", 100))
    with pytest.raises(ValueError):  # plotly writes NaN as null; we refuse it
        figure_json([dict(type="bar", y=[math.nan])], base_layout("", 100))


def test_attention_shows_the_picked_layer_and_head_or_their_mean():
    from helpers import tiny_transformer

    trace = trace_of(tiny_transformer(layers=2, heads=2), "cab", strategy="greedy", max_length=4)
    node = trace.hypotheses[0].node
    mean = attention_figure(Selection.of(trace))  # the default: last layer, mean of its heads
    assert "layer 2 of 2, mean of 2 heads" in mean.layout.title.text
    assert np.allclose(mean.data[0].z, trace.attention_path(node, layer=1))
    picked = attention_figure(Selection.of(trace, layer=0, head=1))
    assert "layer 1 of 2, head 2 of 2" in picked.layout.title.text
    assert np.allclose(picked.data[0].z, trace.attention_path(node, layer=0, head=1))
    assert not np.allclose(picked.data[0].z, mean.data[0].z)
    assert "layer" not in attention_figure(Selection.of(trace_of(strategy="greedy"))).layout.title.text  # one head


def test_an_ensembles_distribution_shows_each_member_over_the_combined_bars():
    from decoding_cases import MEMBER_A as A
    from decoding_cases import MEMBER_B as B

    from playground.models.ensemble import Ensemble, EnsembleConfig

    trace = trace_of(Ensemble(EnsembleConfig(members=("a", "b")), [A, B]), "x", strategy="greedy")
    fig = distribution_figure(Selection.of(trace), t=0)
    markers = [d for d in fig.data if d.type == "scatter"]
    assert [d.name for d in markers] == ["member: a", "member: b"] and fig.layout.showlegend
    ticks = list(fig.layout.xaxis.ticktext)
    b, a = ticks.index("<b>b</b>"), ticks.index("a")  # the ensemble's pick, b (0.6), comes first
    assert markers[0].y[a] == pytest.approx(0.6) and markers[1].y[b] == pytest.approx(0.8)


def test_markdown_text_shows_a_models_tokens_as_they_are():
    from playground.ui.common.style import md

    assert md("__fr__ <s> a*b [x]") == r"\_\_fr\_\_ &lt;s&gt; a\*b \[x\]"  # not bold "fr", not a tag or a link
    assert md("K AE T") == "K AE T"
