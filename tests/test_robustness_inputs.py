"""Issue 7, bad input and bad parameters on every surface: the Python API, the CLI, the UI handlers and the
launched app's /decode endpoint. Each bad text and each bad value gets one message, the same everywhere,
saying what is allowed; never a traceback. Harmless differences (case, surrounding space, a letter and its
accent typed apart) are normalised instead."""

from __future__ import annotations

import html
import io
import json
import math
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import torch
from gradio_client import Client
from helpers import tiny_model, tiny_store

from playground.cli import main
from playground.decoding import DecodeConfig, decode
from playground.decoding.config import LENGTH_PENALTY_FORMULAS, STRATEGIES
from playground.decoding.scripted import ScriptedModel
from playground.models.checkpoint import save_checkpoint
from playground.models.vocab import InputError
from playground.ui.common.controls import UiParams
from playground.ui.explore.handlers import api_decode, run_decode
from playground.ui.explore.service import ExploreService
from playground.ui.wiring import DECODE_DEFAULTS, DECODE_FIELDS

MODEL = tiny_model()  # source vocabulary: the letters a-z and the apostrophe (CHARS), as the shipped G2P
ALLOWED = "letters a-z and the apostrophe"

BAD_TEXTS = [  # (id, text, fragments the message must hold)
    ("empty", "", ["input is empty", ALLOWED]),
    ("blank", " \t\n ", ["input is empty", ALLOWED]),
    ("49 symbols", "a" * 49, ["input has 49 symbols; the maximum is 48"]),
    ("pasted page", "word " * 1000, ["input has 5000 characters; the maximum is 48 symbols"]),
    ("digits", "c4t", ["unknown symbol(s) '4'", ALLOWED]),
    ("punctuation", "cat!?", ["unknown symbol(s) '!', '?'", ALLOWED]),
    ("emoji", "cat😀", ["'😀'", ALLOWED]),
    ("emoji sequence", "👨\u200d👩\u200d👧", ["U+200D ZERO WIDTH JOINER", ALLOWED]),
    ("cyrillic", "кот", ["'к', 'о', 'т'", ALLOWED]),
    ("cjk", "猫", ["'猫'", ALLOWED]),
    ("arabic", "قط", ["'ط', 'ق'", ALLOWED]),
    ("many unknown named briefly", "абвгдежзийклм", ["and 5 more", ALLOWED]),
    ("accent typed apart, composed then refused", "cafe\u0301", ["unknown symbol(s) 'é'", ALLOWED]),
    ("lone combining mark", "\u0301", ["U+0301 COMBINING ACUTE ACCENT", ALLOWED]),
    ("mark with no composed form", "q\u0303", ["U+0303 COMBINING TILDE", ALLOWED]),
    ("html", "<b>cat</b>", ["'/', '<', '>'", ALLOWED]),
    ("script", "<script>alert(1)</script>", ["'(', ')', '/', '1', '<', '>'", ALLOWED]),
    ("NUL", "ca\x00t", ["control or invisible character(s) U+0000 (a control character)", ALLOWED]),
    ("tab inside", "ca\tt", ["U+0009", ALLOWED]),
    ("terminal escape", "\x1b[31mcat", ["U+001B", ALLOWED]),
    ("zero-width space", "col\u200bonel", ["U+200B ZERO WIDTH SPACE", ALLOWED]),
    ("right-to-left override", "cat\u202e", ["U+202E RIGHT-TO-LEFT OVERRIDE", ALLOWED]),
    ("space inside", "new york", ["U+0020 SPACE", ALLOWED]),
    ("fullwidth letters", "ｃａｔ", ["'ａ', 'ｃ', 'ｔ'", ALLOWED]),
]
NORMALISED = [("  CoLoNeL  ", "colonel"), ("CAT\n", "cat"), ("\tDon'T ", "don't")]


@dataclass(frozen=True)
class Bad:
    id: str
    config: dict  # DecodeConfig fields (Python API, /decode)
    message: str  # DecodeConfig's message: every surface that lets the value through to it shows this
    cli: list[str] = field(default_factory=list)  # argparse refuses first: fragments of its message instead
    ui: dict | None = None  # UiParams fields when they differ from ``config``


