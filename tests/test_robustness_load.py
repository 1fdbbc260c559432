"""Issue 7, load: many concurrent gradio_client sessions against the launched app (loopback only): zero
errors, and each session gets the results for its own inputs, including its own gr.State. Sized for about
half a minute on a busy 2-core machine; benchmarks/load.py is the long run (2000 requests, server RSS).
Also: no module of playground/ui holds mutable state at module level, where sessions would share it, and the
server hands freed memory back (MemoryTrim) at a bounded rate."""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections import OrderedDict, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch
from gradio_client import Client

import playground.ui
from playground.ui.common.runtime import MemoryTrim
from tests.helpers import tiny_store

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
    text = word(session, 0).upper()  # the page's own event: the decoding is kept in this session's gr.State
    try:
        client.predict("g2p-tiny", text, 1, "beam", 1.0, 0, 1.0, 0.0, 3, 1, 0.0, 2, "length", 1.0, 0, 6,
                       api_name="/explore")
        summary = client.predict(1, 2, api_name="/select_hypothesis")[0]  # re-renders the stored trace
    except Exception as e:  # noqa: BLE001
        return problems + [f"session {session} explore: {type(e).__name__}: {e}"]
    if not summary.startswith(f"**{text.lower()}** →"):
        problems.append(f"session {session} typed {text!r}, its stored trace shows {summary[:40]!r}")
    return problems


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
