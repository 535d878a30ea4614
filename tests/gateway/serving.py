"""The gateway served for real: hypercorn on trio, on 127.0.0.1 and a free port."""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from eventide.gateway import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from eventide.providers import Provider


@asynccontextmanager
async def gateway(provider: Provider, **options: Any) -> AsyncIterator[str]:
    """Serve `provider` through the gateway in this trio run; yields ``http://127.0.0.1:PORT``.

    The provider is entered here and closed on exit, with the server."""
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.errorlog = None
    async with provider, trio.open_nursery() as nursery:
        app = create_app(provider, **options)
        binds: list[str] = await nursery.start(partial(serve, app, config))  # type: ignore[arg-type]
        yield binds[0]
        nursery.cancel_scope.cancel()
