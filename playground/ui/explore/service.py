"""The Explore tab's hot path: the page's JavaScript calls these functions directly and draws what they return.

Why: through a Gradio event, a decoding slider's change went request -> queue -> pre/postprocessing -> the
frontend's state update over ~245 components -> four Plotly draws, 333-430 ms p50 (benchmarks/README.md). A
``gr.HTML`` server function is a plain POST (``/gradio_api/component_server``) answered from Gradio's thread
pool, so here the page sends the controls, gets back one JSON string (the summary, the pickers, the share
string and the views JSON of step_views.py) and draws it itself (explore.js); no Gradio component is updated.

What that costs, and how it is paid for here:
- no queue and no concurrency limit: a decode takes one of ``concurrency`` slots (a semaphore sized like the
  "decode" concurrency group of the other tabs) and waits at most ``wait_s`` for one; the page keeps one call
  in flight and sends only the latest controls (explore.js), so a burst of slider events never piles up;
- no gr.State: a page sends a random token with each call, and ``sessions`` keeps each page's last good
  decode (at most 1000 pages, an hour after their last call), for the hypothesis and attention pickers and
  the trace export;
- an exception would reach the page as ``undefined``: every failure comes back as ``{"error": message}``.
Everything here is thread-safe: the models are read-only, the store's caches and the sessions are locked.
"""

from __future__ import annotations

import json
import logging
import threading

from playground.decoding.budget import cut_by_budget
from playground.decoding.validate import whole
from playground.ui.common.controls import CONTROL_NAMES, UiParams
from playground.ui.common.events import USER_ERRORS
from playground.ui.common.style import esc
from playground.ui.explore.handlers import Session, render_views, run_decode
from playground.ui.explore.share import ShareView, view_string
from playground.ui.store import Recent

log = logging.getLogger(__name__)
SESSIONS, SESSION_TTL_S = 1000, 3600.0  # pages whose last decode is kept, and for how long after their last call
WAIT_S = 30.0  # how long a call waits for a free decode slot before it says the server is busy
MAX_TOKEN = 64


class ExploreService:
    def __init__(self, store, *, concurrency: int, wait_s: float = WAIT_S, sessions: Recent | None = None):
        self.store, self.wait_s = store, wait_s
        self.slots = threading.BoundedSemaphore(concurrency)
        self.sessions = sessions or Recent(SESSIONS, ttl_s=SESSION_TTL_S)  # page token -> Session

    # --- the three server functions: payload (a dict from the page) -> one JSON string ---------------------
    def explore(self, payload) -> str:
        """Decode with the page's controls: {token, model, text, language, step, layer, head, <CONTROL_NAMES>...}."""
        return self._guarded(self._explore, payload)

    def pick(self, payload) -> str:
        """Re-render the page's last decode for another hypothesis, attention layer or head: {token,
        hypothesis, step, layer, head}. No decoding."""
        return self._guarded(self._pick, payload)

    def export(self, payload) -> str:
        """The page's last decode, its whole trace as JSON (with model and input): {token}."""
        return self._guarded(self._export, payload)

    def server_functions(self) -> list:
        """The three calls as plain functions named as the page calls them (gr.HTML marks each function it is
        given, and a bound method cannot be marked)."""
        def explore(payload):
            return self.explore(payload)

        def pick(payload):
            return self.pick(payload)

        def export(payload):
            return self.export(payload)

        return [explore, pick, export]

    # --- the work ------------------------------------------------------------------------------------------
    def _explore(self, payload: dict) -> str:
        values = {name: payload.get(name) for name in CONTROL_NAMES}
        values["seed"] = 0 if values["seed"] is None else values["seed"]  # an emptied Number box gives None
        model, text = payload.get("model"), payload.get("text")
        if not self.slots.acquire(timeout=self.wait_s):
            raise BusyError("the server is busy decoding for others; try again in a moment")
        try:
            session = run_decode(self.store, model, text, UiParams(**values), payload.get("language") or "")
        finally:
            self.slots.release()
        self.sessions.put(_token(payload), session)
        warning = session.trace.message if cut_by_budget(session.trace) else ""
        return respond(session, 0, payload, warning=warning)

    def _pick(self, payload: dict) -> str:
        session = self.sessions.get(_token(payload))
        if session is None:
            raise ValueError("this page's decoding has expired; change any control to decode again")
        return respond(session, whole(payload.get("hypothesis", 0)), payload)

    def _export(self, payload: dict) -> str:
        session = self.sessions.get(_token(payload))
        if session is None:
            raise ValueError("nothing decoded yet on this page")
        return json.dumps(dict(session.trace.to_dict(), model=session.model, text=session.text),
                          ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    def _guarded(self, work, payload) -> str:
        try:
            if not isinstance(payload, dict):
                raise ValueError(f"expected the page's settings as an object, got {type(payload).__name__}")
            return work(payload)
        except (*USER_ERRORS, BusyError) as e:  # messages written for people, shown next to the controls
            return json.dumps({"error": f"Cannot decode: {esc(str(e))}"})
        except Exception:
            log.exception("explore failed for %s", {k: payload.get(k) for k in ("model", "text", "strategy")}
                          if isinstance(payload, dict) else payload)
            return json.dumps({"error": "Decoding failed unexpectedly; the server log has the details."})


class BusyError(RuntimeError):
    """Every decode slot stayed taken for WAIT_S seconds."""


def _token(payload: dict) -> str:
    token = payload.get("token")
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
        raise ValueError("the page sent no session token; reload the page")
    return token


def respond(session: Session, hypothesis, payload: dict, warning: str = "") -> str:
    """Everything the page shows for one decode and selection, as one JSON string: the views JSON of
    step_views.py goes in as the text it already is (no second encoding pass)."""
    layers, heads = session.trace.attention_heads
    step, layer, head = whole(payload.get("step", 1)), whole(payload.get("layer")), whole(payload.get("head"))
    layer = layer if isinstance(layer, int) and 0 <= layer < layers else layers - 1
    head = head if isinstance(head, int) and 0 <= head < heads else None
    views = render_views(session, hypothesis if isinstance(hypothesis, int) else 0,
                         (step if isinstance(step, int) else 1) - 1, layer, head)
    fields = {"model": session.model, "summary": views.summary, "notes": [esc(n) for n in session.notes],
              "warning": esc(warning),
              "hypotheses": [label for label, _ in views.hypotheses], "hypothesis": views.hypothesis,
              "steps": views.steps, "step": views.step + 1, "heads": list(views.attention_heads), "layer": layer,
              "head": -1 if head is None else head,
              "share": view_string(ShareView(model=session.model, text=session.text, params=session.params,
                                             language=session.language))}
    return json.dumps(fields, ensure_ascii=False)[:-1] + ',"views":' + views.step_views + "}"
