"""The Compare tab's views, headless: what each figure shows, labels, highlighting, payload size."""

from __future__ import annotations

import numpy as np
from decoding_cases import BEAM_MISSES

from playground.analysis.compare import column_config, compare
from playground.decoding import DecodeConfig
from playground.decoding.scripted import ScriptedModel
from playground.ui.common import style
from playground.ui.tabs.compare_plots import column_figure, diff_figure, outputs_html

# greedy takes "a" then "c": "ac"; beam search (width 2) finds "b"
CASE = compare(BEAM_MISSES, "xyz", [DecodeConfig(), column_config(strategy="beam", beam_width=2)],
               labels=["greedy", "beam 2"])


def phones_model() -> ScriptedModel:
    """ARPAbet-like outputs: K AE T (0.6) or K EH T (0.4)."""
    return ScriptedModel(target_symbols=["K", "AE", "T", "EH"], steps=[
        {"K": 1.0}, {"AE": 0.6, "EH": 0.4}, {"T": 1.0}, {"</s>": 1.0}])


def test_diff_figure_marks_exactly_the_differing_positions():
    fig = diff_figure(CASE)
    heat = fig.data[0]
    z = np.asarray(heat.z)
    assert z.shape == (2, len(CASE.alignment.differs))
    for j, differs in enumerate(CASE.alignment.differs):
        for r, row in enumerate(CASE.alignment.rows):
            assert z[r, j] == (2 if row[j] is None else int(differs))
    assert [list(t) for t in heat.text] == [["–" if s is None else s for s in row] for row in CASE.alignment.rows]
    assert "differ" in fig.layout.title.text and list(heat.y) == ["1. greedy", "2. beam 2"]
    assert fig.layout.xaxis.title.text.startswith("aligned position")


def test_diff_figure_says_when_the_columns_agree():
    agree = compare(BEAM_MISSES, "ab", [DecodeConfig(), DecodeConfig(strategy="beam", beam_width=1)])
    fig = diff_figure(agree)
    assert "agree" in fig.layout.title.text and not np.asarray(fig.data[0].z).any()


def test_column_figure_attention_and_probability_strip():
    column, marks = CASE.columns[0], CASE.alignment.marks(0)
    fig = column_figure(column, marks)
    heat, bars = fig.data
    assert np.asarray(heat.z).shape == (3, 3)  # a, c, </s> x the three source symbols
    assert np.allclose(np.asarray(bars.x), [0.6, 0.34, 1.0], atol=1e-6) and bars.orientation == "h"
    ticks = list(fig.layout.yaxis.ticktext)
    assert len(ticks) == 3 and "&lt;/s&gt;" in ticks[2]  # escaped: plotly would read </s> as HTML
    assert all((style.C_CHOSEN in t) == m for t, m in zip(ticks, marks + [False], strict=True))
    assert fig.layout.xaxis.title.text == "source" and fig.layout.xaxis2.title.text == "p(symbol)"
    assert len(fig.to_json()) < 30_000
    assert bars.hovertext[0].startswith("<b>a</b> p 0.600") and "top 5:" in bars.hovertext[0]  # its alternatives


def test_outputs_html_lists_log_p_and_score_and_highlights_differences():
    html = outputs_html(CASE.columns[1], CASE.alignment.marks(1))
    assert html.count("<li>") == 2 and "beam 2" in html
    assert "log p -1.02" in html and "score -0.51" in html  # log 0.36 = -1.02, over L = 2
    assert "<mark class='cmp-diff'>b</mark>" in html
    plain = outputs_html(CASE.columns[0])
    assert "<mark" not in plain and "score" not in plain  # greedy ranks by log p itself


def test_phoneme_outputs_show_ipa_and_mark_only_the_differing_symbol():
    forced = DecodeConfig(prefix=("K", "EH"))  # the less likely vowel: the columns differ in one symbol
    result = compare(phones_model(), "kat", [DecodeConfig(), forced])
    assert result.alignment.differs == (False, True, False)
    html = outputs_html(result.columns[0], result.alignment.marks(0))
    assert "K <mark class='cmp-diff'>AE</mark> T" in html and "/kæt/" in html
    assert html.count("<mark") == 1


def test_a_decoder_only_columns_attention_is_over_its_context_beside_an_encoder_decoders_source():
    from helpers import tiny_decoder_only, tiny_transformer

    case = compare([tiny_transformer(), tiny_decoder_only()], "cab", [DecodeConfig(), DecodeConfig()])
    encdec, deconly = (column_figure(c, case.alignment.marks(i)) for i, c in enumerate(case.columns))
    assert list(encdec.data[0].x) == ["c", "a", "b"] and encdec.layout.xaxis.title.text == "source"
    trace = case.columns[1].trace
    keys = trace.context_keys(trace.hypotheses[0].node)
    columns = list(deconly.data[0].x)  # (escaped for plotly; a repeated symbol made unique with a zero-width space)
    assert keys[:4] == ["c", "a", "b", "<s>"] and len(columns) == len(keys) > 4
    assert columns[:4] == ["c", "a", "b", "&lt;s&gt;"]
    assert deconly.layout.xaxis.title.text.startswith("context")
