"""End to end in headless Chromium: the Explore tab's "What each layer predicted" chart (the logit lens) appears
disabled, with its reason, for the RNN the page opens on, and drawn for the shipped G2P Transformer, where a step
move redraws it from the views the page already holds (no server call)."""

from __future__ import annotations

import pytest
from browser import MARKS, ROOT, chart, open_tab, set_step, wait_changed

pytestmark = MARKS


def test_the_lens_chart_is_disabled_for_the_rnn_and_drawn_for_the_transformer(page, app_url):
    open_tab(page, "explore")
    text = page.locator("#plot-lens").inner_text()
    assert "not available for this model" in text and "RNN" in text  # the page opens on the G2P RNN
    if not app_url[1] or not (ROOT / "checkpoints" / "g2p-transformer").is_dir():
        pytest.skip("needs the shipped G2P Transformer")
    before = chart(page, "lens")
    page.locator("#model input").click()
    page.get_by_role("option", name="G2P · Transformer", exact=True).click()
    drawn = wait_changed(page, "lens", before)
    assert "layer 3 · output" in drawn and "layer 1" in drawn and "step 1:" in drawn
    assert page.locator("#plot-lens .heatmaplayer image, #plot-lens .hm").count() >= 1
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    set_step(page, 2)
    assert "step 2:" in wait_changed(page, "lens", drawn)
    assert not [url for url in requests if "/gradio_api/" in url]