NAN = float("nan")
BAD_PARAMS = [
    Bad("temperature < 0", {"strategy": "sample", "temperature": -0.5},
        "temperature must be a number in [0, 100], got -0.5"),
    Bad("temperature NaN", {"temperature": NAN}, "temperature must be a number in [0, 100], got nan"),
    Bad("temperature string", {"temperature": "hot"}, "temperature must be a number in [0, 100], got 'hot'",
        cli=["argument --temperature: invalid float value: 'hot'"]),
    Bad("top-p 0", {"top_p": 0.0}, "top_p must be a number in (0, 1], got 0.0"),
    Bad("top-p > 1", {"top_p": 1.5}, "top_p must be a number in (0, 1], got 1.5"),
    Bad("top-k < 0", {"top_k": -1}, "top_k must be an integer in [0, 1000000], got -1"),
    Bad("top-k fraction", {"top_k": 2.5}, "top_k must be an integer in [0, 1000000], got 2.5",
        cli=["argument --top-k: invalid int value: '2.5'"]),
    Bad("min-p 1", {"min_p": 1.0}, "min_p must be a number in [0, 1), got 1.0"),
    Bad("beam width 0", {"strategy": "beam", "beam_width": 0}, "beam_width must be an integer in [1, 16], got 0"),
    Bad("beam width 17", {"strategy": "beam", "beam_width": 17}, "beam_width must be an integer in [1, 16], got 17"),
    Bad("beam width string", {"strategy": "beam", "beam_width": "four"},
        "beam_width must be an integer in [1, 16], got 'four'", cli=["invalid int value: 'four'"]),
    Bad("max length 65", {"max_length": 65}, "max_length must be an integer in [1, 64], got 65"),
    Bad("1001 samples", {"strategy": "sample", "num_samples": 1001},
        "num_samples must be an integer in [1, 1000], got 1001", ui={"strategy": "sample", "num_return": 1001}),
    Bad("unknown strategy", {"strategy": "nucleus"}, "strategy must be one of " + ", ".join(map(repr, STRATEGIES))
        + "; got 'nucleus'", cli=["invalid choice: 'nucleus'", *STRATEGIES]),
    Bad("unknown formula", {"strategy": "beam", "length_penalty_formula": "wu"}, "length_penalty_formula must be "
        "one of 'none', 'length', 'gnmt'; got 'wu'", cli=["invalid choice: 'wu'", *LENGTH_PENALTY_FORMULAS]),
    Bad("negative seed", {"seed": -1}, "seed must be an integer in [0, 9223372036854775807], got -1"),
    Bad("time budget 0", {"time_budget_s": 0.0}, "time_budget_s must be a number in (0, 60.0], got 0.0"),
]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def store():
    return tiny_store()  # "g2p-tiny" reads CHARS, as MODEL does


@pytest.fixture(scope="module")
def client(store):
    from playground.ui import build_demo
    from playground.ui.server import serve

    url, demo = serve(build_demo(store), ports=range(7890, 7900))
    yield Client(url, verbose=False)
    demo.close()


def api_message(text: str) -> str:
    with pytest.raises(InputError) as error:
        decode(MODEL, text)
    return str(error.value)


def cli(argv: list[str], model=MODEL) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, model=model, out=out), out.getvalue()


# --- text --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, fragments", [case[1:] for case in BAD_TEXTS], ids=[c[0] for c in BAD_TEXTS])
def test_bad_text_gets_the_same_message_from_api_cli_and_ui(text, fragments, store, recwarn):
    message = api_message(text)
    assert all(f in message for f in fragments), message
    status, out = cli(["--json", text])
    assert status == 1 and json.loads(out) == {"input": text, "error": message}
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        run_decode(store, "g2p-tiny", text, UiParams())
    service = ExploreService(store, concurrency=1)
    service.explore({"token": "page", "model": "g2p-tiny", "text": "cat", **UiParams().controls()})
    answer = json.loads(service.explore({"token": "page", "model": "g2p-tiny", "text": text,
                                         **UiParams().controls()}))
    assert answer == {"error": f"Cannot decode: {html.escape(message, quote=False)}"}  # escaped: shown as HTML
    assert json.loads(service.export({"token": "page"}))["text"] == "cat"  # the page's views stay


@pytest.mark.server
@pytest.mark.parametrize("text, fragments", [case[1:] for case in BAD_TEXTS], ids=[c[0] for c in BAD_TEXTS])
def test_bad_text_at_the_decode_endpoint(text, fragments, client):
    with pytest.raises(Exception) as error:
        client.predict(text, "g2p-tiny", api_name="/decode")
    assert api_message(text) in str(error.value) and "Traceback" not in str(error.value)


@pytest.mark.parametrize("text, source", NORMALISED)
def test_harmless_differences_are_normalised_everywhere(text, source, store):
    assert decode(MODEL, text).trace.source == list(source)
    assert json.loads(cli(["--json", text])[1])["input"] == text
    assert run_decode(store, "g2p-tiny", text, UiParams()).trace.source == list(source)


def test_a_letter_and_its_accent_typed_apart_become_one_known_symbol():
    model = ScriptedModel(target_symbols="ab", source_symbols="acfé")
    assert decode(model, "CAFE\u0301").trace.source == ["c", "a", "f", "é"]  # NFC, then lower case


