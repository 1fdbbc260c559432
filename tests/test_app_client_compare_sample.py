"""The Compare and Sample tabs' endpoints through gradio_client, on two untrained tiny models."""

from __future__ import annotations

import json

import pytest
from helpers import served_client

from playground.analysis.compare import KNOBS

pytestmark = pytest.mark.server
COLUMN = list({**KNOBS, "strategy": "beam", "beam_width": 3}.values())  # a column's knobs, in KNOBS order


@pytest.fixture(scope="module")
def client():
    yield from served_client(range(7910, 7920))


def test_named_endpoints(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/compare", "/compare_json", "/sample", "/sample_json"} <= names


def test_compare_json_all_columns_in_one_call(client):
    out = client.predict("cab", "g2p-tiny", ["greedy", "beam 5", "nucleus p=0.9"], 0, 8, api_name="/compare_json")
    assert [c["label"] for c in out["columns"]] == ["greedy", "beam 5", "nucleus p=0.9"]
    assert out["source"] == ["c", "a", "b"] and len(out["alignment"]["rows"]) == 3
    assert [len(c["outputs"]) for c in out["columns"]] == [1, 3, 1]
    assert out["columns"][1]["trace"]["config"]["beam_width"] == 5


def test_compare_endpoint_renders_the_shown_columns(client):
    greedy = list(KNOBS.values())
    models = ["same as above", "g2p-tiny", "same as above", "same as above"]  # column 2 names the model itself
    status, diff, download, *columns = client.predict("g2p-tiny", "cab", 2, 0, 8, *models, *greedy, *COLUMN,
                                                      *COLUMN, *COLUMN, api_name="/compare")
    assert status == "" and diff["type"] == "plotly"
    html, plots = columns[0::2], columns[1::2]
    assert "greedy" in html[0] and "beam search 3" in html[1] and "score" in html[1]
    assert all(p["type"] == "plotly" and len(p["plot"]) < 60_000 for p in plots[:2])
    with open(download) as f:
        assert [c["label"] for c in json.load(f)["columns"]] == ["greedy", "beam search 3 · α=1"]


def test_sample_json_counts_add_up(client):
    out = client.predict("cab", "g2p-tiny", 50, 1.5, 0, 0.9, 0.0, 3, 8, api_name="/sample_json")
    assert out["n"] == 50 and sum(o["count"] for o in out["outputs"]) == 50
    assert out["distinct"] == len(out["outputs"]) and 0 <= out["entropy"] <= 4
    assert out["config"]["temperature"] == 1.5 and out["config"]["top_p"] == 0.9


def test_sample_endpoint_returns_figures_and_a_download(client):
    status, figures, outputs, calibration, download = client.predict(
        "g2p-tiny", "cab", 40, 1.0, 0, 1.0, 0.0, 0, 8, api_name="/sample")
    assert status == "" and "distinct output" in figures and "40" in figures
    assert outputs["type"] == calibration["type"] == "plotly"
    with open(download) as f:
        assert json.load(f)["n"] == 40


@pytest.mark.parametrize("args, api, message", [
    (("c4b", "g2p-tiny", ["greedy", "beam 5"]), "/compare_json", "unknown symbol"),
    (("cab", "g2p-tiny", ["greedy"]), "/compare_json", "2 to 4"),
    (("cab", "g2p-tiny", ["greedy", "best"]), "/compare_json", "unknown preset"),
    (("cab", "g2p-tiny", ["greedy", "beam 5"], 0, 8, None, "de_DE"), "/compare_json", "unknown target language"),
    (("cab", "g2p-tiny", 5000), "/sample_json", "number of samples"),
    (("", "g2p-tiny", 10), "/sample_json", "empty"),
    (("g2p-tiny", "cab", 10, -1.0, 0, 1.0, 0.0, 0, 8), "/sample", "less than minimum"),  # gradio's own check
    (("g2p-tiny", "c4b", 10, 1.0, 0, 1.0, 0.0, 0, 8), "/sample", "unknown symbol"),
    (("g2p-tiny", "cab", 2, 0, 8, *["same as above"] * 4,
      *{**KNOBS, "strategy": "diverse_beam", "num_groups": 2, "diversity_penalty": 0.5}.values(), *COLUMN * 3),
     "/compare", "column 1: num_groups must divide"),
])
def test_bad_requests_get_a_message_not_a_stack_trace(client, args, api, message):
    with pytest.raises(Exception) as err:
        client.predict(*args, api_name=api)
    assert message in str(err.value) and "Traceback" not in str(err.value)


def test_compare_json_puts_two_models_side_by_side(client):
    out = client.predict("K AE T", "p2g-tiny", ["greedy", "beam 5"], 0, 6, ["p2g-tiny", "p2g-tiny"],
                         api_name="/compare_json")
    assert [c["label"] for c in out["columns"]] == ["greedy", "beam 5"] and out["source"] == ["K", "AE", "T"]
    with pytest.raises(Exception, match="column 2"):  # a G2P model cannot read ARPAbet: it says which column
        client.predict("K AE T", "p2g-tiny", ["greedy", "beam 5"], 0, 6, ["p2g-tiny", "g2p-tiny"],
                       api_name="/compare_json")


# --- minimum Bayes risk (ui/tabs/sample_mbr.py) -------------------------------------------------------------------
def test_mbr_endpoints_are_named(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/mbr", "/mbr_json"} <= names


@pytest.mark.parametrize("source, n", [("sample", 40), ("beam", 4)])
def test_mbr_json_expected_utilities_are_the_weighted_row_means_and_the_choice_their_argmax(client, source, n):
    import numpy as np

    out = client.predict("cab", "g2p-tiny", n, 1.5, 0, 1.0, 0.0, 3, 8, source, api_name="/mbr_json")
    matrix, weights, expected = (np.array(out[k]) for k in ("matrix", "weights", "expected_utilities"))
    distinct = len(out["candidates"])
    assert out["method"] == source and matrix.shape == (distinct, distinct) and np.diag(matrix) == pytest.approx(1)
    assert weights.sum() == pytest.approx(1.0) and expected == pytest.approx(matrix @ weights)  # self included
    assert out["choice"] == int(np.argmax(expected)) and out["mbr"] == out["candidates"][out["choice"]]
    if source == "sample":  # w = count / n: E is the plain mean of the row over all n samples
        counts = [c["count"] for c in out["candidates"]]
        assert sum(counts) == n == out["n"] and out["config"]["temperature"] == 1.5
        assert expected == pytest.approx(np.repeat(matrix, counts, axis=1).mean(axis=1))
    else:  # w = p(y|x) renormalised over the n-best list
        probs = np.exp([c["log_prob"] for c in out["candidates"]])
        assert weights == pytest.approx(probs / probs.sum()) and out["config"]["beam_width"] == 4
    assert {"label", "tokens", "log_prob", "expected_utility", "correct"} <= set(out["beam"]) & set(out["mode"])


def test_mbr_endpoint_returns_its_views_and_a_download(client):
    status, summary, matrix, expected, compare, download = client.predict(
        "g2p-tiny", "cab", 30, "sample", 1.0, 0, 1.0, 0.0, 0, 8, "", api_name="/mbr")
    assert status == "" and "30 samples" in summary and "MBR's choice" in compare
    assert matrix["type"] == expected["type"] == "plotly"
    with open(download) as f:
        assert json.load(f)["n"] == 30


@pytest.mark.parametrize("args, message", [
    (("cab", "g2p-tiny", 500), "from 1 to 200"),
    (("cab", "g2p-tiny", 20, 1.0, 0, 1.0, 0.0, 0, 8, "beam"), "from 1 to 16"),
    (("cab", "g2p-tiny", 5, 1.0, 0, 1.0, 0.0, 0, 8, "greedy"), "source must be one of 'sample', 'beam'"),
    (("c4b", "g2p-tiny", 5), "unknown symbol"),
    (("cab", "g2p-tiny", 5, 1.0, 0, 1.0, 0.0, 0, 8, "sample", "de_DE"), "de_DE"),
])
def test_bad_mbr_requests_get_a_message(client, args, message):
    with pytest.raises(Exception) as err:
        client.predict(*args, api_name="/mbr_json")
    assert message in str(err.value) and "Traceback" not in str(err.value)
