"""`Timeouts`: every time budget of a stream in one frozen object."""

from __future__ import annotations

from typing import final

import attrs

from ._validate import check_number, type_name

__all__ = ["Timeouts", "as_timeouts"]


def _budget(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise ValueError(f"a timeout must be a positive number of seconds or None, not {value!r}")
    return value


@final
@attrs.frozen
class Timeouts:
    """Time budgets in seconds; None means no limit.

    HTTP-level, enforced by the HTTP client on each operation:

    Attributes:
        connect: To open the connection (TCP and TLS).
        read: For any single read from the socket.
        write: For any single write to the socket.
        pool: To wait for a free connection from the pool.

    Stream-level, enforced with cancel scopes around the stream's reads:

    Attributes:
        first_event: From the start of the request to the first event (`Metadata`).
        idle: Between two events (keep-alive comments do not reset it).
        total: For the whole response.

    A timeout raises `StreamTimeout`, whose ``phase`` names the budget that ran out.
    """

    connect: float | None = attrs.field(default=10.0, converter=_budget)
    read: float | None = attrs.field(default=600.0, converter=_budget)
    write: float | None = attrs.field(default=60.0, converter=_budget)
    pool: float | None = attrs.field(default=60.0, converter=_budget)
    first_event: float | None = attrs.field(default=None, converter=_budget)
    idle: float | None = attrs.field(default=None, converter=_budget)
    total: float | None = attrs.field(default=None, converter=_budget)

    @classmethod
    def from_seconds(cls, seconds: float) -> Timeouts:
        """One budget for every HTTP operation, as OpenAI's ``timeout=60.0`` means it.

        openai-python hands a float to ``httpx.Timeout(seconds)``, which sets connect, read,
        write and pool to that number and has no budget for the whole response: so does
        this (``first_event``, ``idle`` and ``total`` stay None).

        Raises:
            TypeError: `seconds` is not a number.
            ValueError: It is not positive and finite.
        """
        check_number("timeout", seconds, low=0)
        return cls(connect=seconds, read=seconds, write=seconds, pool=seconds)


def as_timeouts(value: float | Timeouts | None) -> Timeouts | None:
    """A ``timeout=`` argument (a number of seconds, a `Timeouts`, or None) as `Timeouts`.

    None stays None (the caller's default applies); a number is `Timeouts.from_seconds`.

    Raises:
        TypeError: Anything else (the message names ``timeout``).
        ValueError: A number that is not positive and finite.
    """
    if value is None or isinstance(value, Timeouts):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"timeout must be seconds or Timeouts, not {type_name(value)}")
    return Timeouts.from_seconds(value)
