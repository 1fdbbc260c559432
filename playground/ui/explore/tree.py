"""View 4: the search tree. Every recorded node, by step, styled by status; the selected path on top.

Layout: x = output step, y = rank within the step. Children are ordered by (their parent's rank, best
score first), so edges never cross and a beam of width 8 over 20 steps stays a readable band of at
most 16 rows (beam search records the top 2 x width candidates per step, as fairseq/HF do).

Payload: positions go out as int16 arrays and hover numbers as float32 (plotly base64-encodes numpy
arrays); edges are drawn as one Euler tour of the tree (parent, child, ..., parent) so they need no
None separators; above MAX_NODES the pruned leaves are left out, and the title says so.
"""

from __future__ import annotations

from collections import defaultdict
from types import MappingProxyType

import numpy as np
import plotly.graph_objects as go

from playground.ui.common import style
from playground.ui.common.style import band, base_layout, empty_spec, esc, f32, figure
from playground.ui.explore.selection import Selection

MAX_NODES = 1200  # ~50 KB of JSON; a width-16 beam over 37+ steps records more, mostly pruned leaves
STYLE = MappingProxyType({  # status -> (marker symbol, colour, legend label)
    "kept": ("circle", style.C_KEPT, "kept (expanded)"),
    "pruned": ("circle-open", style.C_PRUNED, "pruned"),
    "finished": ("diamond", style.C_FINISHED, "finished (&lt;/s&gt;)"),
})


def tree_layout(nodes) -> dict[int, tuple[int, int]]:
    """node id -> (x = step, y = rank within its step), crossing-free (see the module docstring)."""
    by_step: dict[int, list] = defaultdict(list)
    for n in nodes:
        by_step[n.step].append(n)
    pos: dict[int, tuple[int, int]] = {}
    for step in sorted(by_step):
        ordered = sorted(by_step[step], key=lambda n: (pos.get(n.parent, (0, -1))[1], -n.score, n.id))
        for rank, n in enumerate(ordered):
            pos[n.id] = (step, rank)
    return pos


def euler_tour(nodes, keep: set[int]) -> list[int]:
    """Node ids visiting every edge of the subtree ``keep`` down and back up: root, child, ..., root."""
    children: dict[int, list[int]] = defaultdict(list)
    for n in nodes:
        if n.id in keep and n.parent in keep:
            children[n.parent].append(n.id)
    tour, stack = [], [(0, iter(children[0]))]
    tour.append(0)
    while stack:
        node, it = stack[-1]
        child = next(it, None)
        if child is None:
            stack.pop()
            if stack:
                tour.append(stack[-1][0])  # back up to the parent
        else:
            tour.append(child)
            stack.append((child, iter(children[child])))
    return tour


def branch_edge(trace, pos: dict) -> list[dict]:
    """A branch's forced edge (analysis/branch.py), dashed, from the node it leaves to its forced token."""
    b = trace.branch
    if b is None or b.parent not in pos or b.node not in pos:
        return []
    (x0, y0), (x1, y1) = pos[b.parent], pos[b.node]
    return [dict(type="scatter", x=[x0, x1], y=[y0, y1], mode="lines+text", text=["", "forced"],
                 textposition="bottom center", textfont=dict(size=10, color=style.C_BRANCH),
                 line=dict(color=style.C_BRANCH, width=3, dash="dash"), name="branch (forced token)",
                 hoverinfo="skip")]


def tree_marks(t: int) -> dict:
    """The selected step t: the same orange band as in the uncertainty chart (layout keys to update)."""
    return {"shapes": [band(t - 0.45, t + 0.45)]}


def tree_figure(sel: Selection, t: int | None = None) -> go.Figure:
    """View 4: every recorded node by step and status, the selected hypothesis's path on top."""
    return figure(*tree_spec(sel, t))


def edge_traces(drawn, total: int, pos: dict) -> list[dict]:
    """The edges, one line per kind: light ones to the pruned leaves (when all ``total`` nodes are drawn), under
    the others."""
    edge_sets = [({n.id for n in drawn if n.status != "pruned"}, "#93a4c3", 1.5)]
    if len(drawn) == total:
        edge_sets.insert(0, (set(pos), "#e3e6ea", 1.0))
    out = []
    for ids, color, width in edge_sets:
        tour = euler_tour(drawn, ids)
        out.append(dict(type="scatter", x=np.array([pos[i][0] for i in tour], dtype=np.int16),
                        y=np.array([pos[i][1] for i in tour], dtype=np.int16), mode="lines",
                        line=dict(color=color, width=width), hoverinfo="skip", showlegend=False))
    return out


