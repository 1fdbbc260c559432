"""The README's screenshots' scenes (screenshots.py): each drives a freshly opened page into a view worth showing.

``SCENES`` maps a file name in docs/ to (the scene, what to capture: the whole page (None), one element "#id", or
the band "#top..#bottom" from one element's top to another's bottom).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

from playground.ui.page import chart, open_tab, pick_strategy, set_slider, set_step, wait_changed


def explore(page) -> None:
    """'quinoa' by beam search (width 8) at step 2: its most uncertain vowel (IY or IH)."""
    before = chart(page, "tree")
    page.locator("#text textarea").fill("quinoa")
    pick_strategy(page, "beam search")
    set_slider(page, "beam-width", 8)
    wait_changed(page, "tree", before)
    set_step(page, 2)


def pick_model(page, elem_id: str, label: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=label, exact=True).click()


def open_model(page, label: str, text: str, watch: str = "attention") -> None:
    """Pick the model ``label``, then type ``text``; each waits for the chart ``watch`` to be redrawn."""
    before = chart(page, "attention")
    pick_model(page, "model", label)
    wait_changed(page, "attention", before)
    before = chart(page, watch)
    page.locator("#text textarea").fill(text)
    wait_changed(page, watch, before)


def first_layer(page) -> None:
    before = chart(page, "attention")
    page.select_option("#attention-layer", "0")
    wait_changed(page, "attention", before)


def type_lesson_word(page, key: str) -> None:
    """Type the input of the Learn lesson ``key`` and wait for the tree to show it."""
    from playground.analysis.lessons import BY_KEY

    before = chart(page, "tree")
    page.locator("#text textarea").fill(BY_KEY[key].text)
    wait_changed(page, "tree", before)


def transformer(page) -> None:
    """The G2P Transformer on 'knight' by beam search, one head of its first layer: where that head looks."""
    open_model(page, "G2P · Transformer", "knight")
    pick_strategy(page, "beam search")
    first_layer(page)
    before = chart(page, "attention")
    page.select_option("#attention-head", "1")
    wait_changed(page, "attention", before)
    set_step(page, 2)


def lens(page) -> None:
    """What each layer of the G2P Transformer predicted for 'yacht' at step 3: layers 1 and 2 read the 'ch' as K,
    only the last layer writes T."""
    open_model(page, "G2P · Transformer", "yacht", watch="lens")
    before = chart(page, "lens")
    set_step(page, 3)
    wait_changed(page, "lens", before)
    page.locator("#plot-lens").scroll_into_view_if_needed()


def models_side_by_side(page) -> None:
    """Compare: the RNN, the Transformer and their ensemble, greedy each, on the word of the ensemble lesson."""
    type_lesson_word(page, "ensemble_fixes")
    open_tab(page, "compare")
    page.locator("#plot-compare-2 .main-svg").first.wait_for(timeout=60_000)
    for column, label in enumerate(("G2P · bi-GRU + Bahdanau", "G2P · Transformer", "G2P · ensemble")):
        before = chart(page, f"compare-{column}")
        preset = page.locator(f"#compare-preset-{column} input")
        unchanged = preset.input_value() == "greedy" and column == 0  # the first column already is the RNN, greedy
        pick_model(page, f"compare-model-{column}", label)
        preset.click()
        page.get_by_role("option", name="greedy", exact=True).click()
        if not unchanged:
            wait_changed(page, f"compare-{column}", before, timeout_ms=60_000)


def decoder_only(page) -> None:
    """Our decoder-only G2P model on the word of its attention lesson, beam search: its self-attention over the
    spelling, <s> and what it wrote, in the layer that looks most at its own output."""
    from playground.analysis.lessons import BY_KEY

    open_model(page, "G2P · decoder-only", BY_KEY["decoder_only_reads"].text)
    pick_strategy(page, "beam search")
    first_layer(page)
    set_step(page, 3)


def both_kinds(page) -> None:
    """Compare: the encoder-decoder Transformer beside the decoder-only model, beam 5 each, on the word of the
    lesson that compares them."""
    type_lesson_word(page, "decoder_only_vs_encdec")
    open_tab(page, "compare")
    page.locator("#plot-compare-1 .main-svg").first.wait_for(timeout=60_000)
    before = chart(page, "compare-diff")
    page.locator("#compare-count label", has_text="2").click()
    wait_changed(page, "compare-diff", before, timeout_ms=60_000)
    for column, label in enumerate(("G2P · Transformer", "G2P · decoder-only")):
        pick_model(page, f"compare-model-{column}", label)
        preset = page.locator(f"#compare-preset-{column} input")
        if preset.input_value() != "beam 5":
            preset.click()
            page.get_by_role("option", name="beam 5", exact=True).click()
    page.wait_for_timeout(1000)  # (a preset's change may run the comparison itself: let it finish)
    before = chart(page, "compare-1")
    page.locator("#compare-run").click()
    wait_changed(page, "compare-1", before, timeout_ms=60_000)
    page.wait_for_function("() => document.querySelector('#tab-compare').innerText.includes('decoder-only')")


def compare(page) -> None:
    """Four strategies on 'colonel'."""
    open_tab(page, "compare")
    page.locator("#plot-compare-2 .main-svg").first.wait_for(timeout=60_000)
    before = chart(page, "compare-diff")
    page.locator("#compare-count label", has_text="4").click()
    wait_changed(page, "compare-diff", before, timeout_ms=60_000)


def sample(page) -> None:
    """500 samples of 'colonel' at temperature 1.5."""
    pick_strategy(page, "sampling")
    set_slider(page, "temperature", 1.5)
    open_tab(page, "sample")
    page.wait_for_function("() => document.querySelector('#sample-settings').innerText.includes('temperature 1.5')")
    set_slider(page, "sample-n", 500)
    page.locator("#sample-draw").click()
    page.wait_for_function("() => document.querySelector('#plot-sample-outputs').innerHTML.includes('500 samples')",
                           timeout=60_000)


def mbr(page) -> None:
    """Minimum Bayes risk over 100 samples of the MBR lesson's word (T = 1, seed 0): the consensus beats beam."""
    type_lesson_word(page, "mbr_consensus")
    open_tab(page, "sample")
    page.locator("#plot-sample-outputs .main-svg").first.wait_for(timeout=60_000)
    set_slider(page, "mbr-n", 100)
    page.locator("#mbr-run").click()
    page.locator("#plot-sample-mbr-matrix .main-svg").first.wait_for(timeout=60_000)
    page.locator("#sample-mbr").scroll_into_view_if_needed()


