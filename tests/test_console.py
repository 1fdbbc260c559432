"""The ``playground`` console script (playground/console.py), called in-process: no install needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground import cli, console
from playground.ui import app

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_both_commands(capsys):
    with pytest.raises(SystemExit) as stop:
        console.main(["--help"])
    out = capsys.readouterr().out
    assert stop.value.code == 0 and "decode" in out and "serve" in out and "--checkpoints" not in out


def test_decode_hands_everything_after_it_to_the_cli(monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "main", lambda argv: seen.append(argv) or 1)
    assert console.main(["decode", "--model", "m", "--beam-width", "3", "cat"]) == 1  # the CLI's exit status
    assert seen == [["--model", "m", "--beam-width", "3", "cat"]]


def test_decode_help_is_the_clis_and_a_shipped_model_decodes(capsys):
    with pytest.raises(SystemExit) as stop:
        console.main(["decode", "--help"])
    assert stop.value.code == 0 and "--beam-width" in capsys.readouterr().out
    assert console.main(["decode", "--model", str(ROOT / "checkpoints" / "g2p-bahdanau"), "colonel"]) == 0
    assert "K ER N AH L" in capsys.readouterr().out


def test_serve_passes_its_options_to_the_app(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(app, "main", lambda **kwargs: seen.append(kwargs))
    assert console.main(["serve", "--host", "0.0.0.0", "--port", "7999", "--checkpoints", str(tmp_path)]) == 0
    assert seen == [dict(host="0.0.0.0", port=7999, checkpoints=tmp_path)]
    assert console.main(["serve"]) == 0 and seen[-1] == dict(host=None, port=None, checkpoints=ROOT / "checkpoints")


def test_serve_without_checkpoints_says_where_to_find_them(tmp_path, capsys):
    assert console.main(["serve", "--checkpoints", str(tmp_path)]) == 2  # an installed package has none of its own
    err = capsys.readouterr().err
    assert f"no checkpoint directory with config.json in {tmp_path}" in err and "--checkpoints DIR" in err
