"""The Explore charts, registered once: everything else takes the chart list from ``CHARTS``.

Why one table: the server's render (handlers.render_views), the views JSON (step_views.py), the tab's plots and
captions (tab.py), the page's JavaScript (explore.js reads the names from the page: header.py) and the notebook
API (playground/views.py) all loop over it, so adding a chart is one module and one line here.

How a chart follows the step slider, which moves without a server call, is part of its entry: a chart with
``marks`` keeps its data and only moves those layout keys; a ``per_step`` chart is sent whole for every step;
any other chart does not depend on the step. No gradio here: the notebook API imports this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from playground.ui.common.style import f32
from playground.ui.explore.attention import attention_marks, attention_spec, prompt_end
from playground.ui.explore.distribution import distribution_spec
from playground.ui.explore.lens import lens_spec
from playground.ui.explore.results import results_spec
from playground.ui.explore.selection import Selection
from playground.ui.explore.tokens import tokens_marks, tokens_spec
from playground.ui.explore.tree import tree_marks, tree_spec
from playground.ui.explore.uncertainty import uncertainty_marks, uncertainty_spec

Spec = tuple[list[dict], dict]  # a figure's (data, layout) as plain dicts (style.figure builds the Figure)
RESERVED = frozenset({"steps", "hypothesis", "shown", "keys", "marks", "figures"})  # the views JSON's own keys


@dataclass(frozen=True)
class Chart:
    name: str  # the element id is plot-<name>; the chart's key in the views JSON
    spec: Callable[[Selection, int], Spec]  # (selection, step 0-based) -> the figure, step marks included
    caption: str  # one line under the chart: how to read it
    marks: Callable[[Selection, int], dict] | None = None  # (selection, step) -> the layout keys a step moves
    per_step: bool = False  # the whole figure changes with the step: every step's is sent
    row: str = ""  # charts with the same row name sit side by side, one column each ("": a row of its own)
    above: str = ""  # a picker drawn above the chart (tab.PICKERS)
    below: str = ""  # a picker drawn under its caption (tab.PICKERS)

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name) or self.name in RESERVED:
            raise ValueError(f"chart name {self.name!r}: lower-case letters, digits and _, none of {sorted(RESERVED)}")
        if self.marks is not None and self.per_step:
            raise ValueError(f"chart {self.name!r}: step marks or a figure per step, not both")


CHARTS: tuple[Chart, ...] = (
    Chart("results", lambda sel, t: results_spec(sel),
          caption="One row per output, best first: grey = raw log p(y|x), blue = the score the search ranked by "
                  "(one bar when they are the same). Nearer 0 = more likely."),
    Chart("tokens", tokens_spec, marks=tokens_marks, below="steps",
          caption="The outputs token by token, coloured by p at T=1. Hover a token: its probability (after filtering "
                  "too), its rank and the alternatives the model offered there. Click it: every view shows that "
                  "output at that step."),
    Chart("distribution", distribution_spec, per_step=True, row="step",
          caption="Next-symbol probabilities at the selected step: light = model (T=1), mid = after "
                  "temperature, dark = after top-k/top-p/min-p. Dashed = cut-off; bold = taken."),
    Chart("attention", attention_spec, marks=lambda sel, t: attention_marks(f32(sel.attention), t, prompt_end(sel)),
          row="step",
          above="attention",
          caption="Row = output symbol, column = input symbol; dark = where the decoder looked while "
                  "producing that row. Orange box = the selected step."),
    Chart("tree", tree_spec, marks=lambda sel, t: tree_marks(t),
          caption="Every candidate the search scored, by step: ● kept, ○ pruned, ◆ finished; orange = the "
                  "selected hypothesis, band = the selected step. Hover a node for its log-probabilities."),
    Chart("uncertainty", uncertainty_spec, marks=lambda sel, t: uncertainty_marks(t),
          caption="Along the selected hypothesis: probability of the symbol taken, entropy (0 = certain) "
                  "before and after filtering, and how many symbols survived filtering."),
    Chart("lens", lens_spec, per_step=True,
          caption="Logit lens: each decoder layer's output read through the final norm and the output layer at the "
                  "selected step. Row = layer (top: the last, the model's own distribution), column = a token some "
                  "layer ranks in its top 3, cell = probability; orange box = the token taken."),
)


# The functions below read CHARTS when called (never a copy taken at import), so that a test can register a
# throwaway chart by replacing CHARTS and see every consumer pick it up.


def names() -> list[str]:
    """The chart names in page order (the header's data-charts attribute: explore.js draws these)."""
    return [chart.name for chart in CHARTS]


def rows() -> list[tuple[Chart, ...]]:
    """The page's rows top to bottom: consecutive charts with the same ``row`` name share one."""
    out = []
    for row, group in groupby(CHARTS, key=lambda chart: chart.row):
        group = tuple(group)
        out += [group] if row else [(chart,) for chart in group]
    return out


def specs(sel: Selection, t: int) -> dict[str, Spec]:
    """Every chart for the selection at step ``t`` (0-based, within the path): name -> (data, layout)."""
    return {chart.name: chart.spec(sel, t) for chart in CHARTS}
