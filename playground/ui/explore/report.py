"""The Explore view as a report (common/report.py): what the page shows for one decode, at the hypothesis, step and
attention it shows, in one HTML file.

In order: the summary line, the setting (input, model, target language, every control, which of them the strategy
reads, the branch, what the views follow), the outputs, every chart of the registry (charts.py) as the page draws
it at that step, and the Share string with its link. A per-step chart is the one of the shown step (the page's
step slider is not in the file). No gradio here: the page's server function and /report (ui/report_api.py) call
``explore_report``.
"""

from __future__ import annotations

import html
import math
import re

from playground.ui.common.controls import CONTROLS, STRATEGY_CHOICES, UiParams, visible_controls
from playground.ui.common.labels import is_arpabet, readable
from playground.ui.common.report import MAX_TEXT, Chart, Link, Links, Report, Section, Table
from playground.ui.common.style import figure_json
from playground.ui.explore import charts
from playground.ui.explore.handlers import Session, render_views
from playground.ui.explore.selection import BRANCH_MARK, Selection

TAG = re.compile(r"<[^>]*>")


def plain(markup: str) -> str:
    """Our own summary HTML (handlers.summary_html, where every model string is escaped) as plain text: line
    breaks kept, tags dropped, entities read back (the report escapes it again)."""
    return html.unescape(TAG.sub("", re.sub(r"<br\s*/?>", "\n", markup)))


def setting_rows(params: UiParams) -> list[tuple[str, str]]:
    """Every control, by its label: the strategy, then the controls it reads, then one row with those it ignores."""
    strategy = dict((name, label) for label, name in STRATEGY_CHOICES).get(params.strategy, str(params.strategy))
    shown = visible_controls(params.strategy, params.length_penalty_formula)
    values = params.controls()
    rows = [("Strategy", strategy)]
    rows += [(CONTROLS[name].label, _value(values[name])) for name, used in shown.items() if used]
    unused = [f"{CONTROLS[name].label} {_value(values[name])}" for name, used in shown.items() if not used]
    if unused:
        rows.append((f"Not read by {strategy}", " · ".join(unused)))
    return rows


def view_link(share: str, base_url: str, label: str) -> Link:
    """The Share string and, given the playground's address, the link that reopens the view (none for anything but
    a view string's URL-safe base64: share.share_string gives a sentence when a view cannot be a string)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", share) or not re.match(r"https?://", base_url or ""):
        return Link(label=f"{label}: paste the string into “Open a view” under Share and export", text=share)
    return Link(label=label, url=f"{base_url.split('?')[0]}?view={share}", text=share)


def explore_report(session: Session, *, share: str, model_label: str, hypothesis: int = 0, step: int = 1,
                   layer: int | None = None, head: int | None = None, base_url: str = "") -> Report:
    """The report of ``session`` (a page's last decode) at ``hypothesis`` (0 = the best), ``step`` (1-based),
    ``layer`` and ``head`` (None or -1: the last layer, the mean of its heads), as the page's views clamp them;
    ``share``: its view string (service.respond's, which the page keeps; /report's input)."""
    layers, heads = session.trace.attention_heads if session.trace is not None else (1, 1)
    layer = layer if isinstance(layer, int) and 0 <= layer < layers else None  # (-1, as the page sends: the last)
    head = head if isinstance(head, int) and 0 <= head < heads else None  # (-1: the mean of the heads)
    views = render_views(session, hypothesis if isinstance(hypothesis, int) else 0,
                         (step if isinstance(step, int) else 1) - 1, layer, head)
    sel = Selection.of(session.trace, views.hypothesis, layer, head)
    strategy = setting_rows(session.params)[0][1]
    title = f"{session.text} · {strategy} · {model_label}"
    summary = [plain(views.summary)] + [f"Note: {n}." for n in session.notes]
    blocks = (Section(title="", paragraphs=tuple(summary)),
              Table(title="Setting", columns=(), rows=tuple(_facts(session, sel, views, model_label))),
              _outputs(sel),
              *(Chart(name=chart.name, figure=figure_json(*views.specs[chart.name]), caption=chart.caption)
                for chart in charts.CHARTS),
              Links(title="Share", links=(view_link(share, base_url, "Open this view in the playground"),)))
    return Report(title=title, subject=session.text, blocks=blocks)


def _facts(session: Session, sel: Selection, views, model_label: str) -> list[tuple[str, str]]:
    rows = [("Input", session.text), ("Model", f"{model_label} ({session.model})")]
    if session.language:
        rows.append(("Target language", session.language))
    rows += setting_rows(session.params)
    if session.branch:
        rows.append(("Branch", "forced " + " ".join(session.branch)))
    shown = f"output {views.hypothesis + 1} of {len(views.hypotheses)}, step {views.step + 1} of {views.steps}"
    attention = sel.attention_label()
    return rows + [("The charts show", shown + (f", attention {attention}" if attention else ""))]


def _outputs(sel: Selection) -> Table:
    arpabet = is_arpabet(sel.trace.target_symbols)
    rows = []
    for i, h in enumerate(sel.shown):
        number = f"{BRANCH_MARK} {i - sel.branch_from + 1}" if sel.is_branch(i) else str(i + 1)
        rows.append((number, readable(h.tokens, arpabet, max_chars=MAX_TEXT), f"{h.log_prob:.3f}", f"{h.score:.3f}",
                     f"{math.exp(max(h.log_prob, -745.0)):.3g}", "yes" if h.finished else "no (max length)"))
    return Table(title="Outputs", columns=("#", "output", "log p(y|x)", "score", "p(y|x)", "ended with </s>"),
                 rows=tuple(rows))


def _value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
