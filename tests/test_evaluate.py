import json

import pytest
from helpers import tiny_model

from playground import load_model
from playground.models.checkpoint import save_checkpoint
from playground.training import evaluate


@pytest.fixture
def checkpoint(tmp_path):
    return save_checkpoint(tiny_model(), tmp_path / "ckpt", meta={"name": "tiny", "task": "g2p", "description": "t"})


def test_evaluate_reports_both_searches(checkpoint, capsys):
    metrics = evaluate.main(["--model", str(checkpoint), "--split", "dev", "--limit", "4", "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["split"] == "dev" and printed["items"] == 4
    for search in ("greedy", "beam5"):
        assert 0.0 <= metrics[f"{search}_wer"] <= 1.0 and metrics[f"{search}_ms_per_word"] > 0
    # a random tiny model gets (almost) every word wrong
    assert metrics["greedy_wer"] == 1.0


def test_table_output(checkpoint, capsys):
    evaluate.main(["--model", str(checkpoint), "--split", "dev", "--limit", "2", "--search", "greedy"])
    out = capsys.readouterr().out
    assert "| search | WER | PER | ms / word |" in out and "| greedy |" in out and "beam5" not in out


def test_write_metrics_updates_config_and_card(checkpoint):
    model = load_model(checkpoint)
    metrics = {"greedy_wer": 0.25, "greedy_per": 0.05, "greedy_ms_per_word": 3.0, "command": "cmd"}
    evaluate.write_metrics(checkpoint, "test", metrics, model)
    assert load_model(checkpoint).config["metrics"]["test"]["greedy_wer"] == 0.25
    assert "| test | greedy | 25.0 % | 5.0 % | 3.0 |" in (checkpoint / "README.md").read_text()
