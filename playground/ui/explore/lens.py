"""View 6: what each layer predicted (the logit lens, nostalgebraist 2020; playground/analysis/logit_lens.py).

At the selected step of the selected hypothesis: each decoder layer's output read through the model's final norm
and output layer, as a next-token distribution. Rows are the layers (the last on top: the model's own
distribution), columns the tokens some layer ranks among its FEW most probable (the last layer's most probable
first), a cell the probability; the token the hypothesis took is boxed and bold.

The spec is a pure function of the selection: the lens data come with it (``Selection.lens``, computed from the
model once per hypothesis where the views are rendered: handlers.render_views, ``with_lens``). A model without a
lens (an RNN, an ensemble) gets the chart disabled, with the sentence saying why.
"""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np

from playground.ui.common.labels import unique_labels
from playground.ui.common.style import C_CHOSEN, base_layout, empty_spec, esc, f32
from playground.ui.explore.attention import BLUES
from playground.ui.explore.selection import Selection

TITLE = "What each layer predicted"
NOT_COMPUTED = "Not computed for these views: the logit lens needs the model (playground.analysis.logit_lens)."


def with_lens(sel: Selection, lenses) -> Selection:
    """``sel`` with the logit lens along its path from ``lenses`` (a session's analysis.logit_lens.LensSource:
    tokens -> Lens), or as it is when there is none."""
    if lenses is None or not sel.path:
        return sel
    return dataclasses.replace(sel, lens=lenses([ps.token for ps in sel.path]))


def lens_spec(sel: Selection, t: int = 0) -> tuple[list[dict], dict]:
    """The lens at step ``t`` (0-based) as a heatmap's (data, layout) dicts."""
    lens = sel.lens
    if lens is None or lens.reason:
        return disabled_spec(lens.reason if lens is not None else NOT_COMPUTED)
    if not lens.steps:
        return empty_spec("no step to show")
    t = min(sel.clamp(t), len(lens.steps) - 1)
    step, sym = lens.steps[t], sel.trace.target_symbols
    n_layers, n_cols = step.probs.shape
    columns = step.columns.tolist()
    taken = columns.index(step.token)
    allowed = allowed_tokens(sel, t, columns)
    labels = unique_labels([esc(sym[i]) for i in columns])
    labels = [f"<b>{label}</b>" if j == taken else label if allowed[j] else
              f"<span style='color:#b6bac2'>{label}</span>" for j, label in enumerate(labels)]
    rows = [f"layer {n_layers - r}" + (" · output" if r == 0 else "") for r in range(n_layers)]
    z = f32(step.probs[::-1])  # the last layer on top
    heatmap = dict(type="heatmap", z=z, x=labels, y=rows, text=[[cell(p) for p in row] for row in z.tolist()],
                   texttemplate="%{text}", textfont=dict(size=12 if n_layers <= 16 else 9),
                   colorscale=[list(stop) for stop in BLUES], zmin=0.0, zmax=1.0, xgap=2, ygap=2,
                   colorbar=dict(title=dict(text="p", side="right"), thickness=12, len=0.9),
                   hovertemplate="%{y} · next token %{x}: p = %{z:.4f}<extra></extra>")
    height = int(min(max(130 + 36 * n_layers, 240), 640))
    layout = base_layout(f"{TITLE} · step {t + 1}: {esc(sym[step.token])} taken", height,
                         xaxis=dict(type="category", tickfont=dict(size=13), title=dict(
                             text="next token (the last layer's most probable first)")),
                         yaxis=dict(type="category", autorange="reversed", showgrid=False, tickfont=dict(size=12)),
                         shapes=[dict(type="rect", x0=taken - 0.5, x1=taken + 0.5, y0=-0.5, y1=n_layers - 0.5,
                                      line=dict(color=C_CHOSEN, width=3))])
    ranks = ", ".join(f"{int(r)}" for r in step.chosen_rank[::-1])
    grey = "" if all(allowed) else " · grey: never generated"
    layout["title"]["subtitle"] = dict(text=f"{esc(lens.reads)} · rank of {esc(sym[step.token])}, top layer "
                                            f"down: {ranks}{grey}", font=dict(size=11))
    layout["margin"]["t"] = 62  # room for the subtitle
    return [heatmap], layout


def cell(p: float) -> str:
    """A cell's text: two decimals, nothing below 0.005 (the colour says 'about 0'; hover gives the value)."""
    return f"{p:.2f}" if p >= 0.005 else ""


def allowed_tokens(sel: Selection, t: int, columns: list[int]) -> list[bool]:
    """Whether the engine may output each column token at step t (False: e.g. <pad>, never generated), as the
    step distribution greys them; all True when the step was not recorded."""
    rows = sel.row_probs(sel.path[t]) if t < len(sel.path) else None
    if rows is None:
        return [True] * len(columns)
    held = set(np.asarray(rows["ids"]).tolist())  # a large vocabulary's row holds some tokens only (recorder.py)
    return [i not in held or bool(rows["temperature"][i] > 0) for i in columns]


def disabled_spec(message: str) -> tuple[list[dict], dict]:
    """The chart switched off: its title, and the sentence saying why, wrapped to the chart's width."""
    data, layout = empty_spec("", height=170)
    layout["title"]["text"] = f"{TITLE} · not available for this model"
    layout["title"]["font"]["color"] = "#9ca3af"
    layout["annotations"][0]["text"] = "<br>".join(textwrap.wrap(esc(message), 100))
    return data, layout
