"""`pipeline`: several stages over one provider, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._staged import Staged

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..providers import Provider
    from ._staged import Stage

__all__ = ["pipeline"]


def pipeline(provider: Provider, *stages: Callable[[], Stage]) -> Provider:
    """`provider` seen through `stages`, the first nearest the provider: its events go
    through the stages in the order given (and the request through them in reverse).

    The same as nesting `Staged`: ``pipeline(p, a, b)`` is ``Staged(Staged(p, a), b)``.

    Args:
        provider: The provider to wrap.
        *stages: Each makes the `Stage` of one stream (a stage class such as `Tap`, or a
            ``functools.partial`` of one).

    Returns:
        A provider (`provider` itself when no stage is given).

    Raises:
        TypeError: A stage factory is not callable.
    """
    for stage in stages:
        provider = Staged(provider, stage)
    return provider
