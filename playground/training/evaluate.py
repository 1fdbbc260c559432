"""Word and phoneme error rates of a checkpoint, decoded by the playground's own engine.

    python -m playground.training.evaluate --model checkpoints/g2p-bahdanau --split test
    python -m playground.training.evaluate --model checkpoints/p2g-luong --split dev --json

Greedy and beam search (width 5, stopping once 5 hypotheses have finished, as fairseq does) go
through ``playground.decoding.decode`` exactly as the UI does (with trace recording off), one word at
a time, so "ms / word" is the interactive latency. The length penalty is chosen on the dev split.
``--write`` stores the numbers in the checkpoint's config.json and model card.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from playground.decoding import DecodeConfig, decode
from playground.models.card import model_card
from playground.models.checkpoint import CARD_NAME, CONFIG_NAME, load_model
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
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--write", action="store_true", help="store the metrics in the checkpoint's config and card")
    return p.parse_args(argv)


def search_config(search: str, args) -> DecodeConfig:
    if search == "greedy":
        return DecodeConfig(strategy="greedy", max_length=48, record_trace=False)
    return DecodeConfig(strategy="beam", beam_width=5, early_stopping=True, length_penalty=args.length_penalty,
                        length_penalty_formula=args.length_penalty_formula, max_length=48, record_trace=False)


@torch.no_grad()
def greedy_outputs(model, sources, *, batch_size: int = 256, max_length: int = 48) -> list[tuple[str, ...]]:
    """Greedy outputs (symbol tuples, </s> excluded) for many sources at once, through the step protocol:
    quick dev scores during training. Batches are padded on the right."""
    vocab, outputs = model.target_vocab, []
    for i in range(0, len(sources), batch_size):
        ids = [model.source_vocab.encode(list(src)) for src in sources[i:i + batch_size]]
        src_ids = torch.zeros(len(ids), max(map(len, ids)), dtype=torch.long)
        for j, row in enumerate(ids):
            src_ids[j, :len(row)] = torch.tensor(row)
        state, prev = model.encode(src_ids), torch.full((len(ids),), vocab.bos_id)
        tokens, done = [], torch.zeros(len(ids), dtype=torch.bool)
        for _ in range(max_length):
            logits, state, _ = model.step(prev, state)
            logits[:, [vocab.pad_id, vocab.bos_id]] = float("-inf")  # never outputs (as the engine)
            prev = logits.argmax(-1)
            tokens.append(prev)
            done |= prev == vocab.eos_id
            if bool(done.all()):
                break
        for seq in torch.stack(tokens, 1).tolist():
            seq = seq[: seq.index(vocab.eos_id)] if vocab.eos_id in seq else seq
            outputs.append(tuple(vocab.decode(seq)))
    return outputs


def evaluate(model, items, search: str, config: DecodeConfig) -> dict:
    hyps, start = [], time.perf_counter()
    for src, _ in items:
        result = decode(model, model.source_vocab.detokenize(src), config)
        hyps.append(tuple(result.hypotheses[0].tokens))
    seconds = time.perf_counter() - start
    rates = error_rates(hyps, [refs for _, refs in items])
    return {f"{search}_wer": rates["wer"], f"{search}_per": rates["per"],
            f"{search}_ms_per_word": 1000 * seconds / len(items), "items": rates["items"]}


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
        metrics.update(evaluate(model, items, search, search_config(search, args)))
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
