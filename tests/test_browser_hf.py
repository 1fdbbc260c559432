"""End to end in headless Chromium: a Hugging Face encoder-decoder opened from a local directory shows every view.

The app serves a checkpoints folder holding a tiny G2P model and a tiny random BART with its tokenizer (built
offline, tests/helpers.py, 80 words: its traces keep the top entries of each row). The page switches to the
BART, decodes a sentence and draws the five Explore views, the step distribution with its "all others" bar;
Compare, Sample and What-if run on it too. A tiny M2M-100 (two target languages) shows the language picker, and
its language reaches Compare, Sample, What-if and a view link.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from browser import MARKS, chart, open_model, open_tab, served_checkpoints, wait_changed, watched_page

pytestmark = MARKS
pytest.importorskip("transformers")
SENTENCE = "the big cat sat on the mat"


@pytest.fixture(scope="module")
def hf_url(tmp_path_factory):
    from helpers import hf_checkpoint, m2m_checkpoint

    root = tmp_path_factory.mktemp("checkpoints")
    hf_checkpoint(root / "tiny-bart", "bart")
    m2m_checkpoint(root / "tiny-m2m")
    yield from served_checkpoints(root, range(7900, 7910))


@pytest.fixture
def hf_page(browser, hf_url):
    yield from watched_page(browser, hf_url)


def open_bart(page) -> None:
    open_model(page, "tiny-bart · BART", "Text", SENTENCE)


def test_a_local_bart_directory_shows_every_view(hf_page):
    page = hf_page
    open_bart(page)
    for name in ("results", "distribution", "attention", "tree", "uncertainty"):
        assert page.locator(f"#plot-{name} .main-svg").first.is_visible(), name
    attention = chart(page, "attention")
    assert "▁cat" in attention or "cat" in attention  # the source pieces label the heatmap's columns
    assert "others" in chart(page, "distribution")  # 80 tokens: the top entries and one bar for the rest
    assert not page.locator("#target-language").is_visible()  # not a multilingual model
    page.locator("#step-input").fill("2")
    page.wait_for_function("() => document.querySelector('#step-value').innerText.startsWith('2 of')")


def test_compare_sample_and_what_if_run_on_the_bart(hf_page):
    page = hf_page
    open_bart(page)
    open_tab(page, "compare")
    page.wait_for_function("() => document.querySelectorAll('#compare-outputs-0 li').length >= 1", timeout=30_000)
    assert "Cannot compare" not in page.locator("#tab-compare").inner_text()
    open_tab(page, "sample")
    page.wait_for_function("() => document.querySelector('#sample-figures').innerText.includes('distinct output')",
                           timeout=60_000)
    open_tab(page, "whatif")
    page.locator("#whatif-target textarea").fill("the cat sat")
    page.locator("#whatif-score-btn").click()
    page.wait_for_function("() => document.querySelector('#plot-whatif-score .main-svg') && "
                           "document.querySelector('#plot-whatif-score').innerText.includes('cat')", timeout=30_000)


def test_a_multilingual_models_target_language_reaches_every_tab_and_the_view_link(hf_page):
    page = hf_page
    before = chart(page, "attention")
    page.locator("#model input").click()
    page.get_by_role("option", name=re.compile("tiny-m2m")).click()
    wait_changed(page, "attention", before)
    page.locator("#text textarea").fill("the cat sat")
    page.wait_for_function("() => document.querySelector('#summary').innerText.includes('the cat sat')")
    assert page.locator("#target-language").is_visible()
    page.locator("#target-language input").click()
    page.get_by_role("option", name="__fr__", exact=True).click()
    page.wait_for_function("() => document.querySelector('#summary').innerText.includes('→ __fr__')")
    for tab, where in (("compare", "#compare-outputs-0"), ("sample", "#plot-sample-outputs")):
        open_tab(page, tab)
        page.wait_for_function("w => document.querySelector(w)?.innerText.includes('__fr__')", arg=where,
                               timeout=60_000)
    open_tab(page, "whatif")  # a typed target is scored in the language: __fr__ is its first, forced symbol
    page.locator("#whatif-target textarea").fill("le chat")
    page.locator("#whatif-score-btn").click()
    page.wait_for_function("() => document.querySelector('#whatif-score-summary').innerText.includes('__fr__ le chat')",
                           timeout=30_000)
    open_tab(page, "explore")
    page.locator("#share").get_by_text("Share and export").click()
    page.wait_for_function("() => document.querySelector('#share-string')?.value")
    view = page.locator("#share-string").input_value()
    assert json.loads(base64.urlsafe_b64decode(view + "=" * (-len(view) % 4)))["l"] == "__fr__"
    other = page.context.browser.new_page()  # the link, opened as someone else would
    try:
        other.goto(page.url.split("?")[0] + "?view=" + view)
        other.wait_for_function("() => document.querySelector('#summary')?.innerText.includes('→ __fr__')",
                                timeout=30_000)
        assert other.locator("#target-language input").input_value() == "__fr__"
    finally:
        other.close()
