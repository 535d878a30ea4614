"""``eventide``'s arguments, its provider and its exit statuses: the one entry point."""

from __future__ import annotations

import argparse
import io
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

import trio

from .._errors import (
    AuthenticationError,
    ConfigurationError,
    Error,
    NotFoundError,
    StreamTimeout,
    TransportError,
)
from .._secrets import Redactor
from .._serde import json_line
from .._validate import check_text
from .._version import __version__
from ..gateway._serve import add_serve_parser, run_serve
from ..providers import PROVIDER_NAMES, configured_provider_name, split_model
from ..providers._registry import default_provider
from ..record._errors import error_data
from ._arguments import Parser
from ._batch import run_batch
from ._chat import run_chat
from ._input import UsageError
from ._logs import add_logs_parser, chat_log_arguments, run_logs
from ._models import add_models_parser, run_models
from ._options import load_config
from ._replay import recording, run_replay
from ._setup import chat_request, resolve_model, router_for

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..providers import Provider

__all__ = ["main"]

DEMO_DELAY = 0.012

# Exit statuses, one per class of failure.
FAILED = 1
"""The provider refused or failed, the connection failed, a time budget ran out."""
USAGE = 2
"""The command line cannot be run (argparse's own status for its errors)."""
CONFIGURATION = 3
"""No provider, a key missing or for another provider, a broken config file, ..."""
INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT, as shells report it)."""
_NOT_CONFIGURED = (
    "eventide: no provider configured, using the offline demo provider.\n"
    "eventide: to use a real model, set OPENAI_API_KEY (and OPENAI_BASE_URL for any "
    "OpenAI-compatible server), or pass --provider / --base-url."
)


def _parser() -> Parser:
    parser = Parser(
        prog="eventide",
        description="Stream LLM chat responses as typed events.",
        epilog="examples:\n"
        '  eventide chat "Why is the sky blue?"\n'
        '  cat main.py | eventide chat "explain this" -m anthropic:claude-sonnet-4-5\n'
        "  eventide batch in.jsonl -o out.jsonl --concurrency 8\n"
        "  eventide replay out.jsonl --timing preserved\n\n"
        "`eventide COMMAND --help` lists the options of each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"eventide {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _chat_arguments(commands)
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
        epilog="example: eventide batch in.jsonl -o out.jsonl --concurrency 8 -m gpt-4o-mini\n\n"
        "Exit status: 0 when every request succeeded, 1 when any failed or a line "
        "was malformed, 2 on a usage error, 130 on Ctrl-C.",
    )
    _batch_arguments(batch)
    _provider_arguments(batch, model_help="model for requests that name none")
    replay = commands.add_parser(
        "replay",
        help="print a recorded stream as chat printed it",
        epilog="example: eventide chat hi --record out.jsonl && eventide replay out.jsonl\n\n"
        "Exit status: 0 for a complete record, 1 when the recorded stream failed "
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
    replay.set_defaults(model=None, provider=None, no_stream=False, timeout=None)
    add_models_parser(commands)
    add_logs_parser(commands)
    add_serve_parser(commands, _provider_arguments)
    return parser


def _chat_arguments(commands: Any) -> None:
    chat = commands.add_parser(
        "chat",
        help="send one prompt and stream the answer",
        description=(
            "Send one prompt and stream the answer to stdout. The metadata line, the\n"
            "reasoning, tool calls and the closing line (finish reason, tokens, time to\n"
            "first token) go to stderr, dimmed on a terminal (never with NO_COLOR).\n"
            "The prompt is the argument, else stdin; piped stdin goes before a prompt.\n"
            "Settings also come from the environment (EVENTIDE_MODEL, EVENTIDE_SYSTEM,\n"
            "EVENTIDE_TIMEOUT, EVENTIDE_PROVIDER, OPENAI_API_KEY ...) and the config file."
        ),
        epilog=_CHAT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat.add_argument(
        "prompt",
        nargs="?",
        type=_text,
        help="the prompt; omitted or -: read from stdin (eventide chat < question.txt)",
    )
    _provider_arguments(
        chat, model_help="model: an alias of the config file, a model name (-m gpt-4o)"
    )
    chat.add_argument(
        "--key", help="API key for the provider (default: its variable, OPENAI_API_KEY ...)"
    )
    chat.add_argument("-s", "--system", type=_text, help="a system prompt (-s 'Answer in French.')")
    chat.add_argument(
        "-a",
        "--attachment",
        action="append",
        default=[],
        metavar="PATH|URL",
        help="attach an image: a file (sent inline) or a URL; repeatable (-a photo.png)",
    )
    chat.add_argument(
        "-o",
        "--option",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="a request parameter, typed as Chat Completions types it; repeatable "
        "(-o temperature 0.2 -o max_tokens 200)",
    )
    chat.add_argument(
        "--no-stream",
        action="store_true",
        help="print the answer once it is complete, not as it streams",
    )
    chat.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="a budget for the whole answer (--timeout 60; default: EVENTIDE_TIMEOUT, "
        "the config file, else none)",
    )
    chat.add_argument(
        "--config",
        metavar="FILE.toml",
        help="the config file (default: EVENTIDE_CONFIG, else config.toml in the user "
        "config directory when it exists): the router's providers and aliases, [chat] defaults",
    )
    chat.add_argument(
        "--json",
        action="store_true",
        help="print every event as a JSON line; a failure ends with an error record",
    )
    chat.add_argument(
        "--record", metavar="OUT.jsonl", help="also record the stream to this file (replay it)"
    )
    chat_log_arguments(chat)  # -c/--continue, --cid, --no-log


_CHAT_EPILOG = """\
examples:
  eventide chat "Why is the sky blue?"
  cat main.py | eventide chat "explain this" -m anthropic:claude-sonnet-4-5
  eventide chat -m fast -s "Be brief." -o temperature 0.2 "Name a colour"
  eventide chat "What is in this picture?" -a photo.png --json

