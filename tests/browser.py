"""Helpers for the browser tests (fixtures ``app_url`` and ``page`` live in conftest.py); the page-driving
functions themselves are the package's (playground/ui/page.py), shared with the benchmarks and the
screenshot command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from playground.ui.page import (  # noqa: F401
    CHROMIUM,
    chart,
    open_tab,
    pick_strategy,
    resize_listeners,
    set_slider,
    set_step,
    wait_changed,
)

ROOT = Path(__file__).resolve().parents[1]
MARKS = [pytest.mark.browser, pytest.mark.server,
         pytest.mark.skipif(not os.path.exists(CHROMIUM),
                            reason=f"{CHROMIUM} is absent (CI installs it: apt-get install chromium)")]


def watched_page(browser, url: str):
    """A fresh page at ``url`` (its own Gradio session); as a generator fixture's body: yields it, then closes it
    and fails on any JavaScript error it raised."""
    from playground.ui.page import open_page

    page = open_page(browser, url)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def served_checkpoints(root: Path, ports: range):
    """The app over a checkpoints folder ``root`` (the caller's models, plus a tiny G2P model written here): its
    url; as a generator fixture's body, ``yield from`` it (the server closes when the fixture ends)."""
    from helpers import tiny_model

    from playground.models.checkpoint import save_checkpoint
    from playground.ui import ModelStore, build_demo
    from playground.ui.server import serve

    save_checkpoint(tiny_model(), root / "g2p-tiny", meta={"task": "g2p", "name": "G2P · tiny"})
    url, demo = serve(build_demo(ModelStore.discover(root)), ports=ports)
    try:
        yield url
    finally:
        demo.close()


def open_model(page, option: str, box: str, text: str) -> None:
    """Pick the model ``option``, wait for its input ``box`` label and its first decode, type ``text`` and wait
    until its first line is decoded."""
    before = chart(page, "attention")
    page.locator("#model input").click()
    page.get_by_role("option", name=option).click()
    page.wait_for_function("b => document.querySelector('#text label').innerText.includes(b)", arg=box)
    wait_changed(page, "attention", before)
    page.locator("#text textarea").fill(text)
    page.wait_for_function("s => document.querySelector('#summary').innerText.includes(s)", arg=text.split("\n")[0])


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (CI installs it: apt-get install chromium)")
