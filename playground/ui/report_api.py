"""Reports over the wire (common/report.py builds them): the Explore tab's "Download report", the Learn tab's
"Report (HTML)" and /report.

- The page: a server function of the Explore tab's header (beside service.py's), given the page's token, what its
  views follow (hypothesis, step, attention layer and head), its view string and its address (for the Share link):
  the report of that page's last decode (or of its view string, decoded again, before its first call), as the HTML
  text itself (explore.js saves it), or ``{"error": ...}`` as JSON.
- The Learn tab: a gr.HTML button with a server function of its own, given the lesson the tab shows (its link box
  names it) and the page's address: that lesson's report (tabs/lesson_report.py), from the tab's memo.
- /report (gradio_client): a view string (the Share box's, or /explore's ``share``) decoded again (the engine is
  deterministic for a given seed) with the hypothesis, step, layer and head to show, or a Learn lesson's key; the
  HTML text. ``base_url``, the playground's address, makes the Share string a link too.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import MappingProxyType

import gradio as gr

from playground.decoding.validate import whole
from playground.ui.common.events import DECODE_GROUP, TRIM, USER_ERRORS, named
from playground.ui.common.report import build_html
from playground.ui.common.runtime import gpu
from playground.ui.common.style import esc
from playground.ui.explore.handlers import Session, run_decode
from playground.ui.explore.report import explore_report
from playground.ui.explore.share import parse_view
from playground.ui.store import describe
from playground.ui.tabs import learn_view
from playground.ui.tabs.lesson_report import lesson_report

log = logging.getLogger(__name__)
MAX_TOKEN = 64  # a page's token (service.py)
LESSON_JS = (Path(__file__).parent / "tabs" / "lesson_report.js").read_text(encoding="utf-8")
BUTTON_STYLE = ("width: 100%; white-space: nowrap; background: var(--button-secondary-background-fill); "
                "color: var(--button-secondary-text-color); border: var(--button-border-width) solid "
                "var(--button-secondary-border-color); border-radius: var(--button-small-radius); "
                "padding: var(--button-small-padding); font-size: var(--button-small-text-size); "
                "font-weight: var(--button-small-text-weight); "
                "box-shadow: var(--button-secondary-shadow)")  # as the tab's small Gradio buttons (its JSON)
DEFAULTS = MappingProxyType({"view": "", "lesson": "", "hypothesis": 0, "step": 1, "layer": -1, "head": -1,
                             "base_url": ""})


def page_report(service):
    """The Explore tab's server function ``report`` (a plain function: gr.HTML marks what it is given)."""

    def report(payload) -> str:
        return html_or_error(lambda: page_html(service, payload if isinstance(payload, dict) else {}))

    return report


def lesson_button(opened_of) -> gr.HTML:
    """The Learn tab's "Report (HTML)" button: the lesson the tab shows, ``opened_of(key)`` (the tab's memo: a
    learn_view.Opened), as a report (tabs/lesson_report.js saves it)."""

    def report(payload) -> str:
        payload = payload if isinstance(payload, dict) else {}
        base = payload.get("base")
        return html_or_error(lambda: build_html(lesson_report(opened_of(payload.get("lesson")),
                                                              base_url=base if isinstance(base, str) else "")))

    return gr.HTML(f'<button id="lesson-report" type="button" style="{BUTTON_STYLE}">Report (HTML)</button>'
                   '<a id="lesson-report-file" hidden>lesson.html</a> <span id="lesson-report-status" role="status">'
                   '</span>', server_functions=[report], js_on_load=LESSON_JS, elem_id="lesson-report-box",
                   padding=False)


def html_or_error(work) -> str:
    """``work()``'s HTML, or ``{"error": ...}`` as JSON: a server function's exception would reach the page as
    nothing at all."""
    try:
        return work()
    except USER_ERRORS as e:
        return json.dumps({"error": f"Cannot make the report: {esc(str(e))}"})
    except Exception:
        log.exception("a report failed")
        return json.dumps({"error": "The report failed unexpectedly; the server log has the details."})
    finally:
        TRIM()


def page_html(service, payload: dict) -> str:
    """The report of the page that sent ``payload``: {token, share, base, hypothesis, step, layer, head}."""
    token, share, base = payload.get("token"), payload.get("share"), payload.get("base")
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
        raise ValueError("the page sent no session token; reload the page")
    session = service.sessions.get(token) or view_session(service, share)
    return build_html(explore_report(
        session, share=share if isinstance(share, str) else "",
        model_label=describe(session.model, service.store.get(session.model)),
        hypothesis=whole(payload.get("hypothesis", 0)), step=whole(payload.get("step", 1)),
        layer=whole(payload.get("layer")), head=whole(payload.get("head")),
        base_url=base if isinstance(base, str) else ""))


def view_session(service, share) -> Session:
    """A page that has not called the server yet (it opened on the decode the page was built with) or whose last
    decode has expired: decode its view string again, in one of the service's decode slots."""
    if not isinstance(share, str) or not share:
        raise ValueError("nothing decoded on this page yet: change any control")
    view = parse_view(share)
    if not service.slots.acquire(timeout=service.wait_s):
        raise ValueError("the server is busy decoding for others; try again in a moment")
    try:
        return run_decode(service.store, view.model, view.text, view.params, view.language,
                          branch=list(view.branch) or None)
    finally:
        service.slots.release()


def api_report(store, view: str, lesson: str, picks: dict, base_url: str = "") -> str:
    """/report's work: a view string's report at ``picks`` (hypothesis, step, layer, head), or a lesson's."""
    if not isinstance(view, str) or not isinstance(lesson, str) or bool(view.strip()) == bool(lesson.strip()):
        raise ValueError("give either a view string (the Share box's, or /explore's `share`) or a lesson key")
    base_url = base_url if isinstance(base_url, str) else ""
    if lesson.strip():
        key = lesson.strip()
        opened = learn_view.compute(store, key, learn_view.model_for(store, learn_view.lesson_of(key)))
        return build_html(lesson_report(opened, base_url=base_url))
    v = parse_view(view)
    session = run_decode(store, v.model, v.text, v.params, v.language, branch=list(v.branch) or None)
    return build_html(explore_report(session, share=view.strip(), model_label=describe(v.model, store.get(v.model)),
                                     hypothesis=whole(picks["hypothesis"]), step=whole(picks["step"]),
                                     layer=whole(picks["layer"]), head=whole(picks["head"]), base_url=base_url))


def wire(store) -> None:
    """/report, for gradio_client."""

    @gpu
    @named(*DEFAULTS, defaults=DEFAULTS, types={"view": str, "lesson": str, "base_url": str})
    def report(view, lesson, hypothesis, step, layer, head, base_url) -> str:
        """One self-contained HTML file (it opens offline: plotly.js is inside) of either a view, `view` (a Share
        string: the page's Share box, or /explore's `share`), shown at `hypothesis` (0 = the best), `step`
        (1-based), attention `layer` and `head` (-1: the last layer, the mean of its heads), or a Learn lesson,
        `lesson` (its key): the input, the model, every control, the summary, the outputs, every chart
        (interactive), a lesson's question, explanation, formula and source, and the Share string; `base_url`, the
        playground's address (e.g. http://127.0.0.1:7860/), makes that string a link."""
        try:
            return api_report(store, view, lesson, dict(hypothesis=hypothesis, step=step, layer=layer, head=head),
                              base_url)
        except USER_ERRORS as e:
            raise gr.Error(str(e), print_exception=False) from None
        finally:
            TRIM()

    gr.api(report, api_name="report", **DECODE_GROUP)