exit status: 0 answered; 1 the provider or the connection failed; 2 a usage error; 3 a
configuration error; 130 interrupted (Ctrl-C: what arrived is printed, the stream closed)."""


def _provider_arguments(
    parser: argparse.ArgumentParser, *, model_help: str = "model to ask for"
) -> None:
    parser.add_argument(
        "--provider",
        choices=PROVIDER_NAMES,
        help="provider to use (default: from the environment, else the offline demo)",
    )
    parser.add_argument(
        "-m",
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
    parser.add_argument(
        "--engine",
        choices=("local", "dask", "ray"),
        default="local",
        help="where the requests run: in this process (local, the default), or on a Dask or "
        "Ray cluster (the dask or ray extra), each worker with one client and a window of "
        "--concurrency requests; the records still go to OUT, one file, as they come back",
    )
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=2,
        metavar="N",
        help="worker processes of the local cluster --engine starts (default: 2)",
    )
    parser.add_argument(
        "--address",
        metavar="ADDRESS",
        help="an existing Dask scheduler (tcp://host:8786) or Ray cluster (ray://host:10001) "
        "for --engine, instead of a local cluster",
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


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _provider(args: argparse.Namespace, err: TextIO, *, demo_delay: float) -> Provider:
    """The provider the options name, else the environment's, else the demo (said on `err`)."""
    key = getattr(args, "key", None)
    named = os.environ.get("EVENTIDE_PROVIDER")
    if named and named not in PROVIDER_NAMES:
        raise ConfigurationError(
            f"EVENTIDE_PROVIDER={named!r} is not a provider: choose one of "
            f"{', '.join(PROVIDER_NAMES)}, or unset it"
        )
    kind = args.provider or ("openai" if args.base_url else None)
    if key and kind is None:  # a key is for a real provider: the configured one, else OpenAI
        kind = configured_provider_name() or "openai"
    provider, fallback = default_provider(
        kind, demo_delay=demo_delay, base_url=args.base_url, model=args.model, api_key=key
    )
    if fallback:
        print(_NOT_CONFIGURED, file=err)
    return provider


def _chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config = load_config(args.config)
    resolve_model(args, config)
    stdin = sys.stdin
    request = chat_request(
        args,
        config,
        stdin.buffer if stdin is not None else io.BytesIO(),
        stdin_is_terminal=stdin is None or stdin.isatty(),
    )
    routed = router_for(args, config)
    provider = routed or _provider(args, err, demo_delay=DEMO_DELAY)
    return trio.run(run_chat, args, out, err, recording(provider, args.record), request)


def _hint(error: BaseException) -> str:
    """What to do about `error`, for its one line."""
    for kind, hint in _HINTS:
        if isinstance(error, kind):
            return f" ({hint})"
    return ""


_HINTS: tuple[tuple[type[Exception], str], ...] = (
    (AuthenticationError, "pass --key, or set the provider's key variable"),
    (NotFoundError, "check -m/--model and --base-url"),
    (StreamTimeout, "--timeout sets the budget for the whole answer"),
    (TransportError, "check --base-url, and that the server is running"),
)


def _fail(
    parser: Parser,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    error: BaseException,
    status: int,
) -> int:
    """Say `error` in one line (``--json``: and as the last record on stdout); `status`.

    An error found before sending (all but `FAILED`) may quote what was typed (``-o KEY
    VALUE``, an attachment's name, the config file's path...): the values shaped like keys
    are redacted from it.
    """
    redactor = parser.redactor(names=True) if status != FAILED else Redactor(())
    message = redactor.text(str(error))
    if getattr(args, "json", False):
        data = (
            error_data(redactor.error(error))
            if isinstance(error, Error)
            else {"kind": "usage" if status == 2 else "interrupted", "message": message}
        )
        out.write(json_line({"kind": "error", "error": data}).decode("utf-8"))
        out.flush()
    print(f"eventide: error: {message}{_hint(error)}", file=err)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status: 0 done, 1 a provider or connection
    error, 2 a usage or configuration error, 130 interrupted."""
    parser = _parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "chat":
            return _chat(args, out, err)
        if args.model and not args.provider:  # --model anthropic:claude-... names its provider
            prefix, model = split_model(args.model)
            if prefix in PROVIDER_NAMES:
                args.provider, args.model = prefix, model
        if args.command == "serve":
            return run_serve(args, err, lambda: _provider(args, err, demo_delay=DEMO_DELAY))
        if args.command == "replay":
            return run_replay(args, out, err)
        if args.command in ("models", "logs"):
            return (run_models if args.command == "models" else run_logs)(args, out)
        # batch: no one watches a batch stream, so no demo delay
        return run_batch(
            args,
            err,
            lambda: recording(
                _provider(args, err, demo_delay=0.0), args.record_dir, directory=True
            ),
        )
    except UsageError as exc:
        return _fail(parser, args, out, err, exc, USAGE)
    except ConfigurationError as exc:
        return _fail(parser, args, out, err, exc, CONFIGURATION)
    except AuthenticationError as exc:  # no status: no key, found before sending
        missing = getattr(exc, "status_code", None) is None
        return _fail(parser, args, out, err, exc, CONFIGURATION if missing else FAILED)
    except Error as exc:
        return _fail(parser, args, out, err, exc, FAILED)
    except ValueError as exc:  # found before any I/O: a model the router cannot route...
        return _fail(parser, args, out, err, exc, USAGE)
    except KeyboardInterrupt:
        print(file=err)
        return _fail(parser, args, out, err, KeyboardInterrupt("interrupted"), INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (eventide chat ... | head): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
