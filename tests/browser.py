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


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (CI installs it: apt-get install chromium)")
