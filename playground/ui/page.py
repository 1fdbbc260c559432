"""Driving the page in headless Chromium (Playwright over Debian's /usr/bin/chromium, never a downloaded
browser): what the browser tests, the benchmarks and the screenshot command share."""

from __future__ import annotations

from types import MappingProxyType

CHROMIUM = "/usr/bin/chromium"  # CI installs it: apt-get install -y chromium
ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run")  # without the network flags Chromium's calls out are refused, slowly
TAB_TITLES = MappingProxyType({"explore": "Explore", "compare": "Compare", "sample": "Sample", "whatif": "What-if",
                               "learn": "Learn"})


def launch(playwright):
    """A headless Chromium browser."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(ARGS))


def open_page(browser, url: str, width: int = 1400, height: int = 1000):
    """A fresh page on ``url``, once the first decode's charts are drawn."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector("#plot-tree .main-svg", timeout=60_000)
    return page


def open_tab(page, tab_id: str) -> None:
    """Click a top-level tab (explore, compare, sample, whatif, learn) and wait until it shows."""
    page.get_by_role("tab", name=TAB_TITLES[tab_id], exact=True).click()
    page.locator(f"#tab-{tab_id}").wait_for(state="visible")


def chart(page, name: str) -> str:
    """The rendered SVG layers of chart ``#plot-{name}`` (plot and legend/titles): change whenever its figure
    does."""
    return page.locator(f"#plot-{name} .svg-container").first.inner_html()


def set_slider(page, elem_id: str, value) -> None:
    """Type ``value`` into the number box of slider ``#elem_id``, as a keyboard user would."""
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")
    box.blur()


def set_step(page, step: int) -> None:
    """Move the Explore step slider (an HTML range input) to ``step``."""
    page.locator("#step-input").fill(str(step))


def pick_strategy(page, label: str) -> None:
    page.locator("#strategy label", has_text=label).first.click()


def wait_changed(page, name: str, before: str, timeout_ms: int = 30_000) -> str:
    """Wait until chart ``name`` differs from ``before``; returns its new SVG."""
    page.wait_for_function(
        "([sel, before]) => { const e = document.querySelector(sel); return e && e.innerHTML !== before; }",
        arg=[f"#plot-{name} .svg-container", before], timeout=timeout_ms)
    page.wait_for_timeout(300)  # let plotly finish drawing every layer
    return chart(page, name)


def resize_listeners(page) -> int:
    """How many "resize" listeners the page's window holds (DevTools' getEventListeners, over CDP): plotly.js
    adds one per responsive chart, so a count that grows with updates is a leak (playground/ui/common/page.js)."""
    session = page.context.new_cdp_session(page)
    try:
        reply = session.send("Runtime.evaluate", {"expression": "(getEventListeners(window).resize || []).length",
                                                  "includeCommandLineAPI": True, "returnByValue": True})
    finally:
        session.detach()
    return int(reply["result"]["value"])