def whatif(page) -> None:
    """A spelling-like pronunciation of 'colonel' scored, a forced prefix, and the exact check."""
    open_tab(page, "whatif")
    for box, text, button, plot in (("whatif-target", "K AH L OW N AH L", "whatif-score-btn", "whatif-score"),
                                    ("whatif-prefix", "K OW", "whatif-prefix-btn", "whatif-prefix")):
        before = chart(page, plot)
        page.locator(f"#{box} textarea").fill(text)
        page.locator(f"#{button}").click()
        wait_changed(page, plot, before, timeout_ms=60_000)
    before = chart(page, "whatif-exact")
    page.locator("#whatif-exact-btn").click()
    wait_changed(page, "whatif-exact", before, timeout_ms=60_000)


def click_bar(page, chart_name: str, label: str) -> None:
    """Click the bar of ``label`` in the last bar trace of a chart (the distribution: after the filters)."""
    where = page.evaluate("""([name, label]) => {
        const gd = document.querySelector(`#plot-${name} .js-plotly-plot`);
        const t = gd.data.map((d, i) => [d, i]).filter(([d]) => d.type === 'bar').pop();
        return [t[1], t[0].customdata.findIndex(c => c[0] === label)];
    }""", [chart_name, label])
    bar = page.locator(f"#plot-{chart_name} g.trace.bars").nth(where[0]).locator(".point path").nth(where[1])
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def branch(page) -> None:
    """'colonel' by beam search: at step 2 the search takes ER; AA is forced instead and decoded on."""
    before = chart(page, "tree")
    pick_strategy(page, "beam search")
    wait_changed(page, "tree", before)
    set_step(page, 2)
    before = chart(page, "tree")
    click_bar(page, "distribution", "AA")
    page.wait_for_function("() => [...document.querySelectorAll('#hypotheses label')].some("
                           "l => l.innerText.includes('↳'))", timeout=60_000)
    wait_changed(page, "tree", before)


def learn(page) -> None:
    """The 'beam beats greedy' lesson."""
    open_tab(page, "learn")
    before = chart(page, "learn")
    page.locator("#lesson-beam-beats-greedy").click()
    wait_changed(page, "learn", before, timeout_ms=60_000)


def predict(page) -> None:
    """A lesson's link (?lesson=length_penalty): the Learn tab, predict-first, its question before the chart."""
    page.goto(page.url.split("?")[0] + "?lesson=length_penalty")
    page.locator("#lesson-choices").wait_for(state="visible", timeout=60_000)


def report(page) -> None:
    """'colonel' by beam search at step 2, downloaded as a report (Share and export) and opened from the file."""
    import tempfile

    before = chart(page, "tree")
    pick_strategy(page, "beam search")
    wait_changed(page, "tree", before)
    set_step(page, 2)
    page.locator("#share").click()
    with page.expect_download() as download:
        page.locator("#download-report").click()
    path = Path(tempfile.mkdtemp(prefix="playground-report-")) / download.value.suggested_filename
    download.value.save_as(path)
    page.goto(path.as_uri())
    page.locator("#chart-distribution .main-svg").first.wait_for()


# file name -> (how to get there, what to capture: the whole page, one element, or a band "#top..#bottom")
SCENES: MappingProxyType[str, tuple[Callable, str | None]] = MappingProxyType({
    "screenshot.png": (explore, None),
    "screenshot-compare.png": (compare, None),
    "screenshot-transformer.png": (transformer, None),
    "screenshot-lens.png": (lens, "#plot-lens"),
    "screenshot-branch.png": (branch, "#summary..#plot-tree"),
    "screenshot-models.png": (models_side_by_side, "#tab-compare"),
    "screenshot-decoder-only.png": (decoder_only, "#plot-attention"),
    "screenshot-both-kinds.png": (both_kinds, "#tab-compare"),
    "screenshot-sample.png": (sample, None),
    "screenshot-mbr.png": (mbr, "#sample-mbr"),
    "screenshot-whatif.png": (whatif, "#tab-whatif"),
    "screenshot-learn.png": (learn, "#tab-learn"),
    "screenshot-predict.png": (predict, "#lesson-groups..#lesson-choices"),
    "screenshot-report.png": (report, "h1..#chart-distribution + figcaption"),
})
