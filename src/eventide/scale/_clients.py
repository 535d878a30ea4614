"""One `eventide.Client` per worker process and configuration, made once and reused.

Every partition (or Ray batch) a process runs with the same `RunConfig` goes through the
same client: one event loop thread and one warm connection pool, not a new loop and new
connections per partition. The cache is made on first use (nothing happens at import), is
guarded by a lock (a Dask worker may run several threads), is dropped in a forked child (its
clients belong to the parent), and its clients are closed when the process exits.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING

import attrs

from ..client import Client

if TYPE_CHECKING:
    from ._config import RunConfig

__all__ = ["client_for", "close_clients"]

_lock = threading.Lock()
_clients: dict[RunConfig, Client] = {}
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
        client = _clients.get(key)
        if client is None or client.closed:
            client = Client(**config.client_arguments())
            _clients[key] = client
            if not _owner["registered"]:
                atexit.register(close_clients)
                _owner["registered"] = 1
        return client


def close_clients() -> None:
    """Close every client this process made (run at exit; idempotent)."""
    with _lock:
        clients = list(_clients.values()) if _owner["pid"] == os.getpid() else []
        _clients.clear()
    for client in clients:
        client.close()
