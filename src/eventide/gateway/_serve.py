"""Running the gateway: under hypercorn on trio (the default) or uvicorn, and ``eventide
serve``'s arguments. The servers are the ``serve`` extra, imported only here, when used."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import signal
import socket
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import trio

from .._errors import ConfigurationError
from ..client._batch import sole_exception
from ..providers._http import HTTPProvider
from ._app import KEYS_ENV, create_app, keys_from_env

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..providers import Provider
    from ._app import Gateway

__all__ = ["add_serve_parser", "check_bind", "run_serve", "serve"]

Server = Literal["hypercorn", "uvicorn"]

_BACKLOG = 4096
_GRACE = 3
"""Seconds the open streams get to finish after Ctrl-C (or SIGTERM) before they are cut,
under either server (hypercorn's default)."""


def check_bind(host: str, *, api_keys: tuple[str, ...], insecure_no_auth: bool = False) -> None:
    """Refuse to listen beyond this machine without API keys.

    Raises:
        ConfigurationError: `host` is not a loopback address, no key is set, and
            `insecure_no_auth` is false.
    """
    if api_keys or insecure_no_auth or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False  # a host name: it may resolve to anything
    if not loopback:
        raise ConfigurationError(
            f"refusing to serve on {host} without API keys: pass --api-key (or set "
            f"{KEYS_ENV}), or --insecure-no-auth"
        )


def _missing(server: str) -> ConfigurationError:
    return ConfigurationError(
        f"--server {server} needs the {server} package: pip install 'eventide[serve]'"
    )


def _listening(host: str, port: int) -> socket.socket:
    """A socket bound to `host` and `port`, for either server (hypercorn leaves its own open
    when the bind fails).

    Raises:
        ConfigurationError: The bind failed: the port in use or out of range, an address
            not of this machine...
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigurationError(f"cannot listen on {host} port {port}: {reason}") from None
    return sock


async def _hypercorn(
    provider: Provider, app: Gateway, sock: socket.socket, ready: Callable[[str], None]
) -> None:
    try:
        from hypercorn.config import Config
        from hypercorn.trio import serve as hypercorn_serve
    except ImportError:
        raise _missing("hypercorn") from None
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn's to close from here on
    config.accesslog = None
    config.errorlog = None
    config.backlog = _BACKLOG  # hypercorn's 100 resets connections in a burst of clients
    config.graceful_timeout = _GRACE
    trigger = _stop_signal if threading.current_thread() is threading.main_thread() else None
    async with provider, trio.open_nursery() as nursery:
        serving = partial(hypercorn_serve, app, config, shutdown_trigger=trigger)  # type: ignore[arg-type]
        binds: list[str] = await nursery.start(serving)
        ready(binds[0])


async def _stop_signal() -> None:
    """Return at the first SIGINT or SIGTERM (hypercorn then shuts down gracefully)."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            return


def _uvicorn(
    provider: Provider, app: Gateway, sock: socket.socket, ready: Callable[[str], None]
) -> None:
    try:
        import uvicorn
    except ImportError:
        raise _missing("uvicorn") from None
    host, port = sock.getsockname()[:2]

    async def main() -> None:
        async with provider:
            config = uvicorn.Config(
                app,
                log_level="warning",
                lifespan="on",
                access_log=False,
                backlog=_BACKLOG,
                timeout_graceful_shutdown=_GRACE,  # else an open stream keeps it up forever
            )
            server = uvicorn.Server(config)
            ready(f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}")
            await server.serve(sockets=[sock])

    errors = logging.getLogger("uvicorn.error")
    errors.addFilter(_not_cut_at_shutdown)
    try:
        asyncio.run(main())
    finally:
        errors.removeFilter(_not_cut_at_shutdown)


def _not_cut_at_shutdown(record: logging.LogRecord) -> bool:
    """Drop uvicorn's "Exception in ASGI application" traceback for a stream it cancels when
    the grace period ends: its own one line ("Cancel 1 running task(s) ...") says that."""
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, asyncio.CancelledError)


