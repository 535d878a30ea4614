"""``eventide chat PROMPT``: one answer, streamed on `AsyncClient` as it arrives."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from .._events import Finish, Metadata, ReasoningDelta, RefusalDelta, TextDelta, Usage
from .._request import Message, Request
from .._serde import dumps_event
from ..client import AsyncClient
from ._logs import conversation_log

if TYPE_CHECKING:
    import argparse

    from ..providers import Provider

__all__ = ["run_chat"]


async def run_chat(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    provider: Provider,
    request: Request | None = None,
) -> int:
    """Stream the answer to `out` (the metadata, reasoning and summary to `err`), or every
    event as a JSON line with ``--json``; return the exit status. The provider is closed after.
    The request is made from the arguments unless given (a replay gives the recorded one).

    Raises:
        Error: The request failed.
    """
    if request is None:
        messages = [Message.system(args.system)] if args.system else []
        request = Request([*messages, Message.user(args.prompt)], model=args.model)
    provider, request = conversation_log(args, err, provider, request)  # -c, --cid, the log
    thinking = False  # reasoning is being printed: end its line before the answer
    tokens = ""
    async with provider, AsyncClient(provider) as client, client.stream(request) as events:
        async for event in events:
            if args.json:
                out.write(dumps_event(event) + "\n")
                out.flush()
                continue
            match event:
                case TextDelta(text=text) | RefusalDelta(text=text):  # a refusal is the answer
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