def test_phoneme_input_names_unknown_symbols_and_normalises_case(store):
    with pytest.raises(InputError, match=r"unknown symbol\(s\) 'AE1'; allowed: space-separated symbols from AA"):
        run_decode(store, "p2g-tiny", "K AE1 T", UiParams())
    assert run_decode(store, "p2g-tiny", " k  ae t ", UiParams()).trace.source == ["K", "AE", "T"]


def test_cli_shows_control_characters_instead_of_sending_them_to_the_terminal(capsys):
    assert cli(["\x1b[2Jcat"])[0] == 1
    assert capsys.readouterr().err.startswith("'\\x1b[2Jcat': input contains control")


# --- parameters --------------------------------------------------------------------------------------

def cli_argv(config: dict) -> list[str]:
    return [f"--{k.replace('_', '-')}={v}" for k, v in config.items()] + ["cat"]


def ui_params(case: Bad) -> UiParams | None:
    values = case.ui if case.ui is not None else case.config
    return UiParams(**values) if set(values) <= set(UiParams.__dataclass_fields__) else None


@pytest.mark.parametrize("case", BAD_PARAMS, ids=[c.id for c in BAD_PARAMS])
def test_bad_parameter_gets_a_message_naming_what_is_allowed(case, store, capsys):
    with pytest.raises(ValueError) as error:
        decode(MODEL, "cat", DecodeConfig(**case.config))
    assert str(error.value) == case.message
    with pytest.raises(SystemExit) as exit_info:
        cli(cli_argv(case.config))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Traceback" not in err
    assert all(f in err for f in case.cli or [case.message]), err
    if (params := ui_params(case)) is not None:
        with pytest.raises(ValueError) as error:
            run_decode(store, "g2p-tiny", "cat", params)
        assert str(error.value) == case.message
    if set(case.config) <= set(DECODE_FIELDS):
        with pytest.raises(ValueError) as error:
            api_decode(store, "g2p-tiny", "cat", case.config)
        assert str(error.value) == case.message


ENDPOINT_CASES = [c for c in BAD_PARAMS if set(c.config) <= set(DECODE_FIELDS) and "NaN" not in c.id]


@pytest.mark.server
@pytest.mark.parametrize("case", ENDPOINT_CASES, ids=[c.id for c in ENDPOINT_CASES])
def test_bad_parameter_at_the_decode_endpoint(case, client):
    with pytest.raises(Exception) as error:
        client.predict("cat", "g2p-tiny", api_name="/decode", **case.config)
    assert case.message in str(error.value) and "Traceback" not in str(error.value)


@pytest.mark.server
def test_nan_sent_as_raw_json_is_refused_by_name(client):
    """gradio_client cannot send NaN (strict JSON), but any HTTP client can: the server parses it."""
    base = client.src.rstrip("/") + "/gradio_api/call/decode"
    # every /decode argument, in order (wiring.decode_endpoint); json.dumps writes NaN as the bare literal
    values = {**DECODE_DEFAULTS, "model": "g2p-tiny", "strategy": "sample", "temperature": NAN}
    data = ["cat", *values.values()]
    with httpx.Client(timeout=60) as http:
        posted = http.post(base, content=json.dumps({"data": data}), headers={"content-type": "application/json"})
        event = http.get(f"{base}/{posted.json()['event_id']}").text
    assert "event: error" in event and "temperature must be a number in [0, 100], got nan" in event


def test_the_page_repairs_what_it_can_and_says_so(store):
    session = run_decode(store, "g2p-tiny", "cat", UiParams(strategy="beam", beam_width=4, num_return=9))
    assert len(session.trace.hypotheses) >= 4 and session.notes == [
        "showing 4 hypotheses: a search cannot return more than its beam width"]
    answer = ExploreService(store, concurrency=1).explore(
        {"token": "p", "model": "g2p-tiny", "text": "cat", **UiParams().controls(), "step": "x", "layer": [1]})
    assert json.loads(answer)["step"] == 1  # a step or layer that is not a number: the first, the last


def test_python_dash_m_reports_bad_input_without_a_traceback(tmp_path):
    directory = save_checkpoint(tiny_model(), tmp_path / "ckpt", meta={"name": "tiny", "task": "g2p"})
    done = subprocess.run([sys.executable, "-m", "playground.cli", "--model", str(directory), "--max-length",
                           "4", "--json", "c4t", "<script>", "cat"], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert [("error" in d, d["input"]) for d in lines] == [(True, "c4t"), (True, "<script>"), (False, "cat")]
    assert math.isfinite(lines[2]["hypotheses"][0]["log_prob"])
