"""`OpenAIModel`: the base of the OpenAI-shaped results, and their dumps.

The shapes are msgspec Structs (built in C: a chunk's three objects cost about half what
attrs classes did; docs/performance.md), and they dump as openai-python's pydantic models do
(read in openai-python 3.63.0, ``_models.py`` and ``types/chat/``):

- ``model_dump()`` has every field OpenAI's model declares, in its order, ``None`` where
  unknown; ``to_dict()`` / ``to_json()`` default to ``exclude_unset=True``: only the fields
  the server "sent". A shape says which: OpenAI's required fields, the ones OpenAI's server
  always sends even as ``null`` (`OpenAIModel._sent`), and any other field that is not None
  (so a ``null`` is never invented);
- ``exclude_defaults`` drops the optional fields that are None (every OpenAI default is
  None), ``exclude_none`` every None;
- eventide's own fields (`OpenAIModel._extras`: ``provider``, ``reasoning``) come last, and
  only when not None, as pydantic dumps a server's extra fields;
- ``include`` / ``exclude`` take pydantic's forms: a set of names, or a dict of names (list
  positions, ``"__all__"``) to True or to the same form for the nested value;
- JSON as pydantic writes it: compact without ``indent``, raw UTF-8.

Nothing is validated or copied when a shape is built; the dump walks it when asked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any, ClassVar, Literal, TypeAlias

import msgspec

__all__ = ["IncEx", "OpenAIModel"]

IncEx: TypeAlias = AbstractSet[int] | AbstractSet[str] | Mapping[int, Any] | Mapping[str, Any]
"""pydantic's ``include`` / ``exclude`` forms."""

_Spec: TypeAlias = Mapping[Any, Any] | None


def _spec(given: object, what: str) -> _Spec:
    """`given` (None, a set or a dict) as a dict, or a `TypeError`."""
    if given is None or given is True or given is Ellipsis:
        return None
    if isinstance(given, AbstractSet):
        return dict.fromkeys(given, True)
    if isinstance(given, Mapping):
        return given
    raise TypeError(f"{what} must be a set or a dict, not {type(given).__name__}")


def _child(spec: _Spec, key: object) -> object:
    """The part of `spec` for `key` (a name, or a list position with ``"__all__"``)."""
    if spec is None:
        return None
    if key in spec:
        return spec[key]
    return spec.get("__all__")


class OpenAIModel(msgspec.Struct):
    """The dump methods of openai-python's models (``BaseModel`` and pydantic's).

    Subclasses name OpenAI's fields in `_fields` (OpenAI's order), which of them have no
    default in `_required`, which OpenAI's server sends even as ``null`` in `_sent`, and
    eventide's own in `_extras`.
    """

    _fields: ClassVar[tuple[str, ...]] = ()
    _required: ClassVar[frozenset[str]] = frozenset()
    _sent: ClassVar[frozenset[str]] = frozenset()
    _extras: ClassVar[tuple[str, ...]] = ()

    def _sent_fields(self) -> frozenset[str]:
        """The fields that count as sent even when None (a chunk may add ``usage``)."""
        return self._sent

    def model_dump(
        self,
        *,
        mode: Literal["python", "json"] = "python",
        include: IncEx | None = None,
        exclude: IncEx | None = None,
        by_alias: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        round_trip: bool = False,
        warnings: bool | Literal["none", "warn", "error"] = True,
    ) -> dict[str, Any]:
        """pydantic's ``model_dump``: plain dicts and lists (a Python and a JSON mode alike:
        every value already is JSON's). ``by_alias``, ``round_trip`` and ``warnings`` change
        nothing here (no aliases, nothing to warn of).

        Raises:
            ValueError: `mode` is neither ``"python"`` nor ``"json"``.
            TypeError: `include` or `exclude` is not a set or a dict.
        """
        del by_alias, round_trip, warnings
        _check_mode(mode)
        flags = (exclude_unset, exclude_defaults, exclude_none)
        return self._dump(_spec(include, "include"), _spec(exclude, "exclude"), flags)

    def model_dump_json(
        self,
        *,
        indent: int | None = None,
        include: IncEx | None = None,
        exclude: IncEx | None = None,
        by_alias: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        round_trip: bool = False,
        warnings: bool | Literal["none", "warn", "error"] = True,
    ) -> str:
        """pydantic's ``model_dump_json``: `model_dump` as JSON text."""
        del by_alias, round_trip, warnings
        flags = (exclude_unset, exclude_defaults, exclude_none)
        data = self._dump(_spec(include, "include"), _spec(exclude, "exclude"), flags)
        return _json(data, indent)

    def to_dict(
        self,
        *,
        mode: Literal["python", "json"] = "python",
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> dict[str, Any]:
        """openai-python's ``to_dict``: by default only the fields the server sent, and
        ``provider``. ``use_api_names`` and ``warnings`` change nothing here."""
        del use_api_names, warnings
        _check_mode(mode)
        return self._dump(None, None, (exclude_unset, exclude_defaults, exclude_none))

    def to_json(
        self,
        *,
        indent: int | None = 2,
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> str:
        """openai-python's ``to_json``: `to_dict` as JSON text, indented by 2 by default."""
        del use_api_names, warnings
        data = self._dump(None, None, (exclude_unset, exclude_defaults, exclude_none))
        return _json(data, indent)

    def _dump(
        self, include: _Spec, exclude: _Spec, flags: tuple[bool, bool, bool]
    ) -> dict[str, Any]:
        unset, defaults, none = flags
        sent, required = self._sent_fields(), self._required
        out: dict[str, Any] = {}
        for name in self._fields + self._extras:
            if include is not None and name not in include:
                continue
            below = _child(exclude, name)
            if below is True or below is Ellipsis:
                continue
            value = getattr(self, name)
            if value is None:
                if name in self._extras or none:
                    continue
                if unset and name not in sent and name not in required:
                    continue
                if defaults and name not in required:
                    continue
                out[name] = None
            else:
                out[name] = _value(value, _child(include, name), below, flags)
        return out

    def __repr__(self) -> str:
        shown = [n for n in self._fields + self._extras if n in self._fields or getattr(self, n)]
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__name__}({fields})"


def _value(value: object, include: object, exclude: object, flags: tuple[bool, bool, bool]) -> Any:
    """`value` dumped: a shape as its dict, a list item by item, anything else as it is."""
    if isinstance(value, OpenAIModel):
        return value._dump(_spec(include, "include"), _spec(exclude, "exclude"), flags)
    if isinstance(value, list | tuple):
        inner, outer = _spec(include, "include"), _spec(exclude, "exclude")
        out = []
        for i, item in enumerate(value):
            if inner is not None and i not in inner and "__all__" not in inner:
                continue
            below = _child(outer, i)
            if below is True or below is Ellipsis:
                continue
            out.append(_value(item, _child(inner, i), below, flags))
        return out
    return value


def _check_mode(mode: str) -> None:
    if mode not in ("python", "json"):
        raise ValueError(f"mode must be 'python' or 'json', not {mode!r}")


def _json(data: dict[str, Any], indent: int | None) -> str:
    """JSON text as pydantic writes it: compact without `indent`, raw UTF-8."""
    if indent is None:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=indent)
