"""The Explore tab's own HTML: the summary and status line, the hypothesis and step pickers, the attention
layer/head picker and the share string. explore.js (the js_on_load of the first piece, which also holds the
server functions of service.py) fills them from every answer; Gradio never updates them."""

from __future__ import annotations

import html
import json
from pathlib import Path

import gradio as gr

from playground.ui.common.controls import CONTROL_NAMES
from playground.ui.explore import charts
from playground.ui.report_api import page_report

EXPLORE_JS = Path(__file__).with_name("explore.js").read_text(encoding="utf-8")


def call_js(params: str, method: str, args: str) -> str:
    """A JavaScript-only event's function: ``(params) =>`` explore.js's ``method`` called with ``args``
    (expressions over the params). A call that comes before explore.js has run (a view link's, on a slow machine)
    waits in window.__exploreEarly, the latest of each method; explore.js makes them when it starts."""
    return (f"({params}) => {{ const a = [{args}]; if (window.__explore) window.__explore.{method}(...a); "
            f"else (window.__exploreEarly ||= {{}}).{method} = a; return []; }}")


def summary(first: str, service) -> gr.HTML:
    """Status line and summary; the carrier of explore.js and of the server functions. ``first``: the answer
    (service.respond) for the decode the page opens with, drawn without a server call. ``data-charts``: the
    chart names (charts.py), which explore.js draws."""
    return gr.HTML(f"""<div id="explore-view" data-controls="{html.escape(json.dumps(CONTROL_NAMES))}"
  data-charts="{html.escape(json.dumps(charts.names()))}" data-initial="{html.escape(first)}">
  <div id="status" role="status" aria-live="polite"></div>
  <div id="summary" aria-live="polite"></div>
</div>""", server_functions=[*service.server_functions(), page_report(service)], js_on_load=EXPLORE_JS,
                   elem_id="explore-header", padding=False)


def pickers() -> gr.HTML:
    """Which hypothesis the views follow, and which output position (the step slider: no server call)."""
    return gr.HTML("""<div id="explore-pickers">
  <fieldset id="hypothesis" hidden><legend>Hypothesis shown below</legend><div id="hypotheses"></div></fieldset>
  <div class="explore-step">
    <label for="step-input">Step</label>
    <input type="range" id="step-input" min="1" max="1" value="1" step="1" aria-describedby="step-help">
    <output id="step-value" for="step-input"></output>
    <div id="step-help" class="help">the output position shown in every view below · click a bar of the step
      distribution (or a node of the tree) to force that symbol there and let the search go on from it</div>
  </div>
  <button id="clear-branch" type="button" hidden>Clear branch</button>
</div>""", elem_id="explore-step-picker", padding=False, js_on_load=None)


def attention_picker() -> gr.HTML:
    """The decoder layer and head the attention map shows (hidden for a model with one attention)."""
    return gr.HTML("""<div id="attention-picker" hidden>
  <label for="attention-layer">Attention layer</label> <select id="attention-layer"></select>
  <label for="attention-head">Head</label> <select id="attention-head"></select>
</div>""", elem_id="explore-attention-picker", padding=False, js_on_load=None)


def share_view() -> gr.HTML:
    """This view as a string and a link, the trace as a JSON download and the view as a report (report_api.py;
    explore.js keeps them current)."""
    return gr.HTML("""<div id="share-view">
  <label for="share-string">This view as a string</label>
  <input id="share-string" readonly aria-describedby="share-help">
  <div id="share-help" class="help">paste it into "Open a view" on any copy of the playground</div>
  <p><a id="share-link" href="?view=">Open this view in a new tab</a> (the link reproduces input, model,
  strategy, every setting and the seed)</p>
  <p><button id="export-trace" type="button">Export this trace as JSON</button>
  <a id="trace-file" hidden>trace.json</a>
  <button id="download-report" type="button">Download report (HTML)</button>
  <a id="report-file" hidden>report.html</a></p>
  <div class="help">the report: one HTML file that opens offline, with this view's setting, outputs and every chart
    (interactive) at the shown output and step, and the link back</div>
</div>""", elem_id="share-view-box", padding=False, js_on_load=None)


CSS = """
#explore-view #status { min-height: 0; color: #b45309; font-weight: 500; }
#explore-view #summary { font-size: 1.1rem; margin: 4px 0; }
#explore-view[aria-busy="true"] #summary { opacity: 0.6; }
#explore-pickers fieldset { border: 0; padding: 0; margin: 4px 0; }
#explore-pickers legend, #explore-pickers label, #attention-picker label, #share-view label { font-weight: 600; }
#hypotheses .choice { display: inline-flex; gap: 4px; margin: 2px 12px 2px 0; }
.explore-step { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 6px 0; }
.explore-step input[type=range] { flex: 1 1 240px; }
.help { font-size: 0.85rem; color: #6b7280; flex-basis: 100%; }
#attention-picker select { margin-right: 12px; }
#share-view input { width: 100%; font-family: ui-monospace, monospace; }
"""
