"""End to end in headless Chromium: Hugging Face decoder-only models opened from a local folder (issue 22, item 4).

The app serves a checkpoints folder holding a tiny G2P model, a tiny random GPT-2 and a tiny random Llama whose
tokenizer has a chat template (tests/causal.py; built offline, nothing downloaded). The page shows a multi-line
Prompt box for them, every Explore view (the attention view over the context, the prompt's end marked), Compare
with an encoder-decoder and a decoder-only column side by side on one word, Sample and What-if, a view link, and
"Format as chat" only for the chat model, writing its template's text into the prompt.
"""

from __future__ import annotations

import pytest
from browser import MARKS, chart, open_model, open_tab, served_checkpoints, watched_page

pytestmark = MARKS
pytest.importorskip("transformers")
PROMPT = "the cat sat\non the"  # a newline is part of a prompt


@pytest.fixture(scope="module")
def causal_url(tmp_path_factory):
    from causal import CHAT_TEMPLATE, causal_checkpoint

    root = tmp_path_factory.mktemp("checkpoints")
    causal_checkpoint(root / "tiny-gpt2", "gpt2")
    causal_checkpoint(root / "tiny-llama", "llama", chat=CHAT_TEMPLATE)
    yield from served_checkpoints(root, range(7920, 7930))


@pytest.fixture
def causal_page(browser, causal_url):
    yield from watched_page(browser, causal_url)


def open_prompt_model(page, option: str, prompt: str = PROMPT) -> None:
    open_model(page, option, "Prompt", prompt)


def test_a_local_gpt2_shows_a_prompt_box_and_every_view(causal_page):
    page = causal_page
    open_prompt_model(page, "tiny-gpt2 · GPT-2")
    assert page.locator("#text textarea").evaluate("t => t.rows") >= 3  # a multi-line prompt box
    for name in ("results", "distribution", "attention", "tree", "uncertainty", "lens"):
        assert page.locator(f"#plot-{name} .main-svg").first.is_visible(), name
    attention = chart(page, "attention")
    assert "prompt" in attention and "sat" in attention  # columns: the context, the prompt's tokens first
    assert page.locator("#plot-attention path[style*='dash']").count() >= 1  # the prompt's end, a dashed line
    assert not page.locator("#format-chat").is_visible()  # no chat template
    page.locator("#step-input").fill("2")
    page.wait_for_function("() => document.querySelector('#step-value').innerText.startsWith('2 of')")


def test_format_as_chat_writes_the_template_into_the_prompt(causal_page):
    page = causal_page
    open_prompt_model(page, "tiny-llama · Llama (SmolLM2, TinyLlama)", "cat sat")
    assert page.locator("#format-chat").is_visible()
    page.locator("#format-chat").click()
    page.wait_for_function("() => document.querySelector('#text textarea').value === '<s>cat sat the'")
    page.wait_for_function("() => document.querySelector('#summary').innerText.includes('cat sat the')")


def test_compare_puts_an_encoder_decoder_and_a_decoder_only_model_side_by_side(causal_page):
    page = causal_page
    page.locator("#text textarea").fill("cat")  # a word both read: spelled for G2P, a token for the GPT-2
    open_tab(page, "compare")
    page.locator("#compare-model-1 input").click()
    page.get_by_role("option", name="tiny-gpt2 · GPT-2").click()
    page.locator("#compare-run").click()
    page.wait_for_function("() => document.querySelector('#tab-compare').innerText.includes('tiny-gpt2')",
                           timeout=30_000)
    assert "Cannot compare" not in page.locator("#tab-compare").inner_text()
    assert page.locator("#compare-outputs-0 li").count() >= 1 and page.locator("#compare-outputs-1 li").count() >= 1


def test_sample_what_if_and_a_view_link_run_on_the_gpt2(causal_page):
    page = causal_page
    open_prompt_model(page, "tiny-gpt2 · GPT-2")
    open_tab(page, "sample")
    page.wait_for_function("() => document.querySelector('#sample-figures').innerText.includes('distinct output')",
                           timeout=60_000)
    open_tab(page, "whatif")
    page.locator("#whatif-target textarea").fill("the mat")
    page.locator("#whatif-score-btn").click()
    page.wait_for_function("() => document.querySelector('#plot-whatif-score')?.innerText.includes('mat')",
                           timeout=30_000)
    open_tab(page, "explore")
    page.locator("#share").get_by_text("Share and export").click()
    page.wait_for_function("() => document.querySelector('#share-string')?.value")
    view = page.locator("#share-string").input_value()
    other = page.context.browser.new_page()  # the link, opened as someone else would
    try:
        other.goto(page.url.split("?")[0] + "?view=" + view)
        other.wait_for_function("() => document.querySelector('#summary')?.innerText.includes('the cat sat')",
                                timeout=30_000)
        assert other.locator("#text textarea").input_value() == PROMPT
    finally:
        other.close()
