"""End to end: the real page in headless Chromium (Debian's, not a Playwright download).

Each test opens its own page: type a word, move temperature and beam width, check that the charts change.
The README's screenshots come from ``python -m playground.ui.screenshots``, never from a test run.
"""

from __future__ import annotations

from browser import MARKS, chart, open_tab, pick_strategy, set_slider, wait_changed

pytestmark = MARKS


def test_page_renders_the_default_example_with_every_view(page):
    open_tab(page, "explore")
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


def test_decodes_leave_nothing_in_the_browsers_storage(page):
    before = chart(page, "attention")
    page.locator("#text textarea").fill("cab")
    wait_changed(page, "attention", before)
    # Gradio's run history would keep every call's outputs (each a views JSON of 50-300 KB) in
    # localStorage and rewrite that list on every event: each slider change got slower (wiring.launch_kwargs)
    keys = page.evaluate("() => Object.keys(window.localStorage)")
    assert not [k for k in keys if k.startswith("gradio:run-history")], keys
    assert page.locator("footer a[href*='runs']").count() == 0  # and the footer offers no run history page


def test_temperature_changes_the_step_distribution(page):
    pick_strategy(page, "sampling")
    page.locator("#temperature").wait_for(state="visible")
    assert page.locator("#beam-width").count() == 0 or not page.locator("#beam-width").is_visible()
    before = chart(page, "distribution")
    set_slider(page, "temperature", 2.5)
    after = wait_changed(page, "distribution", before)
    assert "after temperature" in after  # three stages side by side once sampling filters apply


def test_beam_width_changes_the_tree_and_the_step_slider_moves_the_marker(page):
    pick_strategy(page, "beam search")
    page.locator("#beam-width").wait_for(state="visible")
    assert not page.locator("#temperature").is_visible()
    before = chart(page, "tree")
    set_slider(page, "beam-width", 8)
    after = wait_changed(page, "tree", before)
    assert "pruned" in after
    # a step move is drawn in the page from the step views: every per-step chart changes, no server call
    requests = []

    def record(request):
        requests.append(request.url)

    page.on("request", record)
    before = {name: chart(page, name) for name in ("distribution", "attention", "tree", "uncertainty")}
    set_slider(page, "step", 2)
    for name, svg in before.items():
        wait_changed(page, name, svg)
    page.remove_listener("request", record)
    assert page.locator("#plot-distribution .gtitle").text_content().startswith("Step 2 ·")
    assert not [url for url in requests if "/gradio_api/" in url]


def test_a_full_page_screenshot_shows_the_drawn_charts(page, tmp_path):
    set_slider(page, "step", 2)
    page.wait_for_timeout(500)
    path = tmp_path / "explore.png"  # (the README's own screenshots: python -m playground.ui.screenshots)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 50_000  # the charts, not a blank page


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


def test_a_view_string_link_reopens_the_same_view_and_the_trace_exports(page, app_url):
    open_tab(page, "explore")
    page.locator("#share").get_by_text("Share and export").click()
    pick_strategy(page, "beam search")
    set_slider(page, "beam-width", 6)
    # the string follows the last successful decode: wait until it holds the new beam width
    page.wait_for_function("""() => {
        const href = document.querySelector('#share-link a')?.getAttribute('href') || '';
        const s = href.split('view=')[1] || '';
        try { return atob(s.replace(/-/g, '+').replace(/_/g, '/')).includes('"beam_width":6'); }
        catch (e) { return false; }
    }""", timeout=30_000)
    href = page.locator("#share-link a").get_attribute("href")
    text = page.locator("#text textarea").input_value()
    other = page.context.browser.new_page()  # a fresh tab, as someone opening the link would
    try:
        other.goto(app_url[0] + "/" + href.lstrip("/"))
        other.wait_for_function("t => document.querySelector('#text textarea')?.value === t", arg=text,
                                timeout=30_000)
        other.wait_for_function("() => document.querySelector('#beam-width input[type=number]')?.value === '6'")
        assert other.locator("#strategy input[value=beam]").is_checked()
    finally:
        other.close()
    page.locator("#export-trace").click()
    page.locator("#trace-file a").first.wait_for(timeout=30_000)
    assert ".json" in page.locator("#trace-file").inner_text()
