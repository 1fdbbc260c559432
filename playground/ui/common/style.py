"""Shared look of every chart: a slim template, colours, label escaping, payload-friendly numbers.

Why a hand-made template: plotly's default template ("plotly") adds ~8 KB of JSON to *every*
figure, and every decode sends the page five figures plus every step's distribution (explore/step_views.py).
This one carries only what we use.
"""

from __future__ import annotations

import base64
import html
import json
import re
from types import MappingProxyType

import numpy as np
import plotly.graph_objects as go

FONT = "Inter, system-ui, -apple-system, Segoe UI, sans-serif"
SLIM = go.layout.Template(layout=dict(
    font=dict(family=FONT, size=12, color="#1f2937"),
    paper_bgcolor="white", plot_bgcolor="white",
    xaxis=dict(showgrid=False, zeroline=False, linecolor="#9ca3af", ticks="outside", automargin=True),
    yaxis=dict(gridcolor="#eef0f3", zeroline=False, linecolor="#9ca3af", automargin=True),
    hoverlabel=dict(font=dict(family=FONT, size=12)),
    legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, font=dict(size=11)),
))

# T=1 -> after temperature -> after filtering: one hue, darker as processing goes on
C_T1, C_TEMP, C_FILTERED = "#c7d2fe", "#818cf8", "#3730a3"
C_CHOSEN = "#ea580c"  # the token/path the decoder took: one accent colour everywhere
C_KEPT, C_PRUNED, C_FINISHED = "#2563eb", "#c0c4cc", "#059669"
C_STEP = "rgba(234, 88, 12, 0.12)"  # band marking the selected step
C_BRANCH = "#7c3aed"  # a branch: its forced edge, its outputs (analysis/branch.py)


def esc(label: str) -> str:
    """Plotly renders labels as HTML: '<s>' would vanish, so escape it to '&lt;s&gt;'."""
    return html.escape(str(label), quote=False)


MARKDOWN_MARKS = re.compile(r"([\\`*_\[\]{}#|~])")


def md(text: str) -> str:
    """Text for a gr.Markdown: escaped as HTML (esc) and Markdown's marks backslash-escaped, so that a model's
    token shows as it is (M2M's '__fr__' would otherwise turn into a bold 'fr')."""
    return MARKDOWN_MARKS.sub(r"\\\1", esc(text))


def f32(values) -> np.ndarray:
    """float32 arrays: plotly serialises numpy arrays as base64 typed arrays, half the bytes of float64."""
    return np.asarray(values, dtype=np.float32)


def base_layout(title: str, height: int, **extra) -> dict:
    """Layout shared by all charts: the slim template, a one-line title, tight margins."""
    return dict(template=SLIM, height=height, margin=dict(l=10, r=10, t=48, b=10),
                # pinned to the top of the figure, so axis labels drawn on top never collide with it
                title=dict(text=title, x=0.0, xanchor="left", y=1.0, yref="container", yanchor="top",
                           pad=dict(t=8), font=dict(size=14)), **extra)


def figure(data: list[dict], layout: dict) -> go.Figure:
    """A Figure from plain dicts, built without plotly's property validation.

    Why: validating every property (go.Bar(...), update_layout, add_vrect, make_subplots) was ~95% of what
    a slider move cost the server (issue #6: ~120 ms for the five views, against ~5 ms to serialise them).
    These dicts are built by our code, not typed by users, and tests/test_ui_figures_valid.py re-validates
    every figure the page builds: go.Figure(fig.to_dict()) must not raise and must give the same JSON.
    Without validation nothing is coerced: traces carry their "type", named colour scales are spelled out
    (heatmap.BLUES), and the layout must come from base_layout (it brings the slim template; without one
    plotly would add its default ~8 KB template).
    """
    return go.Figure(dict(data=data, layout=layout), _validate=False)


def band(lo: float, hi: float, axis: str = "x", across: str = "y") -> dict:
    """The selected-step band, as fig.add_vrect (axis "x") / add_hrect (axis "y", across "x") draws it:
    lo..hi in data units on ``axis``, the whole height (or width) of the ``across`` axis."""
    a, b = axis[0], across[0]
    return {"type": "rect", f"{a}ref": axis, f"{a}0": lo, f"{a}1": hi,
            f"{b}ref": f"{across} domain", f"{b}0": 0, f"{b}1": 1,
            "fillcolor": C_STEP, "layer": "below", "line": {"width": 0}}


def figure_json(data: list[dict], layout: dict) -> str:
    """``figure(data, layout).to_json()`` without building the Figure: the same JSON once parsed.

    Why: every decode sends the page its five figures and every step's distribution chart (step_views.py).
    Building a Figure for each, then plotly's deep copy and its walk looking for arrays, was most of what
    rendering the views cost. Numeric numpy arrays are written as plotly writes them (base64 typed arrays;
    int64 narrowed to the smallest integer type that holds the values; "shape" for 2-D); anything else
    plotly would have to convert raises TypeError, and so does a NaN (plotly would write null).
    tests/test_ui_figures_valid.py checks every view against plotly's own to_json."""
    return json.dumps({"data": data, "layout": layout}, separators=(",", ":"), allow_nan=False,
                      default=_plotly_value)


TYPED = MappingProxyType({"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
                          "float32": "f4", "float64": "f8"})  # numpy dtype -> plotly.js typed array (plotly's table)


def _plotly_value(value):
    if isinstance(value, np.ndarray) and (value.dtype.name in TYPED or value.dtype.name == "int64"):
        if value.size == 0:  # plotly leaves empty arrays as lists
            return []
        if value.dtype.name == "int64":  # plotly.js has no 64-bit integers: the narrowest type that fits
            low, high = int(value.min()), int(value.max())
            fits = [t for t in ("int8", "int16", "int32") if np.iinfo(t).min <= low and high <= np.iinfo(t).max]
            if not fits:
                raise TypeError("figure_json cannot write int64 values beyond int32 as plotly would")
            value = value.astype(fits[0])
        spec = {"dtype": TYPED[value.dtype.name], "bdata": base64.b64encode(np.ascontiguousarray(value)).decode()}
        return {**spec, "shape": str(value.shape)[1:-1]} if value.ndim > 1 else spec
    if isinstance(value, go.layout.Template):
        return value.to_plotly_json()
    kind = f"{value.dtype} array" if isinstance(value, np.ndarray) else type(value).__name__
    raise TypeError(f"figure_json cannot write a {kind} as plotly would")


def empty_spec(message: str, height: int = 240) -> tuple[list[dict], dict]:
    """(data, layout) of a placeholder chart that says why there is nothing to draw (never a blank box)."""
    return [], base_layout("", height, xaxis={"visible": False}, yaxis={"visible": False}, annotations=[
        {"text": esc(message), "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper", "showarrow": False,
         "font": {"size": 14, "color": "#6b7280"}}])


def empty_figure(message: str, height: int = 240) -> go.Figure:
    """The placeholder chart of ``empty_spec``, as a Figure."""
    return figure(*empty_spec(message, height))
