"""``eventide models``: the providers eventide knows, whether each has a key, and their models.

Each provider's models come from its API's model list (`HTTPProvider.list_models`), all
asked at once, each within ``--timeout`` seconds; the offline demo has a static list. A
provider that cannot answer (no key, unreachable, an error status) is shown with its
error in one line. With a config file (``--config``, else ``EVENTIDE_CONFIG``, else the
default one: the file `eventide chat` reads, see `_options.load_config`), its providers and
aliases are listed too. Keys are never
printed: only whether one is set.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, TextIO, final
from urllib.parse import urlsplit, urlunsplit

import attrs
import trio

from .._errors import ConfigurationError, Error
from ..providers import provider_from_name
from ..providers._demo import DEMO_MODEL
from ..providers._http import HTTPProvider
from ._arguments import number
from ._options import load_config

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

__all__ = ["ProviderModels", "list_providers", "run_models"]

BUILT_IN = ("openai", "openai-responses", "anthropic", "gemini", "ollama")
"""The provider kinds listed, each as the environment configures it."""


@final
@attrs.frozen
class ProviderModels:
    """One provider's line in the listing.

    Attributes:
        name: The provider's name (a config file's own names included).
        kind: Its kind (``openai``, ``anthropic``, ...).
        base_url: Its API root, without a query string.
        key: Whether a key is configured.
        default_model: The model it uses when a request names none.
        source: ``"api"`` (its model list) or ``"static"`` (eventide's list).
        models: The model names, in the API's order.
        error: Why the list could not be had: ``{"kind", "message"}``, else None.
    """

    name: str
    kind: str
    base_url: str
    key: bool
    default_model: str
    source: str
    models: tuple[str, ...] = ()
    error: dict[str, str] | None = None


def _shown_url(url: str) -> str:
    """`url` without its query string (which may carry a credential) or user info."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2], query=""))


async def _listing(name: str, kind: str, provider: HTTPProvider, timeout: float) -> ProviderModels:
    entry = ProviderModels(
        name, kind, _shown_url(provider.base_url), provider.has_key, provider.model, "api"
    )
    try:
        async with provider:
            models = await provider.list_models(timeout=timeout)
    except Error as exc:
        return attrs.evolve(entry, error={"kind": exc.kind, "message": str(exc)})
    return attrs.evolve(entry, models=tuple(models))


def _configured(
    config: Mapping[str, Any],
) -> list[tuple[str, str, dict[str, Any]]]:
    """The providers a config file defines: (name, kind, settings), the key from the
    environment variable it names (a missing one is left unset, and shown as such)."""
    found = []
    for name, table in config.get("providers", {}).items():
        settings = dict(table)
        kind = str(settings.pop("kind", name))
        variable = settings.pop("api_key_env", None)
        if variable is not None and os.environ.get(variable):
            settings["api_key"] = os.environ[variable]
        found.append((str(name), kind, settings))
    return found


async def list_providers(config: Mapping[str, Any], *, timeout: float) -> list[ProviderModels]:
    """Every provider's listing: the built-in kinds as the environment configures them,
    then the config file's providers, then the offline demo; model lists asked at once.

    Raises:
        ConfigurationError: A provider (of the environment or the file) cannot be made.
    """
    wanted: list[tuple[str, str, dict[str, Any]]] = [(kind, kind, {}) for kind in BUILT_IN]
    wanted += _configured(config)
    made: list[tuple[str, str, HTTPProvider]] = []
    for name, kind, settings in wanted:
        try:
            provider = provider_from_name(kind, name=name, **settings)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"provider {name!r}: {exc}") from None
        if isinstance(provider, HTTPProvider):  # the demo is listed below
            made.append((name, kind, provider))
    results: list[ProviderModels | None] = [None] * len(made)

    async def one(index: int, name: str, kind: str, provider: HTTPProvider) -> None:
        results[index] = await _listing(name, kind, provider, timeout)

    async with trio.open_nursery() as nursery:
        for index, (name, kind, provider) in enumerate(made):
            nursery.start_soon(one, index, name, kind, provider)
    demo = ProviderModels(
        "demo", "demo", "(in process)", False, DEMO_MODEL, "static", (DEMO_MODEL,)
    )
    return [result for result in results if result is not None] + [demo]


def _text(providers: list[ProviderModels], aliases: dict[str, Any], out: TextIO) -> None:
    for entry in providers:
        key = "key set" if entry.key else "no key"
        print(f"{entry.name} ({entry.kind}, {key}) {entry.base_url}", file=out)
        if entry.error is not None:
            print(f"  unavailable: {entry.error['message']}", file=out)
        for model in entry.models:
            mark = " (default)" if model == entry.default_model else ""
            print(f"  {model}{mark}", file=out)
    if aliases:
        print("aliases (config file)", file=out)
        for alias, candidates in aliases.items():
            print(f"  {alias}: {', '.join(map(str, candidates))}", file=out)


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    config = load_config(args.config).table
    providers = await list_providers(config, timeout=args.timeout)
    aliases = dict(config.get("aliases", {}))
    if args.json:
        data = {
            "providers": [attrs.asdict(entry) for entry in providers],
            "aliases": aliases,
            "default": config.get("default"),
        }
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
    else:
        _text(providers, aliases, out)
    return 0


def run_models(args: argparse.Namespace, out: TextIO) -> int:
    """List the providers and their models; return the exit status (0: a provider that
    cannot answer is part of the listing, not a failure).

    Raises:
        ConfigurationError: The config file or a provider's settings are wrong.
    """
    return trio.run(_run, args, out)


def add_models_parser(commands: Any) -> None:
    """The ``eventide models`` subcommand."""
    models = commands.add_parser(
        "models",
        help="list the providers, whether each has a key, and their models",
        description="List the providers (as the environment and the config file configure "
        "them), whether each has a key (never the key), and the models each one's API lists. "
        "Example: eventide models --json",
    )
    models.add_argument("--json", action="store_true", help="print the listing as JSON")
    models.add_argument(
        "--timeout",
        type=number(float, low=0.0, inclusive=False, rule="must be a positive number of seconds"),
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for each provider's model list (default: 5)",
    )
    models.add_argument(
        "--config",
        metavar="FILE",
        help="a routing TOML file whose providers and aliases to list too "
        "(default: EVENTIDE_CONFIG, else the config file eventide chat reads)",
    )
    models.set_defaults(model=None, provider=None)
