"""The Sample tab's views, headless, on hand-made SampleStats: bars, axes, labels, diversity figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from playground.analysis.sampling import DistinctOutput, SampleStats
from playground.decoding import DecodeConfig
from playground.decoding.trace import LOG_ZERO
from playground.ui.tabs.sample_plots import calibration_figure, diversity_markdown, outputs_figure, settings_markdown


def out(tokens, count, n, p, p_filtered, finished=True) -> DistinctOutput:
    return DistinctOutput(tokens=tuple(tokens), finished=finished, count=count, frequency=count / n,
                          log_prob=math.log(p), filtered_log_prob=LOG_ZERO if p_filtered == 0 else math.log(p_filtered))


def stats_of(outputs, beam, n, entropy=None, config=None) -> SampleStats:
    freqs = [o.frequency for o in outputs if o.count]
    entropy = -sum(f * math.log(f) for f in freqs) if entropy is None else entropy
    return SampleStats(source=("k", "a", "t"), config=config or DecodeConfig(strategy="sample"), n=n,
                       outputs=tuple(outputs), entropy=entropy, beam_top=beam)


KAT = out(["K", "AE", "T"], 6, 10, 0.6, 0.7)
KET = out(["K", "EH", "T"], 4, 10, 0.3, 0.3)
CLOSE = stats_of([KAT, KET], KAT, 10)


def test_outputs_figure_has_three_bars_per_output():
    fig = outputs_figure(CLOSE)
    assert [t.name for t in fig.data] == ["sampled frequency", "model p(y|x), T=1",
                                          "p under the filtered distribution"]
    assert np.allclose(fig.data[0].x, [0.6, 0.4]) and np.allclose(fig.data[1].x, [0.6, 0.3])
    assert np.allclose(fig.data[2].x, [0.7, 0.3]) and list(fig.data[0].text) == ["6×", "4×"]
    labels = list(fig.layout.yaxis.ticktext)
    assert "K AE T" in labels[0] and "/kæt/" in labels[0] and "★" in labels[0] and "★" not in labels[1]
    assert fig.layout.xaxis.type != "log" and fig.layout.xaxis.title.text == "probability"
    assert "10 samples · 2 distinct outputs" in fig.layout.title.text


def test_a_wide_range_of_probabilities_gets_a_log_axis_and_a_removed_beam_output_shows_zero():
    rare = out(["K", "AH", "T"], 1, 10, 1e-6, 1e-4)
    removed = out(["K", "IH", "T"], 0, 10, 0.05, 0.0)
    stats = stats_of([out(["K", "AE", "T"], 9, 10, 0.6, 0.9), rare], removed, 10)
    fig = outputs_figure(stats)
    assert fig.layout.xaxis.type == "log" and "log" in fig.layout.xaxis.title.text
    assert stats.beam_top.filtered_out and "removed by the filters" in diversity_markdown(stats)


def test_only_the_top_outputs_are_charted():
    n = 30
    many = [out(["K", s], 1, n, 0.01, 0.02) for s in ("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH "
                                                         "L M N NG OW OY P R S SH T").split()]
    stats = stats_of(many, many[0], n)
    fig = outputs_figure(stats, top=20)
    assert len(fig.data[0].x) == 20 and "top 20 of 30 shown" in fig.layout.title.text


def test_calibration_figure_one_point_per_output_on_log_axes():
    fig = calibration_figure(CLOSE)
    diagonal, model, filtered = fig.data
    assert list(diagonal.x) == list(diagonal.y)
    assert np.allclose(model.x, [0.6, 0.3]) and np.allclose(filtered.x, [0.7, 0.3])
    assert np.allclose(filtered.y, [0.6, 0.4]) and fig.layout.xaxis.type == fig.layout.yaxis.type == "log"
    assert "1/10 = once" in fig.layout.yaxis.title.text
    assert fig.layout.yaxis.range[0] == pytest.approx(math.log10(0.05))  # half of the rarest frequency


def test_diversity_markdown_gives_the_figures():
    text = diversity_markdown(CLOSE)
    assert "**2** distinct outputs in **10** samples" in text
    assert f"**{CLOSE.entropy:.2f}** nats" in text and f"{math.log(10):.2f} = all different" in text
    assert "**60%** equal beam search's top output" in text and "K AE T" in text
    assert "**90%** of the model's probability" in text and "**100%** of the filtered" in text


def test_settings_markdown_names_every_setting():
    line = settings_markdown(DecodeConfig(strategy="sample", temperature=1.5, top_p=0.9, seed=3, max_length=20))
    assert line.endswith("temperature 1.5 · top-k off · top-p 0.9 · min-p off · seed 3 · max length 20")
    assert "(= greedy)" in settings_markdown(DecodeConfig(temperature=0.0))
