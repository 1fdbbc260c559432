"""End to end: the real page in headless Chromium (Debian's, not a Playwright download).

Each test opens its own page: type a word, move temperature and beam width, check that the charts change.
The README's screenshots come from ``python -m playground.ui.screenshots``, never from a test run.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from browser import MARKS, ROOT, chart, open_tab, pick_strategy, set_slider, set_step, wait_changed

from playground.ui.explore import charts

pytestmark = MARKS


def test_page_renders_the_default_example_with_every_view(page):
    open_tab(page, "explore")
    for name in charts.names():  # every chart of the registry
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
    set_step(page, 2)
    for name, svg in before.items():
        wait_changed(page, name, svg)
    page.remove_listener("request", record)
    assert page.locator("#plot-distribution .gtitle").text_content().startswith("Step 2 ·")
    assert not [url for url in requests if "/gradio_api/" in url]


def test_a_full_page_screenshot_shows_the_drawn_charts(page, tmp_path):
    set_step(page, 2)
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
    page.get_by_role("option", name=re.compile("p2g", re.IGNORECASE)).first.click()
    wait_changed(page, "attention", before)
    assert "ARPAbet" in page.locator("#text").inner_text()
    text = page.locator("#text textarea").input_value()
    assert text == text.upper() and " " in text  # an ARPAbet example replaced the spelled word


def test_the_transformer_opens_on_its_last_layer_and_any_layer_and_head_can_be_picked(page, app_url):
    # the attention picker follows the model: coming from a one-attention RNN, the Transformer's default
    # (the last layer, the mean of its heads) is both selected in the picker and drawn
    if not app_url[1] or not (ROOT / "checkpoints" / "g2p-transformer").is_dir():
        pytest.skip("needs the shipped G2P Transformer")
    assert page.locator("#attention-picker").is_hidden()  # the RNN has one attention
    before = chart(page, "attention")
    page.locator("#model input").click()
    page.get_by_role("option", name="G2P · Transformer", exact=True).click()
    wait_changed(page, "attention", before)
    selected = "s => document.querySelector(s).selectedOptions[0]?.text"
    assert page.evaluate(selected, "#attention-layer") == "layer 3 of 3"
    assert page.evaluate(selected, "#attention-head") == "mean of heads"
    assert "layer 3 of 3, mean of 4 heads" in chart(page, "attention")
    for select, value, title in (("#attention-layer", "0", "layer 1 of 3, mean of 4 heads"),
                                 ("#attention-head", "1", "layer 1 of 3, head 2 of 4")):
        before = chart(page, "attention")
        page.select_option(select, value)
        assert title in wait_changed(page, "attention", before)


def test_a_view_string_link_reopens_the_same_view_and_the_trace_exports(page, app_url):
    open_tab(page, "explore")
    page.locator("#share").get_by_text("Share and export").click()
    pick_strategy(page, "beam search")
    set_slider(page, "beam-width", 6)
    # the string follows the last successful decode: wait until it holds the new beam width
    page.wait_for_function("""() => {
        const href = document.querySelector('#share-link')?.getAttribute('href') || '';
        const s = href.split('view=')[1] || '';
        try { return atob(s.replace(/-/g, '+').replace(/_/g, '/')).includes('"beam_width":6'); }
        catch (e) { return false; }
    }""", timeout=30_000)
    href = page.locator("#share-link").get_attribute("href")
    assert page.locator("#share-string").input_value() == href.split("view=")[1]
    text = page.locator("#text textarea").input_value()
    other = page.context.browser.new_page()  # a fresh tab, as someone opening the link would
    try:
        other.goto(app_url[0] + "/" + href.lstrip("/"))
        other.wait_for_function("t => document.querySelector('#text textarea')?.value === t", arg=text,
                                timeout=30_000)
        other.wait_for_function("() => document.querySelector('#beam-width input[type=number]')?.value === '6'")
        assert other.locator("#strategy input[value=beam]").is_checked()
        other.wait_for_function("() => document.querySelectorAll('#hypotheses input').length === 3")  # decoded
    finally:
        other.close()
    with page.expect_download() as download:
        page.locator("#export-trace").click()
    trace = json.loads(download.value.path().read_text())
    assert download.value.suggested_filename.endswith(".json") and trace["config"]["beam_width"] == 6
    assert trace["text"] == text and trace["strategy"] == "beam"


def test_a_view_link_with_only_a_branch_draws_it_and_a_new_input_drops_it(page, app_url):
    """The page's own first view plus a branch: no control changes on opening it, so the branch alone decodes;
    a word typed afterwards is decoded without the link's branch."""
    from dataclasses import replace

    from playground.ui.explore.share import parse_view, view_string

    initial = json.loads(page.locator("#explore-view").get_attribute("data-initial"))
    first = re.sub("<[^>]+>", "", initial["summary"]).split("→")[1].split()[0]  # the branch forces another symbol
    linked = view_string(replace(parse_view(initial["share"]), branch=("K" if first != "K" else "B",)))
    other = page.context.browser.new_page()
    try:
        other.goto(app_url[0] + "/?view=" + linked)
        other.wait_for_function("() => document.querySelector('#summary')?.innerText.includes('Branch at step 1')",
                                timeout=30_000)
        other.locator("#text textarea").fill("cat")
        other.wait_for_function("() => /^\\s*cat →/.test(document.querySelector('#summary').innerText)",
                                timeout=30_000)
        assert "Branch at step" not in other.locator("#summary").inner_text()
        assert other.locator("#clear-branch").is_hidden()
    finally:
        other.close()


