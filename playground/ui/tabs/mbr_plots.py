"""The Sample tab's MBR views. Pure: an MbrResult (playground/analysis/mbr.py) in, a figure or Markdown out.

- ``matrix_figure``: the utility matrix U[i, j] = u(h_i, y_j) as a heatmap, rows = candidates as hypotheses,
  columns = the same candidates as pseudo-references (most weight first; the top TOP shown);
- ``expected_figure``: one bar per candidate's expected utility sum_j w_j U[i, j], best first, the MBR choice in
  the accent colour (beam search's best and the mode named where they are candidates, added in grey where not);
- ``comparison_markdown``: the MBR choice beside beam search's best and the mode, each ✓/✗ against the dictionary;
- ``summary_markdown``: one line.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import plotly.graph_objects as go

from playground.ui.common import style
from playground.ui.common.labels import is_arpabet, readable
from playground.ui.common.style import base_layout, empty_figure, esc, f32, md

TOP = 16  # candidates charted: each row's label stays readable at the page's size
C_OTHER, C_ANCHOR = "#93c5fd", "#9ca3af"  # candidates; beam's best / the mode when they were not drawn
WEIGHTS = MappingProxyType({"sample": "w = count / N", "beam": "w = p(y|x) renormalised over the list"})


def _arpabet(result) -> bool:
    return is_arpabet([t for c in result.candidates for t in c.tokens] + list(result.beam.tokens))


def mark(correct) -> str:
    """✓ / ✗ against the dictionary; nothing where there is none (an input outside it, a Hugging Face model)."""
    return "" if correct is None else (" ✓" if correct else " ✗")


def shown_indices(result, top: int = TOP) -> list[int]:
    """The candidates charted: the ``top`` of most weight, the MBR choice and the anchors among them always."""
    must = {i for i in (result.choice, result.beam.candidate, result.mode.candidate) if i >= 0}
    others = [i for i in range(len(result.candidates)) if i not in must][:max(top - len(must), 0)]
    return sorted(must | set(others))


def short(tokens, arpabet: bool, max_chars: int = 30) -> str:
    """An output for a chart's row: with its IPA when that fits in ``max_chars``, else the symbols alone."""
    text = readable(tokens, arpabet, max_chars=10_000)
    if len(text) > max_chars and arpabet:
        text = readable(tokens, False, max_chars=10_000)  # (the IPA cut to a few letters says nothing)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def _label(result, i: int, arpabet: bool, tags: bool = False) -> str:
    """'#2 F OW K L AO R /foʊklɔɹ/ ✓', bold with ★ for the MBR choice; ``tags``: [beam], [mode] where it is one."""
    c = result.candidates[i]
    text = esc(short(c.tokens, arpabet)) + ("" if c.finished else " (cut)") + mark(c.correct)
    if tags:
        names = [name for name, a in (("beam", result.beam), ("mode", result.mode)) if a.candidate == i]
        text += f" [{', '.join(names)}]" if names else ""
    return f"<b>★ #{i + 1} {text}</b>" if i == result.choice else f"#{i + 1} {text}"


def matrix_figure(result, top: int = TOP) -> go.Figure:
    """Heatmap of U over the shown candidates: row = hypothesis h_i (labelled), column = pseudo-reference y_j
    (its number; hover names both); the MBR choice's row is starred. Values written in the cells up to 12 rows."""
    if result is None or not result.candidates:
        return empty_figure("press Run MBR")
    arpabet = _arpabet(result)
    idx = shown_indices(result, top)
    z = result.matrix[np.ix_(idx, idx)]
    rows = [_label(result, i, arpabet) for i in idx]
    cols = [f"#{j + 1}" for j in idx]
    names = [esc(short(result.candidates[j].tokens, arpabet, max_chars=48)) for j in idx]
    hover = [[f"h = {names[a]}<br>y = {names[b]}" for b in range(len(idx))] for a in range(len(idx))]
    more = f" · {len(idx)} of {len(result.candidates)} shown" if len(idx) < len(result.candidates) else ""
    height = int(min(max(170 + 30 * len(idx), 360), 700))
    fig = go.Figure(layout=base_layout(f"Utility matrix U[h, y] · rows: hypotheses h, most weight first{more}",
                                       height))
    fig.add_heatmap(z=f32(z), x=cols, y=rows, zmin=0, zmax=1, colorscale="Blues", xgap=1, ygap=1,
                    text=hover, texttemplate="%{z:.2f}" if len(idx) <= 12 else None, textfont=dict(size=11),
                    colorbar=dict(title=dict(text="u", side="right"), thickness=12, len=0.9),
                    hovertemplate="%{text}<br>u(h, y) = %{z:.3f}<extra></extra>")
    fig.update_xaxes(type="category", side="top", title=dict(text="pseudo-reference y (candidate #)", standoff=4),
                     tickfont=dict(size=11))
    fig.update_yaxes(type="category", autorange="reversed", showgrid=False, tickfont=dict(size=12))
    fig.update_layout(margin_t=88)
    return fig


