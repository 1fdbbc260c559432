"""/logit_lens: what each layer predicted at one output step (the Explore tab's logit lens chart, as data), for
gradio_client. Wired by events.wire_api with the tab's other endpoints; stateless like them."""

from __future__ import annotations

import gradio as gr

from playground.analysis.logit_lens import MAX_K, TOP_K, step_lens, unavailable
from playground.decoding.validate import whole
from playground.ui.common.controls import CONTROL_NAMES, UiParams
from playground.ui.common.events import DECODE_GROUP, USER_ERRORS, named
from playground.ui.common.runtime import gpu
from playground.ui.explore.handlers import run_decode
from playground.ui.explore.selection import Selection


def lens_answer(store, model: str, text: str, values: dict, hypothesis, step, k, language: str = "") -> dict:
    """Decode as /explore does, then read every decoder layer at output position ``step`` (1-based, clamped to the
    hypothesis) of hypothesis ``hypothesis`` (0 = the best): per layer its ``k`` most probable next tokens and
    the probability and rank of the token the hypothesis took there. ValueError (a message) for a model without
    a lens (an RNN, an ensemble) or a bad ``k``."""
    k = whole(k)
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be a whole number from 1 to {MAX_K}, got {k!r}")
    session = run_decode(store, model or store.default, text, UiParams(**values), language)
    lens_model = store.get(session.model)
    reason = unavailable(lens_model)
    if reason:
        raise ValueError(reason)
    sel = Selection.of(session.trace, _number(hypothesis, 0))
    if not sel.path:
        raise ValueError("there is no output to read")
    tokens = [ps.token for ps in sel.path]
    lens, t = step_lens(lens_model, session.trace.source, tokens, _number(step, 1) - 1, k)
    s, sym = lens.steps[t], session.trace.target_symbols
    layers = [{"layer": i + 1, "top": [{"token": sym[j], "p": p} for j, p in zip(s.top_ids[i].tolist(),
                                                                               s.top_probs[i].tolist(), strict=True)],
               "token_p": float(s.chosen_prob[i]), "token_rank": int(s.chosen_rank[i]), "entropy": float(s.entropy[i])}
              for i in range(lens.layers)]
    return {"model": session.model, "text": session.text, "hypothesis": sel.index, "output": [sym[i] for i in tokens],
            "step": t + 1, "token": sym[s.token], "reads": lens.reads, "layers": layers}


def _number(value, default: int) -> int:
    """A whole number from the API (a slider's 2.0 too), else ``default`` (as /explore treats its picks)."""
    value = whole(value)
    return value if isinstance(value, int) else default


def wire_lens_api(store) -> None:
    """/logit_lens: the /explore inputs (text, model, the page's controls, language) plus hypothesis, step and k."""
    defaults = {"model": "", **UiParams().controls(), "hypothesis": 0, "step": 1, "k": TOP_K, "language": ""}

    @gpu
    @named("text", "model", *CONTROL_NAMES, "hypothesis", "step", "k", "language", defaults=defaults,
           types={"text": str, "language": str})
    def logit_lens(text, model, *values) -> dict:
        """What each decoder layer predicted (the logit lens): decode `text` with the page's controls, then at output
        position `step` (1-based) of hypothesis `hypothesis` (0 = the best) read every layer's output through the
        model's final norm and output layer. Returns `layers`: per layer its `k` most probable next tokens with
        their probabilities, and `token_p` / `token_rank` of the token the hypothesis took (rank 1 = that layer's
        favourite); the last layer is the model's own distribution. Transformer-family models only."""
        *values, hypothesis, step, k, language = values
        try:
            return lens_answer(store, model, text, dict(zip(CONTROL_NAMES, values, strict=True)), hypothesis, step,
                               k, language)
        except USER_ERRORS as e:
            raise gr.Error(str(e), print_exception=False) from None

    gr.api(logit_lens, api_name="logit_lens", **DECODE_GROUP)
