"""The Explore tab's "What each layer predicted" chart (ui/explore/lens.py) and /logit_lens (lens_api.py): the chart
is a pure function of the trace and the lens data the session computed; it is disabled, with a sentence, for an
RNN; every step's figure reaches the views JSON; /logit_lens answers through gradio_client."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from helpers import tiny_model, tiny_transformer

from playground import DecodeConfig, decode
from playground.analysis.logit_lens import Lens, LensSource
from playground.ui.common.style import esc, figure
from playground.ui.explore.handlers import Session, render_views
from playground.ui.explore.lens import NOT_COMPUTED, lens_spec, with_lens
from playground.ui.explore.selection import Selection

TRANSFORMER = tiny_transformer(layers=3)  # (a session holds its model weakly, as the store's models are held)


def transformer_session(model=TRANSFORMER, text="cabbage", **config) -> Session:
    trace = decode(model, text, DecodeConfig(**{"max_length": 8, **config})).trace
    return Session(trace=trace, text=text, model="tf", lens=LensSource(model, trace.source))


def test_the_chart_draws_layers_by_tokens_with_the_token_taken_boxed():
    session = transformer_session(strategy="beam", beam_width=3, num_return=2)
    sel = with_lens(Selection.of(session.trace, 1), session.lens)
    assert isinstance(sel.lens, Lens) and len(sel.lens.steps) == sel.steps > 1
    for t in range(sel.steps):
        data, layout = lens_spec(sel, t)
        go.Figure(figure(data, layout).to_dict())  # plotly's own validation accepts it
        heatmap, step = data[0], sel.lens.steps[t]
        assert heatmap["y"] == ["layer 3 · output", "layer 2", "layer 1"]  # the last layer on top
        assert np.allclose(heatmap["z"], step.probs[::-1])
        token = esc(sel.trace.target_symbols[sel.path[t].token])
        taken = heatmap["x"].index(f"<b>{token}</b>")
        assert layout["shapes"][0]["x0"] == taken - 0.5 and layout["title"]["text"].endswith(f"step {t + 1}: "
                                                                                            f"{token} taken")
        # the top row is the model's own distribution at that step, as the trace recorded it
        p1 = sel.row_probs(sel.path[t])["p1"]
        assert np.allclose(heatmap["z"][0], p1[step.columns], atol=2e-5)
        assert np.all(np.diff(heatmap["z"][0]) <= 1e-7)  # the last layer's most probable first
        assert 240 <= layout["height"] <= 640


def test_the_chart_is_disabled_with_a_reason_for_an_rnn_and_without_the_model():
    model = tiny_model()
    trace = decode(model, "cab", DecodeConfig(max_length=6)).trace
    sel = with_lens(Selection.of(trace), LensSource(model, trace.source))
    data, layout = lens_spec(sel, 0)
    assert data == [] and "not available" in layout["title"]["text"]
    assert "An RNN has no logit lens" in layout["annotations"][0]["text"].replace("<br>", " ")
    go.Figure(figure(data, layout).to_dict())
    data, layout = lens_spec(Selection.of(trace), 0)  # playground.views.figures: no model, no lens
    assert layout["annotations"][0]["text"].replace("<br>", " ") == NOT_COMPUTED


def test_every_step_of_the_lens_reaches_the_views_json():
    session = transformer_session(strategy="beam", beam_width=3)
    views = render_views(session, 0, 0)
    payload = json.loads(views.step_views)
    assert len(payload["lens"]) == views.steps > 1
    for t in range(views.steps):  # what the page draws at step t = what the server renders for step t
        server = json.loads(render_views(session, 0, t).step_views)["figures"]["lens"]
        assert payload["lens"][t] == server
    # an RNN's disabled chart is the same at every step: sent once, in figures
    rnn = decode(model := tiny_model(), "cab", DecodeConfig(max_length=6)).trace
    payload = json.loads(render_views(Session(trace=rnn, lens=LensSource(model, rnn.source)), 0, 0).step_views)
    assert "lens" not in payload and "not available" in payload["figures"]["lens"]["layout"]["title"]["text"]


def test_a_session_computes_each_hypothesis_once():
    session = transformer_session(strategy="beam", beam_width=3, num_return=3)
    first = render_views(session, 1, 0)
    again = render_views(session, 1, 2)
    assert with_lens(Selection.of(session.trace, 1), session.lens).lens is \
        with_lens(Selection.of(session.trace, 1), session.lens).lens
    assert first.specs["lens"][1]["title"] != again.specs["lens"][1]["title"]  # steps 1 and 3


# --- /logit_lens through gradio_client ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    from gradio_client import Client

    from playground.ui import ModelStore, build_demo
    from playground.ui.server import serve

    store = ModelStore({"g2p-tiny": tiny_model(), "g2p-tf": tiny_transformer(layers=3)})
    url, demo = serve(build_demo(store), ports=range(7930, 7940))
    try:
        yield Client(url, verbose=False)
    finally:
        demo.close()


@pytest.mark.server
def test_logit_lens_endpoint(client):
    assert "/logit_lens" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    out = client.predict("cab", "g2p-tf", strategy="beam", beam_width=3, num_return=2, hypothesis=1, step=2, k=4,
                         max_length=8, api_name="/logit_lens")
    assert out["model"] == "g2p-tf" and out["hypothesis"] == 1 and out["step"] == 2
    assert out["token"] == out["output"][1] and len(out["layers"]) == 3 and "LayerNorm" in out["reads"]
    for layer in out["layers"]:
        ps = [t["p"] for t in layer["top"]]
        assert len(ps) == 4 and ps == sorted(ps, reverse=True) and layer["token_rank"] >= 1
        assert (layer["token_rank"] == 1) == (layer["top"][0]["token"] == out["token"])
    # the last layer is the model's own distribution at that step: /decode's trace says the same
    trace = client.predict("cab", "g2p-tf", "beam", beam_width=3, num_return=2, max_length=8, api_name="/decode")
    node = trace["returned"][1]
    path = [node]
    while trace["nodes"][path[-1]]["parent"] != -1:
        path.append(trace["nodes"][path[-1]]["parent"])
    second = trace["nodes"][path[::-1][2]]  # root, first token, second token
    assert out["layers"][-1]["token_p"] == pytest.approx(np.exp(second["log_prob"]), rel=1e-4)
    assert client.predict("cab", "g2p-tf", step=99, api_name="/logit_lens")["step"] == \
        len(client.predict("cab", "g2p-tf", api_name="/logit_lens")["output"])  # clamped to the output


@pytest.mark.server
@pytest.mark.parametrize("kwargs, message", [(dict(model="g2p-tiny"), "An RNN has no logit lens"),
                                             (dict(model="g2p-tf", k=0), "k must be"),
                                             (dict(model="g2p-tf", text="c4b"), "unknown symbol")])
def test_logit_lens_refuses_with_a_message(client, kwargs, message):
    with pytest.raises(Exception) as err:
        client.predict(**{"text": "cab", **kwargs}, api_name="/logit_lens")
    assert message in str(err.value) and "Traceback" not in str(err.value)
