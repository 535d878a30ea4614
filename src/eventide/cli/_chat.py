"""``eventide chat PROMPT``: one answer, streamed on `AsyncClient` as it arrives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

import attrs
import trio

from .._serde import dumps_event
from .._timeouts import Timeouts
from ..client import AsyncClient
from ._logs import conversation_log
from ._render import Screen, use_color

if TYPE_CHECKING:
    import argparse

    from .._events import Event
    from .._request import Request
    from ..providers import Provider

__all__ = ["run_chat"]


def _timeouts(seconds: float | None) -> Timeouts | None:
    """``--timeout``: a budget for the whole answer, the other budgets as they are."""
    return None if seconds is None else attrs.evolve(Timeouts(), total=seconds)


async def run_chat(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    provider: Provider,
    request: Request,
) -> int:
    """Stream the answer to `out` (the metadata, reasoning and summary to `err`), or every
    event as a JSON line with ``--json``; return the exit status. The provider is closed
    after. ``--no-stream`` prints everything once the answer is complete.

    Raises:
        Error: The request failed (after what arrived was printed).
    """
    provider, request = conversation_log(args, err, provider, request)  # -c, --cid, the log
    as_json = bool(args.json)
    held: list[tuple[Event, float]] | None = [] if getattr(args, "no_stream", False) else None
    screen = Screen(out, err, color=use_color(err), started=trio.current_time())
    timeouts = _timeouts(getattr(args, "timeout", None))
    options: dict[str, Any] = {} if timeouts is None else {"timeouts": timeouts}
    try:
        async with (
            provider,
            AsyncClient(provider, **options) as client,
            client.stream(request) as events,
        ):
            async for event in events:
                if held is not None:
                    held.append((event, trio.current_time()))
                elif as_json:
                    out.write(dumps_event(event) + "\n")
                    out.flush()
                else:
                    screen.show(event, trio.current_time())
    except BaseException:  # a failure, Ctrl-C: print what arrived, then let it go on
        _release(held, out, screen, as_json=as_json)
        if not as_json:
            screen.stop()
        raise
    _release(held, out, screen, as_json=as_json)
    return 0


def _release(
    held: list[tuple[Event, float]] | None, out: TextIO, screen: Screen, *, as_json: bool
) -> None:
    """Print the events ``--no-stream`` held back."""
    for event, at in held or ():
        if as_json:
            out.write(dumps_event(event) + "\n")
        else:
            screen.show(event, at)
    out.flush()
    if held:
        held.clear()
