"""End to end: the real page in headless Chromium (Debian's, not a Playwright download).

Load the page, type a word, move temperature and beam width, check that the charts change, and save
docs/screenshot.png (the README shows it; made with the shipped checkpoints when they exist).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.browser, pytest.mark.server,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"{CHROMIUM} is absent (CI installs it: apt-get install chromium)"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]



@pytest.fixture(scope="module")
def app_url():
    from test_app_client import tiny_store

    from playground.ui import ModelStore, build_demo
    from playground.ui.server import serve

    shipped = any((ROOT / "checkpoints").glob("*/config.json"))
    store = ModelStore.discover() if shipped else tiny_store()
    url, demo = serve(build_demo(store), ports=range(7890, 7900))
    yield url, shipped
    demo.close()


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(app_url[0])
        page.wait_for_selector("#plot-tree .main-svg", timeout=60_000)
        yield page
        assert not errors, f"JavaScript errors on the page: {errors}"
        browser.close()


def chart(page, name: str) -> str:
    """The rendered SVG layers of a chart (plot and legend/titles): change whenever its figure does."""
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


def test_page_renders_the_default_example_with_every_view(page):
    for name in ("results", "distribution", "attention", "tree", "uncertainty"):
        assert page.locator(f"#plot-{name} .main-svg").count() >= 1
    assert "→" in page.locator("#summary").inner_text()
    for hidden in ("#temperature", "#beam-width"):  # greedy: no sampling or beam controls
        assert page.locator(hidden).count() == 0 or not page.locator(hidden).is_visible()


def test_typing_a_word_updates_the_views(page, app_url):
    before = chart(page, "attention")
    word = "quinoa" if app_url[1] else "cab"
    page.locator("#text textarea").fill(word)
    wait_changed(page, "attention", before)
    page.wait_for_function("w => document.querySelector('#summary').innerText.includes(w)", arg=word)


def test_temperature_changes_the_step_distribution(page):
    page.locator("#strategy label", has_text="sampling").click()
    page.locator("#temperature").wait_for(state="visible")
    assert page.locator("#beam-width").count() == 0 or not page.locator("#beam-width").is_visible()
    before = chart(page, "distribution")
    set_slider(page, "temperature", 2.5)
    after = wait_changed(page, "distribution", before)
    assert "after temperature" in after  # three stages side by side once sampling filters apply


def test_beam_width_changes_the_tree_and_the_step_slider_moves_the_marker(page):
    page.locator("#strategy label", has_text="beam search").first.click()
    page.locator("#beam-width").wait_for(state="visible")
    assert not page.locator("#temperature").is_visible()
    before = chart(page, "tree")
    set_slider(page, "beam-width", 8)
    after = wait_changed(page, "tree", before)
    assert "pruned" in after
    before = chart(page, "attention")
    set_slider(page, "step", 2)
    wait_changed(page, "attention", before)


def test_screenshot_for_the_readme(page, app_url, tmp_path):
    before = chart(page, "tree")
    set_slider(page, "step", 3)  # quinoa's third symbol, IY or IH, is the model's most uncertain step
    page.wait_for_timeout(1500)
    # only the shipped models make a screenshot worth showing; untrained test models go to a temp dir
    path = ROOT / "docs" / "screenshot.png" if app_url[1] else tmp_path / "screenshot.png"
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 50_000 and before


def test_bad_input_shows_a_message_and_keeps_the_views(page):
    before = chart(page, "results")
    page.locator("#text textarea").fill("c0lonel!")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('unknown symbol')")
    assert chart(page, "results") == before
    assert "Traceback" not in page.content()
    page.locator("#text textarea").fill("colonel")
    page.wait_for_function("() => !document.querySelector('#status').innerText.includes('unknown')")


def test_switching_to_the_p2g_model_takes_arpabet_input(page, app_url):
    before = chart(page, "attention")
    page.locator("#model input").click()
    page.get_by_role("option").nth(1).click()
    wait_changed(page, "attention", before)
    assert "ARPAbet" in page.locator("#text").inner_text()
    text = page.locator("#text textarea").input_value()
    assert text == text.upper() and " " in text  # an ARPAbet example replaced the spelled word
