"""One `eventide.Client` per worker process and configuration, made once and reused.

Every partition (or Ray batch) a process runs with the same `RunConfig` goes through the
same client: one event loop thread and one warm connection pool, not a new loop and new
connections per partition. The cache is made on first use (nothing happens at import), is
guarded by a lock (a Dask worker may run several threads), is dropped in a forked child (its
clients belong to the parent), and its clients are closed when the process exits.

With limits (`SharedLimits`), the client's provider is retried through a `Retrying` that keeps
them in this worker's backend: the same retries the client would add, limited.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING

import attrs

from ..client import Client
from ..client._config import Connection, check_max_retries, client_provider, openai_retry_policy
from ..routing import Fallback, Retrying, Router

if TYPE_CHECKING:
    from ..providers import Provider
    from ._config import RunConfig

__all__ = ["client_for", "close_clients"]

_lock = threading.Lock()
_clients: dict[RunConfig, tuple[Client, Provider | None]] = {}
_owner = {"pid": 0, "registered": 0}


def client_for(config: RunConfig) -> Client:
    """This process's client for `config`, made on first use.

    Raises:
        eventide.ConfigurationError: `config` names no provider and the environment none.
    """
    with _lock:
        if _owner["pid"] != os.getpid():  # first use, or a forked child: start afresh
            _clients.clear()
            _owner["pid"] = os.getpid()
        key = attrs.evolve(config, parameters=())  # requests' defaults: not the client's
        made = _clients.get(key)
        if made is None or made[0].closed:
            made = _clients[key] = _made(config)
            if not _owner["registered"]:
                atexit.register(close_clients)
                _owner["registered"] = 1
        return made[0]


def _made(config: RunConfig) -> tuple[Client, Provider | None]:
    """A client for `config`, and the provider it does not close itself (None: none)."""
    if config.limits is None:
        return Client(**config.client_arguments()), None
    arguments = config.client_arguments()
    connection = Connection(api_key=arguments.pop("api_key"), base_url=arguments.pop("base_url"))
    provider, kind = client_provider(arguments.pop("provider"), connection)
    retries = check_max_retries(arguments.pop("max_retries"), provider)
    if isinstance(provider, Fallback | Router | Retrying):
        raise ValueError("limits= are for one provider: give a router its own limits=")
    retried = Retrying(
        provider, retry=openai_retry_policy(retries), limits=config.limits.backend_here()
    )
    return Client(retried, **arguments), provider if kind is not None else None


def close_clients() -> None:
    """Close every client this process made (run at exit; idempotent)."""
    with _lock:
        made = list(_clients.values()) if _owner["pid"] == os.getpid() else []
        _clients.clear()
    for client, provider in made:
        if provider is not None and not client.closed:
            client._call(provider.aclose)
        client.close()
