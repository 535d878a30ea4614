"""The ``eventide`` command line: ``eventide chat PROMPT`` and ``eventide batch IN -o OUT``.

``chat``: the answer goes to stdout as it streams; the metadata line, the reasoning and the
closing summary go to stderr, so that ``eventide chat ... > answer.txt`` keeps only the
answer. With ``--json``, stdout gets every event as one JSON object per line instead.

``batch``: one request per line of a JSONL file, one record per request appended to
another; resumable (see `eventide._cli_batch`).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, TextIO

import trio

from ._cli_batch import add_batch_arguments, run_batch
from ._errors import Error
from ._events import Finish, Metadata, ReasoningDelta, TextDelta, Usage
from ._serde import dumps_event
from ._version import __version__
from .providers import PROVIDER_NAMES, Provider, demo, provider_from_name, split_model
from .providers._registry import configured_provider_name

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    chat.add_argument("prompt", help="the prompt to send")
    _provider_arguments(chat)
    chat.add_argument("--system", help="a system prompt")
    chat.add_argument("--json", action="store_true", help="print every event as a JSON line")
    batch = commands.add_parser(
        "batch",
        help="run one request per line of a JSONL file, resumably",
        description=(
            "Run one request per line of IN.jsonl (an object with messages or prompt, "
            "optionally id, model and OpenAI-style parameters) and append one record per "
            "request to OUT.jsonl. Ids already in OUT are skipped, so re-running the same "
            "command resumes an interrupted batch."
        ),
        epilog="Exit status: 0 when every request succeeded, 1 when any failed or a line "
        "was malformed, 2 on a usage error, 130 on Ctrl-C.",
    )
    add_batch_arguments(batch)
    _provider_arguments(batch, model_help="model for requests that name none")
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
        help=f"{model_help}, or provider:model such as anthropic:claude-sonnet-4-5 "
        "(default: the provider's)",
    )
    parser.add_argument("--base-url", help="API root of an OpenAI-compatible server")


def _provider(args: argparse.Namespace, err: TextIO, *, demo_delay: float = DEMO_DELAY) -> Provider:
    name = args.provider or ("openai" if args.base_url else configured_provider_name())
    if name is None:
        print(_NOT_CONFIGURED, file=err)
        return demo(delay=demo_delay)
    if name == "demo":
        return demo(delay=demo_delay)
    return provider_from_name(name, base_url=args.base_url, model=args.model)


def _batch_provider(args: argparse.Namespace, err: TextIO) -> Provider:
    return _provider(args, err, demo_delay=0.0)  # no one watches a batch stream


async def _chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ._request import Message, Request

    messages = [Message.system(args.system)] if args.system else []
    request = Request([*messages, Message.user(args.prompt)], model=args.model)
    thinking = False  # reasoning is being printed: end its line before the answer
    tokens = ""
    async with _provider(args, err) as provider, provider.stream(request) as events:
        async for event in events:
            if args.json:
                out.write(dumps_event(event) + "\n")
                out.flush()
                continue
            match event:
                case TextDelta(text=text):
                    if thinking:
                        thinking = False
                        print(file=err, flush=True)
                    out.write(text)
                    out.flush()
                case ReasoningDelta(text=text):
                    thinking = True
                    err.write(text)
                    err.flush()
                case Metadata(provider=served_by, model=model):
                    print(f"[{served_by} · {model}]", file=err, flush=True)
                case Usage(input_tokens=used_in, output_tokens=used_out):
                    tokens = f" · {used_in} in / {used_out} out tokens"
                case Finish(reason=reason):
                    out.write("\n")
                    out.flush()
                    print(f"[finish: {reason}{tokens}]", file=err, flush=True)
                case _:
                    pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.model and not args.provider:  # --model anthropic:claude-... names its provider
        prefix, model = split_model(args.model)
        if prefix in PROVIDER_NAMES:
            args.provider, args.model = prefix, model
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "batch":
            return run_batch(args, err, _batch_provider)
        return trio.run(_chat, args, out, err)
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
