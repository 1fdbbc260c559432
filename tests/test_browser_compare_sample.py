"""End to end in headless Chromium: the Compare and Sample tabs render their charts and follow changes.

Each test opens its own page on the default model and input.
"""

from __future__ import annotations

from browser import MARKS, chart, open_tab, pick_strategy, resize_listeners, set_slider, wait_changed

pytestmark = MARKS
COMPARE_PLOTS = ("compare-diff", "compare-0", "compare-1", "compare-2")


def _pick(page, elem_id: str, option: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def _type(page, word: str) -> None:
    page.locator("#text textarea").fill(word)


def open_compare(page) -> None:
    """The Compare tab, its columns computed (on first opening)."""
    open_tab(page, "compare")
    for name in COMPARE_PLOTS:
        page.locator(f"#plot-{name} .main-svg").first.wait_for(timeout=30_000)


def test_compare_tab_renders_every_column(page):
    open_compare(page)
    assert page.locator("#compare-outputs-0 li").count() >= 1
    assert not page.locator("#plot-compare-3").is_visible()  # three columns by default


def test_typing_while_compare_is_open_re_runs_it(page, app_url):
    open_compare(page)
    before = chart(page, "compare-diff")
    word = "quinoa" if app_url[1] else "cab"
    _type(page, word)
    wait_changed(page, "compare-diff", before)
    page.wait_for_function("w => document.querySelector('#plot-compare-0').innerHTML.includes(w[0])", arg=word)


def test_a_preset_and_a_knob_change_their_column(page):
    open_compare(page)
    before = chart(page, "compare-2")
    _pick(page, "compare-preset-2", "temperature 1.5")
    after = wait_changed(page, "compare-2", before)
    assert page.locator("#compare-temperature-2 input[type=number]").input_value() == "1.5"
    set_slider(page, "compare-beam-width-1", 2)
    page.wait_for_function("() => document.querySelectorAll('#compare-outputs-1 li').length == 2")
    assert page.locator("#compare-preset-1 input").input_value() == "custom"  # no longer "beam 5"
    assert after


def test_redrawn_charts_leave_no_window_listener_behind(page):
    # gr.Plot replaces its chart on every update; page.js removes the replaced chart's resize listener
    open_compare(page)
    before = resize_listeners(page)
    for preset in ("temperature 1.5", "greedy", "temperature 1.5", "greedy"):
        old = chart(page, "compare-2")
        _pick(page, "compare-preset-2", preset)
        wait_changed(page, "compare-2", old)
    assert resize_listeners(page) <= before


def test_a_fourth_column_appears(page):
    open_compare(page)
    page.locator("#compare-count label", has_text="4").click()
    page.locator("#plot-compare-3 .main-svg").first.wait_for(timeout=30_000)
    _pick(page, "compare-preset-3", "diverse beam")
    page.wait_for_function("() => document.querySelector('#compare-outputs-3').innerText.includes('diverse')")


def test_input_changed_elsewhere_re_runs_compare_when_opened(page, app_url):
    open_compare(page)
    open_tab(page, "explore")
    before = chart(page, "compare-0")
    word = "quinoa" if app_url[1] else "bat"  # (the page opens on "colonel")
    _type(page, word)
    page.wait_for_function("w => document.querySelector('#summary').innerText.includes(w)", arg=word)
    open_tab(page, "compare")
    wait_changed(page, "compare-0", before)


def test_sample_tab_renders_and_draws(page):
    open_sample(page)
    assert "distinct output" in page.locator("#sample-figures").inner_text()
    before = chart(page, "sample-outputs")
    set_slider(page, "sample-n", 500)
    page.locator("#sample-draw").click()
    page.wait_for_function("() => document.querySelector('#plot-sample-outputs').innerHTML.includes('500 samples')",
                           timeout=60_000)
    assert "500 samples" not in before


def open_sample(page) -> None:
    """The Sample tab, its first draw done (on first opening)."""
    open_tab(page, "sample")
    for name in ("sample-outputs", "sample-calibration"):
        page.locator(f"#plot-{name} .main-svg").first.wait_for(timeout=60_000)


def test_explore_settings_change_the_samples(page):
    open_sample(page)
    open_tab(page, "explore")
    pick_strategy(page, "sampling")
    page.locator("#temperature").wait_for(state="visible")
    before = chart(page, "sample-outputs")
    set_slider(page, "temperature", 0.5)
    page.wait_for_timeout(300)
    open_tab(page, "sample")  # (the Sample tab reads the Explore settings when it opens, not on every move)
    page.wait_for_function("() => document.querySelector('#sample-settings').innerText.includes('temperature 0.5')")
    wait_changed(page, "sample-outputs", before, timeout_ms=60_000)


def test_mbr_runs_in_the_page_over_samples_then_over_the_beams_n_best(page):
    open_sample(page)
    page.locator("#mbr-run").click()
    for name in ("sample-mbr-matrix", "sample-mbr-expected"):
        page.locator(f"#plot-{name} .main-svg").first.wait_for(timeout=60_000)
    assert "samples" in page.locator("#mbr-summary").inner_text()
    assert "MBR's choice" in page.locator("#mbr-compare").inner_text()
    before = chart(page, "sample-mbr-matrix")
    page.locator("#mbr-source label", has_text="n-best").click()
    page.wait_for_function("() => Number(document.querySelector('#mbr-n input[type=number]').value) <= 16")
    page.locator("#mbr-run").click()
    page.wait_for_function("() => document.querySelector('#mbr-summary').innerText.includes('-best list')",
                           timeout=60_000)
    wait_changed(page, "sample-mbr-matrix", before, timeout_ms=60_000)
