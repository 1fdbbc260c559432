"""The decoding CLI (python -m playground.cli): options, inputs, text and JSON output, errors."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from decoding_cases import BEAM_MISSES
from helpers import tiny_model

from playground.cli import build_parser, config_from_args, main
from playground.models.checkpoint import save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def run(argv, model=BEAM_MISSES):
    out = io.StringIO()
    status = main(argv, model=model, out=out)
    return status, out.getvalue()


def test_every_config_field_is_an_option_and_only_given_ones_override():
    args = build_parser().parse_args(["--strategy", "beam", "--beam-width", "4", "--length-penalty", "0.5",
                                      "--early-stopping", "--filter-order", "top_k,temperature",
                                      "--top-k", "3", "--prefix", "a", "cat"])
    config = config_from_args(args, BEAM_MISSES)
    assert (config.strategy, config.beam_width, config.length_penalty) == ("beam", 4, 0.5)
    assert config.early_stopping is True
    assert config.filter_order == ("top_k", "temperature") and config.prefix == ("a",)
    assert config.temperature == 1.0 and config.record_trace is False


def test_json_prints_one_object_per_input():
    status, out = run(["--strategy", "beam", "--beam-width", "2", "--num-return", "2",
                       "--length-penalty-formula", "none", "--json", "abc", "cab"])
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and [d["input"] for d in lines] == ["abc", "cab"]
    assert [h["tokens"] for h in lines[0]["hypotheses"]] == [["b"], ["a", "c"]]
    assert lines[0]["hypotheses"][0]["score"] == pytest.approx(-1.0217, abs=1e-4)


def test_text_output_lists_ranked_hypotheses():
    status, out = run(["--strategy", "greedy", "abc"])
    assert status == 0 and out.splitlines()[0] == "abc"
    assert out.splitlines()[1].startswith("  1. ac\tscore -1.5896\tlog-prob -1.5896")


def test_inputs_from_a_file_and_bad_lines_reported_in_json(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("abc\n\n  bad!  \ncba\n")
    status, out = run(["--input", str(words), "--json"])
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 1 and [d["input"] for d in lines] == ["abc", "bad!", "cba"]
    assert "unknown symbol(s) '!'" in lines[1]["error"] and "hypotheses" in lines[2]


@pytest.mark.parametrize("argv, message", [
    (["--beam-width", "40", "abc"], "beam_width must be an integer in [1, 16], got 40"),
    (["--strategy", "nucleus", "abc"], "invalid choice: 'nucleus'"),
    (["--top-p", "x", "abc"], "invalid float value: 'x'"),
    ([], "give inputs as arguments or with --input FILE"),
    (["--prefix", "z", "abc"], "unknown symbol(s) 'z'"),
])
def test_bad_options_exit_with_status_2_and_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_a_saved_checkpoint_decodes_end_to_end(tmp_path):
    directory = save_checkpoint(tiny_model(), tmp_path / "ckpt", meta={"name": "tiny", "task": "g2p"})
    out = io.StringIO()
    assert main(["--model", str(directory), "--strategy", "sample", "--num-samples", "3", "--num-return", "3",
                 "--max-length", "5", "--prefix", "k ae", "--json", "cat"], out=out) == 0
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(line["hypotheses"]) == 3 and all(h["tokens"][:2] == ["K", "AE"] for h in line["hypotheses"])
    with pytest.raises(SystemExit):
        main(["--model", str(tmp_path / "missing"), "cat"])


def test_python_dash_m_entry_point(tmp_path):
    directory = save_checkpoint(tiny_model(), tmp_path / "ckpt", meta={"name": "tiny", "task": "g2p"})
    done = subprocess.run([sys.executable, "-m", "playground.cli", "--model", str(directory), "--strategy",
                           "beam", "--beam-width", "3", "--max-length", "4", "--json", "cat", "dog"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["input"] for line in done.stdout.splitlines()] == ["cat", "dog"]