def node_traces(drawn, pos: dict, sym) -> list[dict]:
    """The nodes, one marker trace per status; each point's customdata ends with its id (a click branches)."""
    out = []
    for status, (symbol, color, label) in STYLE.items():
        group = [n for n in drawn[1:] if n.status == status]
        if not group:
            continue
        out.append(dict(
            type="scatter", x=np.array([pos[n.id][0] for n in group], dtype=np.int16),
            y=np.array([pos[n.id][1] for n in group], dtype=np.int16),
            mode="markers+text", name=label, text=[esc(sym[n.token]) for n in group],
            textposition="top center",
            textfont=dict(size=10, color="#b6bac2" if status == "pruned" else "#111827"),
            marker=dict(symbol=symbol, size=8, color=color, line=dict(width=1, color=color)),
            customdata=f32([[n.log_prob, n.cum_log_prob, n.score, n.id] for n in group]),
            hovertemplate=(f"<b>%{{text}}</b> · step %{{x}} · {status}<br>log p(token) %{{customdata[0]:.3f}}"
                           "<br>cumulative log p %{customdata[1]:.3f}"
                           "<br>score %{customdata[2]:.3f}<extra></extra>"),
        ))
    return out


def tree_spec(sel: Selection, t: int | None = None) -> tuple[list[dict], dict]:
    """``tree_figure``'s data and layout as plain dicts: the page's JSON is written from them without
    building a Figure (style.figure_json)."""
    trace = sel.trace
    nodes = trace.nodes
    if len(nodes) < 2:
        return empty_spec("no search tree: nothing was generated")
    drawn = nodes if len(nodes) <= MAX_NODES else [n for n in nodes if n.status != "pruned"]
    pos = tree_layout(drawn)
    sym = trace.target_symbols
    path = [0] + [ps.node for ps in sel.path] if sel.path else []  # root .. the selected hypothesis's last node
    counts = {s: sum(n.status == s for n in nodes[1:]) for s in STYLE}
    depth = max(p[0] for p in pos.values()) + 1
    rows = max(p[1] for p in pos.values()) + 1
    title = (f"Search tree · {len(nodes) - 1} nodes over {depth} steps: "
             + ", ".join(f"{counts[s]} {s}" for s in STYLE if counts[s])
             + (" (pruned not drawn: too many)" if len(drawn) < len(nodes) else ""))
    layout = base_layout(title, int(min(max(120 + 24 * rows, 240), 600)), hovermode="closest",
                         xaxis=dict(title=dict(text="output step"), tickvals=np.arange(-1, depth),
                                    range=[-1.6, depth - 0.4], ticktext=["start"] + [str(i + 1) for i in range(depth)]),
                         # reversed: rank 0 on top, room for its label
                         yaxis=dict(visible=False, range=[rows - 0.5, -0.9]))
    layout["margin"]["t"] = 56
    if t is not None:
        layout.update(tree_marks(t))
    data = [*edge_traces(drawn, len(nodes), pos), *node_traces(drawn, pos, sym)]
    if len(path) > 1:  # the selected hypothesis, drawn last so it sits on top
        data.append(dict(type="scatter", x=np.array([pos[i][0] for i in path], dtype=np.int16),
                         y=np.array([pos[i][1] for i in path], dtype=np.int16), mode="lines+markers",
                         line=dict(color=style.C_CHOSEN, width=3.5),
                         marker=dict(size=10, color="rgba(0,0,0,0)", line=dict(width=2, color=style.C_CHOSEN)),
                         name="selected hypothesis", hoverinfo="skip"))
    data += branch_edge(trace, pos)
    data.append(dict(type="scatter", x=[-1], y=[0], mode="markers+text", text=["&lt;s&gt;"],
                     textposition="top center", marker=dict(size=9, color="#374151"), showlegend=False,
                     hoverinfo="skip"))
    return data, layout
