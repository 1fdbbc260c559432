"""The Explore tab's hot path: the page's JavaScript calls these functions directly and draws what they return.

Why: through a Gradio event, a decoding slider's change went request -> queue -> pre/postprocessing -> the
frontend's state update over ~245 components -> four Plotly draws, 333-430 ms p50 (benchmarks/README.md). A
``gr.HTML`` server function is a plain POST (``/gradio_api/component_server``) answered from Gradio's thread
pool, so here the page sends the controls, gets back one JSON string (the summary, the pickers, the share
string and the views JSON of step_views.py) and draws it itself (explore.js); no Gradio component is updated.

What that costs, and how it is paid for here:
- no queue and no concurrency limit: a decode takes one of the process's decode slots (runtime.DECODE_SLOTS,
  which every Gradio decode event takes too: one limit for all) and waits at most ``wait_s`` for one; the model
  is looked up before (a Hub model still loading answers "still loading" without holding a slot); the page keeps
  one call in flight and sends only the latest controls (explore.js), so a burst of slider events never piles up;
- no gr.State: a page sends a random token with each call, and ``sessions`` keeps each page's last good
  decode (at most 1000 pages, an hour after their last call, and PLAYGROUND_TRACES_MAX_BYTES of traces in all,
  default 256 MB: the least recently used go first), for the hypothesis and attention pickers and the trace
  export; freed memory is handed back to the system after each call (runtime.MemoryTrim, as the other tabs);
- an exception would reach the page as ``undefined``: every failure comes back as ``{"error": message}``.
Everything here is thread-safe: the models are read-only, the store's caches and the sessions are locked.
"""

from __future__ import annotations

import json
import logging
import threading

from playground.analysis.branch import branch_prefix, node_prefix
from playground.decoding.budget import cut_by_budget, env_count
from playground.decoding.config import MAX_LENGTH
from playground.decoding.validate import whole
from playground.models.checkpoint import brief
from playground.ui.common.controls import CONTROL_NAMES, UiParams
from playground.ui.common.events import TRIM, USER_ERRORS
from playground.ui.common.runtime import BusyError
from playground.ui.common.style import esc
from playground.ui.explore.handlers import Session, export_dict, render_views, run_decode, with_branch, without_branch
from playground.ui.explore.selection import Selection
from playground.ui.explore.share import share_string
from playground.ui.store import Recent, check_response, check_trace_estimate, max_response_bytes, trace_nbytes

log = logging.getLogger(__name__)
SESSIONS, SESSION_TTL_S = 1000, 3600.0  # pages whose last decode is kept, and for how long after their last call
TRACES_ENV, DEFAULT_TRACES_BYTES = "PLAYGROUND_TRACES_MAX_BYTES", 256 * 2**20  # ... and their traces' bytes in all
WAIT_S = 30.0  # how long a call waits for a free decode slot before it says the server is busy
MAX_TOKEN = 64
MAX_MESSAGE = 500  # characters of an error message shown (one may quote what a request sent)


