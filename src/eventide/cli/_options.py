"""``eventide chat``'s settings: the config file, the environment, and ``-o KEY VALUE``.

The config file is the router's TOML file (`eventide.routing.Router.from_toml`: its
``providers``, ``aliases`` and ``default``), found at ``--config``, else
``$EVENTIDE_CONFIG``, else ``config.toml`` in the user's config directory (platformdirs:
``~/.config/eventide/config.toml`` on Linux) when it exists. The command's own defaults go in
its ``[chat]`` table, which the router ignores:

```toml
[chat]
model = "fast"            # -m: an alias, provider:model, or a model name
system = "Be brief."      # -s
timeout = 60              # --timeout, seconds
[chat.options]            # -o KEY VALUE, typed by TOML
temperature = 0.2
```

A command-line option wins over the environment (``EVENTIDE_MODEL``, ``EVENTIDE_SYSTEM``,
``EVENTIDE_TIMEOUT``, ``EVENTIDE_PROVIDER`` and each provider's own variables), which wins
over the file. Keys are never read from the file (the router's ``api_key_env`` names a
variable).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, final

import attrs

from .._errors import ConfigurationError
from ..client._params import CreateParams
from ._arguments import hide_keys
from ._input import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Config", "load_config", "option_value", "typed_options"]

CONFIG_VARIABLE: Final = "EVENTIDE_CONFIG"
_CHAT_KEYS: Final = frozenset({"model", "system", "timeout", "options"})


def _kind(annotation: Any) -> str:
    """The first type of a `CreateParams` annotation (a forward reference's text)."""
    text = getattr(annotation, "__forward_arg__", str(annotation))
    return text.split("[", 1)[0].split(" ", 1)[0]


# -o's keys and how each value is read: every Chat Completions parameter the client takes
# (its own timeout is --timeout).
_KINDS: Final[Mapping[str, str]] = {
    name: _kind(annotation)
    for name, annotation in CreateParams.__annotations__.items()
    if name != "timeout"
}
_BOOLEANS: Final = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def option_value(key: str, text: str) -> Any:
    """``-o KEY VALUE``'s value, typed as the parameter is: a number, an integer, a boolean
    (true/false, yes/no, 1/0), a string, or JSON (a dict, a list; a string parameter that
    may also be a list or a dict, such as ``stop`` and ``tool_choice``, takes JSON when the
    value starts with ``[`` or ``{``).

    Raises:
        UsageError: An unknown key, or a value that is not of the parameter's type.
    """
    kind = _KINDS.get(key)
    if kind is None:
        raise UsageError(
            hide_keys(
                f"unknown option {key!r} for -o: use a Chat Completions parameter "
                f"({', '.join(sorted(_KINDS))})",
                [key],
            )
        )
    try:
        if kind == "float":
            return float(text)
        if kind == "int":
            return int(text)
        if kind == "bool":
            return _BOOLEANS[text.lower()]
        if kind in {"Mapping", "Sequence"} or text.lstrip().startswith(("[", "{")):
            return json.loads(text)
    except (ValueError, KeyError):
        wanted = {"float": "a number", "int": "an integer", "bool": "true or false"}
        message = f"-o {key}: {text!r} is not {wanted.get(kind, 'valid JSON')}"
        raise UsageError(hide_keys(message, [text])) from None
    return text


def typed_options(pairs: Sequence[Sequence[str]], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The request parameters: the config file's `defaults`, then each ``-o KEY VALUE``.

    Raises:
        UsageError: As `option_value`; an unknown key in `defaults` too.
    """
    for key in defaults:
        if key not in _KINDS:
            raise UsageError(f"config [chat.options]: unknown option {key!r}")
    options = dict(defaults)
    for key, text in pairs:
        options[key] = option_value(key, text)
    return options


@final
@attrs.frozen
class Config:
    """The config file, read: its text (for the router), its table, and what the chat takes.

    Attributes:
        path: Where it was read from; None when there is none.
        text: The TOML text.
        table: The parsed TOML (``{}`` without a file).
    """

    path: Path | None = None
    text: str = ""
    table: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def aliases(self) -> tuple[str, ...]:
        """The alias names it defines."""
        return tuple(self.table.get("aliases", {}))

    @property
    def providers(self) -> tuple[str, ...]:
        """The provider names it defines."""
        return tuple(self.table.get("providers", {}))

    @property
    def default(self) -> str | None:
        """Its ``default`` model, if any."""
        default = self.table.get("default")
        return default if isinstance(default, str) else None

    @property
    def chat(self) -> Mapping[str, Any]:
        """The ``[chat]`` table (checked by `load_config`)."""
        chat: Mapping[str, Any] = self.table.get("chat", {})
        return chat

    @property
    def routes(self) -> bool:
        """Whether the file defines providers or aliases (then the router serves the chat)."""
        return bool(self.aliases or self.providers)


def _default_path() -> Path | None:
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - a base dependency; an unusual install
        return None
    return platformdirs.user_config_path("eventide") / "config.toml"


def load_config(explicit: str | None) -> Config:
    """The config file `explicit` names, else ``$EVENTIDE_CONFIG``'s, else the default one
    when it exists; an empty `Config` without one.

    Raises:
        ConfigurationError: A named file that cannot be read, TOML that does not parse, or a
            ``[chat]`` table with an unknown key or a value of the wrong type.
    """
    named = explicit or os.environ.get(CONFIG_VARIABLE) or None
    path = Path(named) if named else _default_path()
    if path is None or (named is None and not path.is_file()):
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
        table = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read the config file {path}: {exc}") from None
    chat = table.get("chat", {})
    if not isinstance(chat, dict) or set(chat) - _CHAT_KEYS:
        unknown = sorted(set(chat) - _CHAT_KEYS) if isinstance(chat, dict) else chat
        raise ConfigurationError(
            f"config file {path}: [chat] takes {', '.join(sorted(_CHAT_KEYS))}, not {unknown}"
        )
    for key, kind in (("model", str), ("system", str), ("timeout", int | float)):
        if key in chat and not isinstance(chat[key], kind):
            raise ConfigurationError(f"config file {path}: [chat] {key} = {chat[key]!r}")
    if not isinstance(chat.get("options", {}), dict):
        raise ConfigurationError(f"config file {path}: [chat.options] must be a table")
    return Config(path, text, table)


def setting(flag: Any, variable: str, config: Config, key: str) -> Any:
    """A setting: the command line's `flag`, else ``$variable``, else ``[chat] key``."""
    if flag is not None:
        return flag
    return os.environ.get(variable) or config.chat.get(key)
