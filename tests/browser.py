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


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (CI installs it: apt-get install chromium)")