def _bars(result, arpabet: bool, top: int):
    """(label, expected utility, colour, text) per bar: the shown candidates best first, then beam search's best
    and the mode where they are no candidate."""
    out = []
    for i in sorted(shown_indices(result, top), key=lambda i: -result.candidates[i].expected_utility):
        c = result.candidates[i]
        out.append((_label(result, i, arpabet, tags=True), c.expected_utility,
                    style.C_CHOSEN if i == result.choice else C_OTHER, f"{c.expected_utility:.3f} (w {c.weight:.2f})"))
    undrawn: dict = {}  # tokens -> (anchor, its names): beam's best and the mode share a bar when they agree
    for name, a in (("beam", result.beam), ("mode", result.mode)):
        if a.candidate < 0:
            undrawn.setdefault(a.tokens, (a, []))[1].append(name)
    for a, names in undrawn.values():
        label = f"{esc(short(a.tokens, arpabet))}{mark(a.correct)} [{', '.join(names)}, not drawn]"
        out.append((label, a.expected_utility, C_ANCHOR, f"{a.expected_utility:.3f}"))
    return out


def expected_figure(result, top: int = TOP) -> go.Figure:
    """Horizontal bars: each candidate's expected utility against the pseudo-references, best first."""
    if result is None or not result.candidates:
        return empty_figure("press Run MBR")
    bars = _bars(result, _arpabet(result), top)
    y = np.arange(len(bars), dtype=np.int16)
    height = int(min(max(170 + 30 * len(bars), 360), 700))
    fig = go.Figure(layout=base_layout("Expected utility E[u(h)] = Σ_j w_j · u(h, y_j)", height))
    fig.add_bar(y=y, x=f32([b[1] for b in bars]), orientation="h", marker_color=[b[2] for b in bars],
                text=[b[3] for b in bars], textposition="auto", insidetextanchor="end", cliponaxis=False,
                textfont=dict(size=11), hovertemplate="E[u] = %{x:.4f}<extra></extra>")
    fig.update_yaxes(tickvals=y, ticktext=[b[0] for b in bars], autorange="reversed", showgrid=False,
                     tickfont=dict(size=12))
    fig.update_xaxes(range=[0, 1.02], tickvals=[0, 0.25, 0.5, 0.75, 1.0], gridcolor="#eef0f3", showgrid=True,
                     title_text=f"expected utility ({WEIGHTS[result.method]})")
    return fig


def _row(name: str, tokens, log_prob: float, expected: float, correct, arpabet: bool) -> str:
    verdict = {None: "", True: "✓ dictionary", False: "✗ not the dictionary's"}[correct]
    return (f"| {name} | {md(readable(tokens, arpabet, max_chars=60))} | {log_prob:.3f} | {expected:.3f} | "
            f"{verdict} |")


def comparison_markdown(result) -> str:
    """The MBR choice, beam search's best and the mode side by side, with log p, E[u] and the dictionary mark."""
    if result is None:
        return ""
    arpabet, m = _arpabet(result), result.mbr
    lines = ["| | output | log p(y\\|x) | E[u] | |", "|---|---|---|---|---|",
             _row("**MBR's choice ★**", m.tokens, m.log_prob, m.expected_utility, m.correct, arpabet)]
    lines += [_row(md(a.label), a.tokens, a.log_prob, a.expected_utility, a.correct, arpabet)
              for a in (result.beam, result.mode)]
    notes = [md(note) for note in (result.beam.note, result.mode.note, result.message) if note]
    return "\n".join(lines) + "".join(f"\n\n_{n}_" for n in notes)


def summary_markdown(result, text: str) -> str:
    """One line: what was drawn, the utility, the choice and whether it differs from beam search's best."""
    if result is None:
        return ""
    arpabet, m, b = _arpabet(result), result.mbr, result.beam
    drawn = (f"{result.n} sample{'s' * (result.n != 1)}" if result.method == "sample"
             else f"the beam's {result.n}-best list")
    same = m.tokens == b.tokens
    return (f"MBR of **{md(text)}** over {drawn} ({len(result.candidates)} distinct; utility: {md(result.utility)}): "
            f"**{md(readable(m.tokens, arpabet))}**{mark(m.correct)}, E[u] {m.expected_utility:.3f}, "
            + ("the same as beam search's best." if same else
               f"not beam search's best {md(readable(b.tokens, arpabet))}{mark(b.correct)} "
               f"(E[u] {b.expected_utility:.3f}, log p {b.log_prob:.3f} against {m.log_prob:.3f})."))
