"""The outputs token by token: one row per shown hypothesis (a branch's after the original's), one cell per output
position, the token written in it and coloured by its probability at T = 1. Hovering a cell shows the token's
probability, after filtering too, its rank and the five most probable tokens the model offered at that step
(analysis/alternatives.py); clicking it shows that hypothesis at that step in every view."""

from __future__ import annotations

import numpy as np

from playground.analysis.alternatives import alternatives
from playground.ui.common.style import C_CHOSEN, base_layout, empty_spec, esc, f32
from playground.ui.explore.attention import BLUES
from playground.ui.explore.selection import BRANCH_MARK, Selection

# outputs and positions drawn (the selected output always among them): each cell carries its alternatives, ~200 bytes
MAX_ROWS, MAX_COLUMNS = 6, 32


def tokens_spec(sel: Selection, t: int = 0) -> tuple[list[dict], dict]:
    """(data, layout): the heatmap of the shown outputs' tokens, the selected hypothesis and step boxed."""
    if not sel.shown:
        return empty_spec("no output to show")
    drawn = drawn_rows(sel)
    rows = [alternatives(sel.trace, sel.shown[i])[:MAX_COLUMNS] for i in drawn]
    width = max(len(r) for r in rows)
    z = np.full((len(rows), width), np.nan, dtype=np.float32)  # NaN: past an output's end (left blank)
    text = [[""] * width for _ in rows]
    hover = [[""] * width for _ in rows]
    for i, row in enumerate(rows):
        for j, entry in enumerate(row):
            z[i, j], text[i][j], hover[i][j] = entry["p"], esc(entry["token"]), hover_text(entry)
    first = sel.branch_from if sel.branch_from is not None else len(sel.shown)
    labels = [f"{i + 1}" if i < first else f"{BRANCH_MARK} {i - first + 1}" for i in drawn]
    heatmap = dict(type="heatmap", z=f32(z), x=list(range(1, width + 1)), y=labels, text=text,
                   texttemplate="%{text}", textfont=dict(size=11), colorscale=[list(s) for s in BLUES], zmin=0,
                   zmax=1, xgap=2, ygap=2, hovertext=hover, hovertemplate="%{hovertext}<extra>%{y} · %{x}</extra>",
                   meta=drawn, colorbar=dict(title=dict(text="p (T=1)", side="right"), thickness=10, len=0.9))
    cut = max(len(sel.trace.path(h.node)) - 1 for h in sel.shown) > MAX_COLUMNS or len(sel.shown) > len(drawn)
    layout = base_layout("Outputs token by token · hover a token for its alternatives, click it to show it"
                         + (f" · the first {len(drawn)} outputs, {MAX_COLUMNS} positions" if cut else ""),
                         int(min(max(110 + 30 * len(rows), 170), 420)),
                         xaxis=dict(title=dict(text="output position"), dtick=1, showgrid=False),
                         yaxis=dict(type="category", autorange="reversed", showgrid=False,
                                    title=dict(text="hypothesis")))
    layout.update(tokens_marks(sel, t))
    return [heatmap], layout


def drawn_rows(sel: Selection) -> list[int]:
    """Indices in ``sel.shown`` of the outputs drawn: the first MAX_ROWS, the selected one in the last place when
    it is further down."""
    drawn = list(range(min(len(sel.shown), MAX_ROWS)))
    if sel.index not in drawn:
        drawn[-1] = sel.index
    return drawn


def hover_text(entry: dict) -> str:
    """The token, its probability (and after filtering), its rank, then the alternatives, one a line."""
    head = f"<b>{esc(entry['token'])}</b> p {entry['p']:.3f}"
    filtered = entry.get("p_filtered")
    if filtered is not None and abs(filtered - entry["p"]) > 5e-4:
        head += f", filtered {filtered:.3f}"
    if entry.get("rank") is not None:
        head += f", rank {entry['rank'] + 1}"
    top = " · ".join(f"{esc(a['token'])} {a['p']:.2f}" + (f"/{a['p_filtered']:.2f}" if abs(a["p_filtered"] - a[
        "p"]) > 5e-3 else "") for a in entry.get("top", []))  # p at T=1 (/after filtering when it differs)
    return head + (f"<br>top 5: {top}" if top else "")


def tokens_marks(sel: Selection, t: int) -> dict:
    """The box around the selected hypothesis's token at step t (moves with the step slider)."""
    y = drawn_rows(sel).index(sel.index)
    return {"shapes": [dict(type="rect", x0=t + 0.5, x1=t + 1.5, y0=y - 0.5, y1=y + 0.5,
                            line=dict(color=C_CHOSEN, width=3))]}
