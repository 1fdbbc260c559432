"""Word and phoneme error rates of a checkpoint, decoded by the playground's own engine.

    python -m playground.training.evaluate --model checkpoints/g2p-bahdanau --split test
    python -m playground.training.evaluate --model checkpoints/p2g-luong --split dev --json

Greedy and beam search (width 5, stopping once 5 hypotheses have finished, as fairseq does) go through the
playground's engine (``decode_many``: ``--batch-size`` words at once, with trace recording off; each output is
what the page would decode for that word alone), so "ms / word" is throughput at that batch size, and
``--batch-size 1`` the interactive latency. The length penalty is chosen on the dev split. ``--write`` stores
the numbers in the checkpoint's config.json and model card.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from playground.decoding import DecodeConfig, decode_many
from playground.decoding.api import BATCH_SIZE
from playground.models.card import model_card
from playground.models.checkpoint import CARD_NAME, CONFIG_NAME
from playground.models.loading import load_model
from playground.training import data
from playground.training.metrics import error_rates

SEARCHES = ("greedy", "beam5")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="checkpoint directory")
    p.add_argument("--split", choices=("dev", "test"), default="dev")
    p.add_argument("--search", choices=SEARCHES, nargs="+", default=list(SEARCHES))
    p.add_argument("--length-penalty", type=float, default=0.0, help="beam search's alpha")
    p.add_argument("--length-penalty-formula", choices=("none", "length", "gnmt"), default="length")
    p.add_argument("--limit", type=int, default=0, help="score only the first N items (quick checks)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                   help="words decoded at once (1: one at a time, the page's path); the outputs do not change")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--write", action="store_true", help="store the metrics in the checkpoint's config and card")
    return p.parse_args(argv)


def search_config(search: str, args) -> DecodeConfig:
    if search == "greedy":
        return DecodeConfig(strategy="greedy", max_length=48, record_trace=False)
    return DecodeConfig(strategy="beam", beam_width=5, early_stopping=True, length_penalty=args.length_penalty,
                        length_penalty_formula=args.length_penalty_formula, max_length=48, record_trace=False)


def outputs(model, sources, config: DecodeConfig, batch_size: int = BATCH_SIZE) -> list[tuple[str, ...]]:
    """The best output (symbols) for each source (a tuple of symbols), decoded ``batch_size`` at a time."""
    texts = [model.source_vocab.detokenize(src) for src in sources]
    return [tuple(r.hypotheses[0].tokens) for r in decode_many(model, texts, config, batch_size=batch_size)]


def evaluate(model, items, search: str, config: DecodeConfig, batch_size: int = BATCH_SIZE) -> dict:
    start = time.perf_counter()
    hyps = outputs(model, [src for src, _ in items], config, batch_size)
    seconds = time.perf_counter() - start
    rates = error_rates(hyps, [refs for _, refs in items])
    return {f"{search}_wer": rates["wer"], f"{search}_per": rates["per"],
            f"{search}_ms_per_word": 1000 * seconds / len(items), "items": rates["items"], "batch_size": batch_size}


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_model(args.model)
    task = model.config["task"]
    lexicon = data.load_lexicon()
    splits = data.make_splits(lexicon, data.load_test_words())
    items = data.eval_items(getattr(splits, args.split), task, lexicon)[: args.limit or None]
    metrics = {"items": len(items), "skipped_test_words": splits.skipped_test_words if args.split == "test" else 0}
    for search in args.search:
        metrics.update(evaluate(model, items, search, search_config(search, args), args.batch_size))
    metrics["command"] = "python -m playground.training.evaluate " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.json:
        print(json.dumps({"model": args.model, "task": task, "split": args.split, **metrics}))
    else:
        print(f"{args.model} ({task}), {args.split} split, {len(items)} items"
              + (f", {metrics['skipped_test_words']} test words skipped" if args.split == "test" else ""))
        print("| search | WER | PER | ms / word |\n|---|---|---|---|")
        for search in args.search:
            print(f"| {search} | {metrics[f'{search}_wer']:.2%} | {metrics[f'{search}_per']:.2%} | "
                  f"{metrics[f'{search}_ms_per_word']:.1f} |")
    if args.write and not args.limit:
        write_metrics(Path(args.model), args.split, metrics, model)
    return metrics


def write_metrics(directory: Path, split: str, metrics: dict, model) -> None:
    config = json.loads((directory / CONFIG_NAME).read_text())
    split_metrics = config.setdefault("metrics", {}).setdefault(split, {})
    split_metrics.update(metrics)
    (directory / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    (directory / CARD_NAME).write_text(model_card(config, model))


if __name__ == "__main__":
    main()
