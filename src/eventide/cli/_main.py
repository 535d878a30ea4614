"""``eventide``'s arguments, its provider and its exit statuses: the one entry point."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, TextIO

import trio

from .._errors import Error
from .._validate import check_text
from .._version import __version__
from ..gateway._serve import add_serve_parser, run_serve
from ..providers import PROVIDER_NAMES, split_model
from ..providers._registry import default_provider
from ._batch import run_batch
from ._chat import run_chat
from ._logs import add_logs_parser, chat_log_arguments, run_logs
from ._models import add_models_parser, run_models
from ._replay import recording, run_replay

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..providers import Provider

__all__ = ["main"]

DEMO_DELAY = 0.012
_NOT_CONFIGURED = (
    "eventide: no provider configured, using the offline demo provider.\n"
    "eventide: to use a real model, set OPENAI_API_KEY (and OPENAI_BASE_URL for any "
    "OpenAI-compatible server), or pass --provider / --base-url."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eventide",
        description="Stream LLM chat responses as typed events.",
    )
    parser.add_argument("--version", action="version", version=f"eventide {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chat = commands.add_parser("chat", help="send one prompt and stream the answer")
    chat.add_argument("prompt", type=_text, help="the prompt to send")
    _provider_arguments(chat)
    chat.add_argument("--system", type=_text, help="a system prompt")
    chat.add_argument("--json", action="store_true", help="print every event as a JSON line")
    chat.add_argument(
        "--record", metavar="OUT.jsonl", help="also record the stream to this file (replay it)"
    )
    chat_log_arguments(chat)  # -c/--continue, --cid, --no-log
    batch = commands.add_parser(
        "batch",
        help="run one request per line of a JSONL file, resumably",
        description=(
            "Run one request per line of IN.jsonl (an object with messages or prompt, "
            "optionally id, model and OpenAI-style parameters) and append one record per "
            "request to OUT.jsonl. Ids already in OUT are skipped, so re-running the same "
            "command resumes an interrupted batch. A request that cannot be built (a bad "
            "parameter, text that is not valid Unicode) gets an error record like a failed one."
        ),
        epilog="Exit status: 0 when every request succeeded, 1 when any failed or a line "
        "was malformed, 2 on a usage error, 130 on Ctrl-C.",
    )
    _batch_arguments(batch)
    _provider_arguments(batch, model_help="model for requests that name none")
    replay = commands.add_parser(
        "replay",
        help="print a recorded stream as chat printed it",
        epilog="Exit status: 0 for a complete record, 1 when the recorded stream failed "
        "(its error is printed as chat prints it) or the file is not a record.",
    )
    replay.add_argument("record", metavar="RECORD.jsonl", help="a record (chat --record)")
    replay.add_argument("--json", action="store_true", help="print every event as a JSON line")
    replay.add_argument(
        "--timing",
        choices=("compressed", "preserved"),
        default="compressed",
        help="print at once (default), or with the recorded pauses",
    )
    replay.set_defaults(model=None, provider=None)
    add_models_parser(commands)
    add_logs_parser(commands)
    add_serve_parser(commands, _provider_arguments)
    return parser


def _provider_arguments(
    parser: argparse.ArgumentParser, *, model_help: str = "model to ask for"
) -> None:
    parser.add_argument(
        "--provider",
        choices=PROVIDER_NAMES,
        help="provider to use (default: from the environment, else the offline demo)",
    )
    parser.add_argument(
        "--model",
        type=_text,
        help=f"{model_help}, or provider:model such as anthropic:claude-sonnet-4-5 "
        "(default: the provider's)",
    )
    parser.add_argument("--base-url", help="API root of an OpenAI-compatible server")


def _batch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN.jsonl", help="one request per line")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT.jsonl",
        required=True,
        help="where the records go; appended to, and the ids it holds are skipped (resume). "
        "Resuming needs a regular file: to a pipe or a device such as /dev/stdout the "
        "records are only written, and every request runs",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=16,
        metavar="N",
        help="requests in flight at once (default: 16)",
    )
    parser.add_argument(
        "--ordered",
        action="store_true",
        help="write the records in input order (default: as they finish)",
    )
    parser.add_argument(
        "--on-error",
        choices=("skip", "stop"),
        default="skip",
        help="a line that is not a JSON object with a valid id, or a duplicate id, is "
        "reported and skipped (default), "
        "or stops the run after the requests in flight finish",
    )
    parser.add_argument(
        "--record-dir",
        metavar="DIR",
        help="also record every request's stream into DIR, one file per stream",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="a progress bar on stderr (needs rich, the `cli` extra): when stderr is a "
        "terminal (auto, the default), always, or never; a summary line ends every run",
    )


def _text(text: str) -> str:
    """An argument that can be sent: not a byte that is not UTF-8 (Python holds one as a
    lone surrogate)."""
    try:
        return check_text("text", text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (a byte that is not UTF-8?)") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _provider(args: argparse.Namespace, err: TextIO, *, demo_delay: float) -> Provider:
    """The provider the options name, else the environment's, else the demo (said on `err`)."""
    kind = args.provider or ("openai" if args.base_url else None)
    provider, fallback = default_provider(
        kind, demo_delay=demo_delay, base_url=args.base_url, model=args.model
    )
    if fallback:
        print(_NOT_CONFIGURED, file=err)
    return provider


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.model and not args.provider:  # --model anthropic:claude-... names its provider
        prefix, model = split_model(args.model)
        if prefix in PROVIDER_NAMES:
            args.provider, args.model = prefix, model
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "serve":
            return run_serve(args, err, lambda: _provider(args, err, demo_delay=DEMO_DELAY))
        if args.command == "replay":
            return run_replay(args, out, err)
        if args.command in ("models", "logs"):
            return (run_models if args.command == "models" else run_logs)(args, out)
        if args.command == "batch":  # no one watches a batch stream: no demo delay
            return run_batch(
                args,
                err,
                lambda: recording(
                    _provider(args, err, demo_delay=0.0), args.record_dir, directory=True
                ),
            )
        provider = recording(_provider(args, err, demo_delay=DEMO_DELAY), args.record)
        return trio.run(run_chat, args, out, err, provider)
    except Error as exc:
        print(f"eventide: error: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        print("\neventide: interrupted", file=err)
        return 130
    except BrokenPipeError:
        # The reader went away (eventide chat ... | head): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