def serve(
    provider: Provider,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    server: Server = "hypercorn",
    ready: Callable[[str], None] = lambda url: None,
    insecure_no_auth: bool = False,
    **options: Any,
) -> None:
    """Serve `provider` through the gateway until interrupted; it is closed at the end.

    Args:
        provider: The provider or router that serves every request (entered and closed here).
        host: The address to listen on (loopback unless API keys are given).
        port: The port (0: any free one).
        server: ``"hypercorn"`` (on trio) or ``"uvicorn"`` (on asyncio).
        ready: Called with the URL once the server listens.
        insecure_no_auth: Allow a non-loopback `host` without keys.
        **options: `create_app`'s options (``api_keys``, ``models``, ...).

    Raises:
        ConfigurationError: A public `host` without keys, an option `create_app` refuses, a
            port that cannot be listened on (in use, out of range), or the server package
            missing.
    """
    check_bind(host, api_keys=tuple(options.get("api_keys", ())), insecure_no_auth=insecure_no_auth)
    if server not in ("hypercorn", "uvicorn"):
        raise ConfigurationError(f"unknown server {server!r}: hypercorn or uvicorn")
    try:
        app = create_app(provider, **options)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    with _listening(host, port) as sock:
        if server == "uvicorn":
            _uvicorn(provider, app, sock, ready)
            return
        try:
            trio.run(_hypercorn, provider, app, sock, ready)
        except BaseExceptionGroup as group:  # the nursery's: what it holds goes out as it is
            sole = sole_exception(group)
            if sole is None:
                raise
            raise sole from None


def add_serve_parser(
    commands: Any, provider_arguments: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Add ``eventide serve`` to the command line's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help="serve an OpenAI-compatible API from the configured provider",
        epilog=f"API keys: --api-key (repeatable) or {KEYS_ENV} (comma-separated).",
    )
    provider_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port (default: 8000; 0: any)")
    parser.add_argument("--server", choices=("hypercorn", "uvicorn"), default="hypercorn")
    parser.add_argument("--router", metavar="ROUTER.toml", help="serve a router's aliases")
    parser.add_argument("--api-key", action="append", default=[], help="a key clients must send")
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser origin allowed to call the API (repeatable; '*': any); default: none",
    )
    parser.add_argument(
        "--insecure-no-auth", action="store_true", help="allow a public --host without keys"
    )


def _port(text: str) -> int:
    """``--port``: an integer from 0 to 65535 (else a usage error)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 (any) to 65535, not {text}")
    return value


def _router(path: str) -> Provider:
    """The router of the file at `path`.

    Raises:
        ConfigurationError: The file cannot be read, or is not a valid routing table.
    """
    from ..routing import Router

    try:
        return Router.from_toml(Path(path))
    except OSError as exc:
        raise ConfigurationError(f"cannot read --router {path}: {exc.strerror or exc}") from None
    except (TypeError, ValueError) as exc:  # not UTF-8, not TOML, not a routing table
        raise ConfigurationError(f"--router {path}: {exc}") from None


def _check_key(provider: Provider) -> None:
    """Refuse to serve from a provider that would answer every request "no API key".

    Raises:
        ConfigurationError: `provider` needs a key for its official API and has none; the
            message names the variable to set.
    """
    if not isinstance(provider, HTTPProvider) or (missing := provider._preflight()) is None:
        return
    variables = " or ".join(provider.key_env)
    raise ConfigurationError(
        f"{provider.name}: no API key: set {variables}" if variables else str(missing)
    )


def run_serve(args: argparse.Namespace, err: TextIO, make_provider: Callable[[], Provider]) -> int:
    """Run ``eventide serve`` with parsed `args`; the provider is made after the checks."""
    keys = (*args.api_key, *keys_from_env())
    check_bind(args.host, api_keys=keys, insecure_no_auth=args.insecure_no_auth)
    if args.router:
        provider = _router(args.router)
    else:
        provider = make_provider()
        _check_key(provider)
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("eventide: %(message)s"))
    logger = logging.getLogger("eventide.gateway")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def ready(url: str) -> None:
        print(f"eventide: serving {provider.name} on {url}", file=err, flush=True)

    models = [args.model] if args.model else []
    try:
        serve(
            provider,
            host=args.host,
            port=args.port,
            server=args.server,
            ready=ready,
            insecure_no_auth=args.insecure_no_auth,
            api_keys=keys,
            models=models,
            cors_origins=args.cors_origin,
        )
    finally:
        logger.removeHandler(handler)
    return 0