class ExploreService:
    def __init__(self, store, *, concurrency: int | None = None, slots=None, wait_s: float = WAIT_S,
                 sessions: Recent | None = None):
        """``slots``: the decode slots shared with the rest of the app (runtime.DECODE_SLOTS); else a semaphore of
        ``concurrency`` of its own (tests, benchmarks)."""
        self.store, self.wait_s = store, wait_s
        self.slots = slots if slots is not None else threading.BoundedSemaphore(concurrency or 1)
        self.sessions = sessions or Recent(SESSIONS, ttl_s=SESSION_TTL_S, max_bytes=traces_max_bytes(),
                                           weigh=session_nbytes)  # page token -> Session

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

    def branch(self, payload) -> str:
        """Branch the page's last decode (analysis/branch.py): force a token at a step of a hypothesis ({token,
        hypothesis, step, branch_token: an id}: a bar of the step distribution) or continue from a node of the
        tree ({token, node}), or clear the branch ({token, clear: true}); the views follow the branch's best."""
        return self._guarded(self._branch, payload)

    def server_functions(self) -> list:
        """The calls as plain functions named as the page calls them (gr.HTML marks each function it is given,
        and a bound method cannot be marked)."""
        def explore(payload):
            return self.explore(payload)

        def pick(payload):
            return self.pick(payload)

        def export(payload):
            return self.export(payload)

        def branch(payload):
            return self.branch(payload)

        return [explore, pick, export, branch]

    # --- the work ------------------------------------------------------------------------------------------
    def _explore(self, payload: dict) -> str:
        values = {name: payload.get(name) for name in CONTROL_NAMES}
        values["seed"] = 0 if values["seed"] is None else values["seed"]  # an emptied Number box gives None
        model, text = payload.get("model"), payload.get("text")
        if not isinstance(text, str):
            raise ValueError(f"the input must be text, got {type(text).__name__}")
        self.store.get(model)  # (an unknown model, or a Hub model still loading, is said before taking a slot)
        if not self.slots.acquire(timeout=self.wait_s):
            raise BusyError("the server is busy decoding for others; try again in a moment")
        try:
            session = run_decode(self.store, model, text, UiParams(**values), payload.get("language") or "",
                                 branch=branch_symbols(payload.get("branch")))
        finally:
            self.slots.release()
        if not self.sessions.put(_token(payload), session):
            log.warning("a trace of about %d bytes is over the pages' budget: not kept", trace_nbytes(session.trace))
        warning = session.trace.message if cut_by_budget(session.trace) else ""
        return respond(session, branch_choice(session), payload, warning=warning)

    def _branch(self, payload: dict) -> str:
        session = self.sessions.get(_token(payload))
        if session is None:
            raise ValueError("this page's decoding has expired; change any control to decode again")
        if payload.get("clear"):
            session = without_branch(session)
        else:
            trace = session.trace
            if "node" in payload:
                prefix = node_prefix(trace, whole(payload.get("node")))
            else:
                sel = Selection.of(trace, whole(payload.get("hypothesis", 0)))
                token = whole(payload.get("branch_token"))
                symbol = trace.target_symbols[token] if isinstance(token, int) and 0 <= token < len(
                    trace.target_symbols) else token
                prefix = branch_prefix(trace, sel.hypothesis, whole(payload.get("step")), symbol)
            if not self.slots.acquire(timeout=self.wait_s):
                raise BusyError("the server is busy decoding for others; try again in a moment")
            try:
                session = with_branch(self.store, session, prefix)
            finally:
                self.slots.release()
        self.sessions.put(_token(payload), session)
        b = session.trace.branch  # the views open on the branch's best, at its forced token
        step = 1 if b is None else session.trace.nodes[b.node].step + 1
        return respond(session, branch_choice(session), {**payload, "step": step})

    def _pick(self, payload: dict) -> str:
        session = self.sessions.get(_token(payload))
        if session is None:
            raise ValueError("this page's decoding has expired; change any control to decode again")
        return respond(session, whole(payload.get("hypothesis", 0)), payload)

    def _export(self, payload: dict) -> str:
        session = self.sessions.get(_token(payload))
        if session is None:
            raise ValueError("nothing decoded yet on this page")
        limit = max_response_bytes()
        check_trace_estimate(session.trace, limit)
        answer = json.dumps(export_dict(session), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        check_response(len(answer), limit)
        return answer

    def _guarded(self, work, payload) -> str:
        try:
            if not isinstance(payload, dict):
                raise ValueError(f"expected the page's settings as an object, got {type(payload).__name__}")
            return work(payload)
        except (*USER_ERRORS, BusyError) as e:  # messages written for people, shown next to the controls
            return json.dumps({"error": f"Cannot decode: {esc(brief(str(e), MAX_MESSAGE, quote=False))}"})
        except Exception:
            log.exception("explore failed for %s", {k: brief(payload.get(k)) for k in ("model", "text", "strategy")}
                          if isinstance(payload, dict) else brief(payload))
            return json.dumps({"error": "Decoding failed unexpectedly; the server log has the details."})
        finally:
            TRIM()


def traces_max_bytes() -> int:
    """The pages' traces' budget: PLAYGROUND_TRACES_MAX_BYTES (a whole number of bytes), else 256 MiB."""
    return env_count(TRACES_ENV, DEFAULT_TRACES_BYTES, "bytes")


def session_nbytes(session: Session) -> int:
    return trace_nbytes(session.trace) + len(session.text) + 1000


def branch_symbols(value) -> list[str] | None:
    """The page's branch (its forced symbols, as the answers give them), checked; None without one."""
    if not value:
        return None
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value) or len(value) > MAX_LENGTH:
        raise ValueError(f"a branch is a list of at most {MAX_LENGTH} output symbols")
    return value


def branch_choice(session: Session) -> int:
    """The hypothesis a decode opens on: the best, or a branch's best when there is a branch."""
    return Selection.of(session.trace).branch_from or 0


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
              "head": -1 if head is None else head, "branch": session.branch,
              "share": share_string(model=session.model, text=session.text, params=session.params,
                                    language=session.language, branch=tuple(session.branch)),
              # what was decoded, as the page's controls (explore.js starts from the first answer's)
              "input": {"model": session.model, "text": session.text, "language": session.language,
                        **session.params.controls()}}
    return json.dumps(fields, ensure_ascii=False)[:-1] + ',"views":' + views.step_views + "}"