def test_a_burst_of_slider_moves_is_one_call_at_a_time_and_ends_on_the_last_value(page):
    # the page sends only the latest value and draws only the newest answer, with no Gradio queue event
    page.locator("#share").get_by_text("Share and export").click()  # its string tells which values were drawn
    pick_strategy(page, "sampling")
    page.locator("#temperature").wait_for(state="visible")
    page.wait_for_timeout(1000)
    # a slow network (400 ms per request) so the burst lands while the first call is in flight, however
    # fast the server answers: the test is about the page's coalescing, not about timing
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 400, "downloadThroughput": -1, "uploadThroughput": -1})
    calls, open_calls, most_open = [], set(), [0]

    def started(request):
        if "/gradio_api/" in request.url:
            calls.append(request.url)
            open_calls.add(request)
            most_open[0] = max(most_open[0], len(open_calls))

    page.on("request", started)
    page.on("requestfinished", lambda r: open_calls.discard(r))
    page.on("requestfailed", lambda r: open_calls.discard(r))
    box = page.locator("#temperature input[type=number]")
    for value in ("0.5", "0.8", "1.1", "1.4", "1.7", "2.5"):
        box.fill(value)
        box.press("Enter")
    page.wait_for_function("() => !document.querySelector('#explore-view').hasAttribute('aria-busy')")
    page.wait_for_function("() => document.querySelector('#plot-distribution').innerHTML.includes('after temperature')")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert all("component_server" in url for url in calls) and 1 <= len(calls) < 6, calls
    assert most_open[0] == 1, most_open  # never two calls at once
    view = page.locator("#share-string").input_value()
    assert json.loads(base64.urlsafe_b64decode(view + "=" * (-len(view) % 4)))["p"]["temperature"] == 2.5


def test_the_views_controls_have_names_and_work_from_the_keyboard(page):
    pick_strategy(page, "beam search")
    page.wait_for_function("() => document.querySelectorAll('#hypotheses input').length > 1")
    assert page.get_by_label("Step").count() == 1 and page.get_by_role("slider", name="Step").is_visible()
    assert page.get_by_role("radio", name="2. ", exact=False).count() == 1  # each hypothesis by its label
    before = page.locator("#summary").inner_text()
    page.locator("#hypotheses input").nth(1).focus()
    page.keyboard.press("Space")
    page.wait_for_function("b => document.querySelector('#summary').innerText !== b", arg=before)
    page.get_by_role("slider", name="Step").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#step-value').innerText.startsWith('2 of')")


def test_clicking_a_bar_of_the_step_distribution_draws_a_branch_beside_the_original(page):
    """A bar of another symbol: the search continues from it, its output is listed after the original's (↳), the
    tree shows the forced edge; "Clear branch" returns to the plain decoding."""
    open_tab(page, "explore")
    pick_strategy(page, "sampling")
    page.locator("#temperature").wait_for(state="visible")
    before = chart(page, "distribution")
    set_slider(page, "temperature", 5)  # flat: the second symbol's bar after temperature is one can click
    wait_changed(page, "distribution", before)
    before = chart(page, "tree")
    bar = page.locator("#plot-distribution g.trace.bars").nth(1).locator(".point path").nth(1)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => [...document.querySelectorAll('#hypotheses label')].some("
                           "l => l.innerText.includes('↳'))", timeout=30_000)
    assert page.locator("#clear-branch").is_visible() and "Branch at step" in page.locator("#summary").inner_text()
    assert "forced" in wait_changed(page, "tree", before)
    page.locator("#clear-branch").click()
    page.wait_for_function("() => document.querySelector('#clear-branch').hidden", timeout=30_000)
    assert "↳" not in page.locator("#explore-pickers").inner_text()
