"""OpenAI's Responses dialect: ``POST /v1/responses`` in, typed events or a ``response`` out.

Errors before the head are OpenAI's error body; after it, ``response.failed`` with what was
streamed so far (the openai SDK hands it over as a ``ResponseFailedEvent``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

from ._errors import error_body
from ._responses_encode import ResponsesStreamEncoder, response_object

if TYPE_CHECKING:
    from .._completion import Completion
    from .._events import Event
    from ._asgi import HTTPProblem

__all__ = ["ResponsesDialect"]


@final
class ResponsesDialect:
    """The Responses API on the wire.

    Args:
        attempts: Put the failed attempts (``attempts``) on the ``response`` object.
    """

    __slots__ = ("_encoder", "attempts")

    api = "responses"
    ping = b": ping\n\n"

    def __init__(self, *, attempts: bool = False) -> None:
        self.attempts = attempts
        self._encoder = ResponsesStreamEncoder(attempts=attempts)

    def encode(self, event: Event) -> bytes:
        """The typed events for one event."""
        return self._encoder.encode(event)

    def error_frame(self, problem: HTTPProblem) -> bytes:
        """``response.failed``."""
        return self._encoder.failed(problem.code, problem.message)

    def error_body(self, problem: HTTPProblem) -> dict[str, Any]:
        """OpenAI's error body."""
        return error_body(problem)

    def whole(self, completion: Completion) -> dict[str, Any]:
        """The ``response`` object, with ``provider``."""
        return response_object(completion)
