"""Command line decoding: ``python -m playground.cli --model DIR --strategy beam --beam-width 5 cat dog``.

Every DecodeConfig field is an option (``beam_width`` -> ``--beam-width``), made from the parameter table
(playground/decoding/params.py and each strategy's own); tuples take comma-separated values, ``--prefix`` takes
text in the target's writing, e.g. "K AE". Inputs come from the arguments
or ``--input FILE`` (one input a line, "-" for stdin). ``--json`` prints one JSON object per input:
``{"input": ..., "hypotheses": [{"tokens": [...], "score": ..., "log_prob": ..., "finished": ...}],
"truncated": ..., "message": ...}`` (``truncated``: a budget or max_length cut the search short) or
``{"input": ..., "error": ...}`` for an input the model cannot read (exit status 1 at the end).
(The module is ``cli``, not ``decode``: ``import playground.decode`` would replace the ``playground.decode``
function with a module.)
"""

from __future__ import annotations

import argparse
import json
import sys

from playground.decoding.api import decode_many
from playground.decoding.config import PARAMS, DecodeConfig
from playground.decoding.registry import STRATEGIES
from playground.models.vocab import InputError

SKIP = {"record_trace", "prefix"}  # the CLI never prints traces; prefix is parsed with the model's vocab


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m playground.cli", description=__doc__.split("\n")[0])
    parser.add_argument("words", nargs="*", help="inputs to decode (or use --input)")
    parser.add_argument("--model", help="checkpoint directory (or Hub repo id)")
    parser.add_argument("--input", help="file with one input a line ('-' for stdin)")
    parser.add_argument("--json", action="store_true", help="one JSON object per input line")
    parser.add_argument("--prefix", help="force the output to start with this target text")
    for p in PARAMS.values():
        if p.name in SKIP:
            continue
        flag, default = "--" + p.name.replace("_", "-"), ",".join(p.default) if p.kind is tuple else p.default
        if p.kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                help=f"{p.doc} (default {default})")
        elif p.kind is tuple:
            parser.add_argument(flag, type=lambda s: tuple(x.strip() for x in s.split(",") if x.strip()),
                                help=f"{p.doc} (default {default})")
        else:
            parser.add_argument(flag, type=p.kind, choices=p.choices or None, help=f"{p.doc} (default {default})")
    parser.epilog = "strategies: " + "; ".join(f"{name}: {spec.doc}" for name, spec in STRATEGIES.items())
    return parser


def config_from_args(args: argparse.Namespace, model) -> DecodeConfig:
    """Only options given on the command line override DecodeConfig's defaults. Raises ValueError."""
    values = {name: getattr(args, name) for name in PARAMS if name not in SKIP and getattr(args, name) is not None}
    if args.prefix:
        values["prefix"] = tuple(model.target_vocab.tokenize(args.prefix))
    return DecodeConfig(**values, record_trace=False)


def read_inputs(args: argparse.Namespace) -> list[str]:
    """Raises ValueError naming the file when it cannot be read as UTF-8 text."""
    if args.input is None:
        return list(args.words)
    try:
        stream = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")
        with stream:
            return [line.strip() for line in stream if line.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"--input {args.input}: cannot read it as UTF-8 text ({e})") from None


def shown(text: str) -> str:
    """The input as typed if it prints as itself; else its repr, so control characters and terminal escape
    sequences from a file are displayed, not executed by the terminal."""
    return text if text.isprintable() else repr(text)


def format_result(text: str, result, model, as_json: bool) -> str:
    """One input's hypotheses, plus the engine's note (e.g. a budget that cut the search short)."""
    trace = result.trace
    if as_json:
        return json.dumps({"input": text, "hypotheses": [
            {"tokens": h.tokens, "score": h.score, "log_prob": h.log_prob, "finished": h.finished}
            for h in result.hypotheses], "truncated": trace.truncated, "message": trace.message},
            ensure_ascii=False)
    lines = [shown(text)]
    for i, h in enumerate(result.hypotheses, 1):
        end = "" if h.finished else "  (unfinished: no </s>)"
        lines.append(f"  {i}. {model.target_vocab.detokenize(h.tokens)}\tscore {h.score:.4f}"
                     f"\tlog-prob {h.log_prob:.4f}{end}")
    if trace.message:
        lines.append(f"  {'cut short' if trace.truncated else 'note'}: {trace.message}")
    return "\n".join(lines)


def main(argv: list[str] | None = None, *, model=None, out=None) -> int:
    """Exit status: 0 ok, 1 some input could not be decoded, 2 bad options or model (argparse style).
    ``model`` replaces ``--model`` (tests pass a ScriptedModel)."""
    out = sys.stdout if out is None else out
    parser = build_parser()
    args = parser.parse_args(argv)
    if model is None:
        if not args.model:
            parser.error("--model DIR is required")
        from playground import load_model

        try:
            model = load_model(args.model)
        except (OSError, RuntimeError, ValueError) as e:
            parser.error(str(e))
    try:
        config = config_from_args(args, model)
        inputs = read_inputs(args)
    except (ValueError, OSError) as e:
        parser.error(str(e))
    if not inputs:
        parser.error("give inputs as arguments or with --input FILE")
    status = 0
    for text, result in zip(inputs, decode_many(model, inputs, config), strict=True):  # (batched: a file is fast)
        if isinstance(result, InputError):
            status = 1
            if args.json:
                print(json.dumps({"input": text, "error": str(result)}, ensure_ascii=False), file=out)
            else:
                print(f"{shown(text)}: {result}", file=sys.stderr)
            continue
        print(format_result(text, result, model, args.json), file=out)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
