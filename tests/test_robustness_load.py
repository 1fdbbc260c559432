"""Issue 7, load: many concurrent gradio_client sessions against the launched app (loopback only): zero
errors, and each session gets the results for its own inputs; and many pages calling the Explore tab's server
function at once, each keeping its own last decode. Sized for about half a minute on a busy 2-core machine;
benchmarks/load.py is the long run (2000 requests, server RSS).
Also: no module of playground/ui holds mutable state at module level, where sessions would share it, and the
server hands freed memory back (MemoryTrim) at a bounded rate."""

from __future__ import annotations

import importlib
import json
import pkgutil
import time
from collections import OrderedDict, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import torch
from gradio_client import Client
from helpers import tiny_store

import playground.ui
from playground.ui.common.controls import UiParams
from playground.ui.common.runtime import MemoryTrim

pytestmark = pytest.mark.server
SESSIONS, REQUESTS = 20, 10
LETTERS = "abcdefghijklmnopqrstuvwxyz"
STRATEGIES = (dict(strategy="greedy"), dict(strategy="beam", beam_width=3, num_return=2),
              dict(strategy="sample", num_samples=3, num_return=3, seed=7))


def word(session: int, request: int) -> str:
    """A distinct input for every (session, request): 'b' + 'c' + ... so no two requests look alike."""
    return LETTERS[session] + LETTERS[request] + LETTERS[(session + request) % 26] * (1 + request % 3)


@pytest.fixture(scope="module")
def url():
    from playground.ui import build_demo
    from playground.ui.server import serve

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as app.py (configure_threads): one intra-op thread per concurrent decode
    url, demo = serve(build_demo(tiny_store()), ports=range(7900, 7910))
    assert url.startswith("http://127.0.0.1:")  # loopback only
    yield url
    demo.close()
    torch.set_num_threads(threads)


def run_session(url: str, session: int) -> list[str]:
    """One browser-like session: REQUESTS /decode calls, then /explore and /select_hypothesis (gr.State)."""
    problems = []
    client = Client(url, verbose=False)
    for request in range(REQUESTS):
        text, knobs = word(session, request), STRATEGIES[request % len(STRATEGIES)]
        try:
            out = client.predict(text, "g2p-tiny", api_name="/decode", max_length=6, **knobs)
        except Exception as e:  # noqa: BLE001 - every failure is a finding, reported below
            problems.append(f"session {session} {text!r}: {type(e).__name__}: {e}")
            continue
        if out["source"] != list(text) or out["strategy"] != knobs["strategy"] or out["model"] != "g2p-tiny":
            problems.append(f"session {session} asked {text!r}, got {out['source']} / {out['strategy']}")
    text = word(session, 0)
    try:
        summary = client.predict(text, "g2p-tiny", strategy="beam", beam_width=3, num_return=2, max_length=6,
                                 hypothesis=1, api_name="/select_hypothesis")["summary"]
    except Exception as e:  # noqa: BLE001
        return problems + [f"session {session} explore: {type(e).__name__}: {e}"]
    if not summary.startswith(f"<b>{text}</b> →"):
        problems.append(f"session {session} typed {text!r}, its views show {summary[:40]!r}")
    return problems


def page_calls(url: str, session: int) -> list[str]:
    """One page: its server function decodes a word, then re-renders its own decode (the per-page session)."""
    config = httpx.get(f"{url}/config").json()
    header = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "explore-header")
    call = lambda fn, data: httpx.post(f"{url}/gradio_api/component_server/", json={  # noqa: E731
        "session_hash": f"s{session}", "component_id": header, "fn_name": fn, "data": data}, timeout=60).json()
    text, token = word(session, 1), f"page-{session}"
    first = call("explore", {"token": token, "model": "g2p-tiny", "text": text, **UiParams(max_length=6).controls()})
    again = call("pick", {"token": token, "hypothesis": 0, "step": 2})
    shown = [json.loads(first).get("summary", first), json.loads(again).get("summary", again)]
    return [f"page {session} typed {text!r}, got {s[:40]!r}" for s in shown if not s.startswith(f"<b>{text}</b>")]


def test_concurrent_pages_keep_their_own_decodes_through_the_server_function(url):
    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        problems = [p for ps in pool.map(lambda s: page_calls(url, s), range(SESSIONS)) for p in ps]
    assert problems == [], problems[:5]


def test_concurrent_sessions_get_their_own_results_without_errors(url):
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        problems = [p for ps in pool.map(lambda s: run_session(url, s), range(SESSIONS)) for p in ps]
    elapsed = time.monotonic() - start
    assert problems == [], problems[:5]
    print(f"\n{SESSIONS} sessions x ({REQUESTS} /decode + /explore + /select_hypothesis) in {elapsed:.1f} s")


MUTABLE = (list, dict, set, bytearray, deque, OrderedDict, defaultdict)


def test_no_module_level_mutable_state_in_the_ui():
    """Per-session state lives in gr.State; module-level tables are read-only (tuple, frozenset,
    MappingProxyType), so no request can change what another session sees."""
    found = []
    modules = [info.name for info in pkgutil.walk_packages(playground.ui.__path__, "playground.ui.")]
    assert "playground.ui.explore.events" in modules and "playground.ui.tabs.compare" in modules
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if not name.startswith("__") and isinstance(value, MUTABLE):
                found.append(f"{module_name}.{name}: {type(value).__name__}")
    assert found == []


def test_memory_trim_runs_at_most_once_per_interval():
    now = [0.0]
    trim = MemoryTrim(interval_s=1.0, clock=lambda: now[0])
    if trim._trim is None:
        pytest.skip("not glibc: nothing to trim")
    assert trim() and not trim()
    now[0] = 0.99
    assert not trim()
    now[0] = 1.0
    assert trim()
