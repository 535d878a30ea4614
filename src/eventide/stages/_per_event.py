"""Per-event stages: `tap` (see each event), `map_events` (replace each event) and
`filter_events` (drop events)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

from .._events import Event, Finish, Metadata
from ._base import StageBase
from ._staged import Staged

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..providers import Provider

__all__ = ["FilterEvents", "MapEvents", "Tap", "filter_events", "map_events", "tap"]

_FRAME: Final = (Metadata, Finish)  # the events that frame a stream: never dropped or retyped


def _check_callable(name: str, value: object) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be callable, not {value!r}")


@final
class Tap(StageBase):
    """Calls `callback` with every event, in order, and hands the batch on as it is (the
    same list: a tap copies nothing).

    Args:
        callback: Called once per event; what it returns is ignored. What it raises ends
            the stream with a `StageError`.
    """

    __slots__ = ("_callback",)

    def __init__(self, callback: Callable[[Event], object]) -> None:
        _check_callable("callback", callback)
        self._callback = callback

    def feed(self, events: list[Event]) -> list[Event]:
        """Call the callback with each event; return the batch unchanged."""
        callback = self._callback
        for event in events:
            callback(event)
        return events


@final
class MapEvents(StageBase):
    """Replaces each event with what `function` returns for it.

    Args:
        function: Takes an event, returns the event to hand on in its place. A `Metadata`
            must map to a `Metadata` and a `Finish` to a `Finish` (the event contract);
            anything else, or a non-event, ends the stream with a `StageError`.
    """

    __slots__ = ("_function",)

    def __init__(self, function: Callable[[Event], Event]) -> None:
        _check_callable("function", function)
        self._function = function

    def feed(self, events: list[Event]) -> list[Event]:
        """The mapped batch (a new list; the caller's events are not changed)."""
        function = self._function
        mapped = []
        for event in events:
            new = function(event)
            if type(event) in _FRAME and type(new) is not type(event):
                raise TypeError(
                    f"a {type(event).__name__} must map to a {type(event).__name__}, not {new!r}"
                )
            if not isinstance(new, Event):
                raise TypeError(f"map function returned {new!r}, not an event")
            mapped.append(new)
        return mapped


@final
class FilterEvents(StageBase):
    """Drops the events for which `predicate` is false. `Metadata` and `Finish` frame the
    stream and are always kept; the predicate never sees them.

    Args:
        predicate: Takes an event, returns whether to keep it.
    """

    __slots__ = ("_predicate",)

    def __init__(self, predicate: Callable[[Event], bool]) -> None:
        _check_callable("predicate", predicate)
        self._predicate = predicate

    def feed(self, events: list[Event]) -> list[Event]:
        """The kept events (a new list)."""
        keep = self._predicate
        return [event for event in events if type(event) in _FRAME or keep(event)]


def tap(provider: Provider, callback: Callable[[Event], object]) -> Staged:
    """`provider`, calling `callback` with each event on its way to the consumer: for
    logging and progress.

    Args:
        provider: The provider to wrap.
        callback: Called once per event, in the consumer's task; keep it quick. What it
            raises ends the stream with a `StageError` (the partial result kept).

    Returns:
        A provider.

    Raises:
        TypeError: `callback` is not callable.
    """
    _check_callable("callback", callback)
    return Staged(provider, lambda: Tap(callback))


def map_events(provider: Provider, function: Callable[[Event], Event]) -> Staged:
    """`provider`, with each event replaced by ``function(event)``.

    Args:
        provider: The provider to wrap.
        function: Returns the event to hand on (build it with `attrs.evolve`). `Metadata`
            must stay `Metadata`, `Finish` stay `Finish`.

    Returns:
        A provider.

    Raises:
        TypeError: `function` is not callable.
    """
    _check_callable("function", function)
    return Staged(provider, lambda: MapEvents(function))


def filter_events(provider: Provider, predicate: Callable[[Event], bool]) -> Staged:
    """`provider`, without the events for which `predicate` is false (`Metadata` and
    `Finish` are always kept).

    Args:
        provider: The provider to wrap.
        predicate: Whether to keep an event.

    Returns:
        A provider.

    Raises:
        TypeError: `predicate` is not callable.
    """
    _check_callable("predicate", predicate)
    return Staged(provider, lambda: FilterEvents(predicate))
