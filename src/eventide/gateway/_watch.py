"""One task group per request, with a watcher that cancels it when the client leaves."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

import anyio

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._asgi import Receive

__all__ = ["Watch", "run_watched"]


@final
class Watch:
    """What the watcher saw: whether the client went away."""

    __slots__ = ("client_gone",)

    def __init__(self) -> None:
        self.client_gone = False


async def _watch(receive: Receive, scope: anyio.CancelScope, watch: Watch) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass  # only a disconnect comes once the body is read
    watch.client_gone = True
    scope.cancel()


async def run_watched(receive: Receive, handler: Callable[[Watch], Awaitable[None]]) -> Watch:
    """Run ``handler(watch)`` in a task group that is cancelled when the client disconnects.

    The request body must have been read: every later ``receive()`` is a disconnect. On a
    disconnect the handler is cancelled wherever it waits (before the head, for the first
    event, mid-stream), so the `EventStream` it holds is closed, and its upstream with it.
    The handler deals with its own errors (anything it raises comes out in an exception
    group).

    Cancellation:
        The handler's cancellation by the watcher is swallowed; one from outside propagates.
    """
    watch = Watch()
    async with anyio.create_task_group() as group:
        group.start_soon(_watch, receive, group.cancel_scope, watch)
        await handler(watch)
        group.cancel_scope.cancel()  # the handler is done: stop watching
    return watch
