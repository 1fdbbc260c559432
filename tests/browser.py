"""Helpers for the browser tests (fixtures ``app_url`` and ``page`` live in conftest.py).

Debian's Chromium, never a Playwright download: CI runs ``apt-get install -y chromium``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
MARKS = [pytest.mark.browser, pytest.mark.server,
         pytest.mark.skipif(not os.path.exists(CHROMIUM),
                            reason=f"{CHROMIUM} is absent (CI installs it: apt-get install chromium)")]


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (CI installs it: apt-get install chromium)")


def open_tab(page, tab_id: str) -> None:
    """Click a top-level tab (explore, compare, sample, whatif, learn) and wait until it shows."""
    page.get_by_role("tab", name=TAB_TITLES[tab_id], exact=True).click()
    page.locator(f"#tab-{tab_id}").wait_for(state="visible")


TAB_TITLES = {"explore": "Explore", "compare": "Compare", "sample": "Sample", "whatif": "What-if",
              "learn": "Learn"}


def chart(page, name: str) -> str:
    """The rendered SVG layers of chart ``#plot-{name}`` (plot and legend/titles): change whenever its figure
    does."""
    return page.locator(f"#plot-{name} .svg-container").first.inner_html()


def set_slider(page, elem_id: str, value) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")
    box.blur()


def wait_changed(page, name: str, before: str, timeout_ms: int = 30_000) -> str:
    page.wait_for_function(
        "([sel, before]) => { const e = document.querySelector(sel); return e && e.innerHTML !== before; }",
        arg=[f"#plot-{name} .svg-container", before], timeout=timeout_ms)
    page.wait_for_timeout(300)  # let plotly finish drawing every layer
    return chart(page, name)
