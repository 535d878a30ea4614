"""``eventide chat``'s request and model, from its arguments, the environment and the config
file (`_options`): which model, whether the config file's router serves it, and the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._errors import ConfigurationError
from .._request import Message
from ..client._params import request_from_openai
from ..providers import PROVIDER_NAMES, split_model
from ..routing import Router
from ._input import UsageError, attachment, read_prompt
from ._options import setting, typed_options

if TYPE_CHECKING:
    import argparse
    from typing import BinaryIO

    from .._request import ContentPart, Request
    from ._options import Config

__all__ = ["chat_request", "resolve_model", "router_for"]


def resolve_model(args: argparse.Namespace, config: Config) -> None:
    """Settle ``args.model`` (``-m``, else ``EVENTIDE_MODEL``, else ``[chat] model``) and
    ``args.timeout``; a ``provider:model`` naming a built-in provider (and no provider of the
    config file) sets ``args.provider``."""
    args.model = setting(args.model, "EVENTIDE_MODEL", config, "model")
    timeout = setting(getattr(args, "timeout", None), "EVENTIDE_TIMEOUT", config, "timeout")
    if isinstance(timeout, str):
        try:
            timeout = float(timeout)
        except ValueError:
            raise ConfigurationError(f"EVENTIDE_TIMEOUT={timeout!r} is not a number") from None
    if timeout is not None and not 0 < timeout < float("inf"):
        raise ConfigurationError(f"the timeout must be a positive number, not {timeout}")
    args.timeout = timeout
    if args.model and not args.provider:
        prefix, model = split_model(args.model)
        if prefix in PROVIDER_NAMES and prefix not in config.providers:
            args.provider, args.model = prefix, model


def _routed(model: str | None, config: Config) -> bool:
    if model is None:
        return config.default is not None
    return model in config.aliases or split_model(model, providers=config.providers)[0] is not None


def router_for(args: argparse.Namespace, config: Config) -> Router | None:
    """The config file's router when it serves the model (an alias of the file, one of its
    providers as ``provider:model``, or no model and the file's ``default``) and neither
    ``--provider`` nor ``--base-url`` names another; else None.

    Raises:
        ConfigurationError: The file's routes are not valid (an unknown provider kind, a
            key variable that is not set...).
        UsageError: ``--key`` with the router (its providers name their key variables).
    """
    if not config.routes or args.provider or args.base_url or not _routed(args.model, config):
        return None
    if args.key:
        raise UsageError(
            f"--key cannot be used with a model of the config file ({args.model or 'default'}): "
            "its providers take their keys from api_key_env"
        )
    try:
        return Router.from_toml(config.text)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"config file {config.path}: {exc}") from None


def chat_request(
    args: argparse.Namespace, config: Config, stdin: BinaryIO, *, stdin_is_terminal: bool
) -> Request:
    """The request: the system prompt (``-s``, else ``EVENTIDE_SYSTEM``, else ``[chat]
    system``), the prompt with its attachments, and the parameters (``[chat.options]``, then
    each ``-o``), checked as the client checks ``chat.completions.create``'s.

    Raises:
        UsageError: No prompt, stdin that is not UTF-8, an attachment that cannot be sent, an
            unknown option or a value the parameter does not take.
    """
    prompt = read_prompt(args.prompt, stdin, stdin_is_terminal=stdin_is_terminal)
    images = [attachment(value) for value in args.attachment]
    content: str | list[ContentPart | str] = [prompt, *images] if images else prompt
    system = setting(args.system, "EVENTIDE_SYSTEM", config, "system")
    messages = [Message.system(system)] if system else []
    options = typed_options(args.option, config.chat.get("options", {}))
    try:
        return request_from_openai(
            messages=[*messages, Message.user(content)], model=args.model, **options
        )
    except (TypeError, ValueError) as exc:
        raise UsageError(f"-o: {exc}") from None
