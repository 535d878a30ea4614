"""eventide: every LLM chat request as one stream of typed events.

    async with provider.stream("Why is the sky blue?") as events:
        async for event in events:
            ...

Nothing happens at import time: no network, no disk, no environment reads.
"""

from ._completion import CompletedToolCall as CompletedToolCall
from ._completion import Completion as Completion
from ._completion import Timing as Timing
from ._errors import AuthenticationError as AuthenticationError
from ._errors import BadRequestError as BadRequestError
from ._errors import ConfigurationError as ConfigurationError
from ._errors import ConflictError as ConflictError
from ._errors import Error as Error
from ._errors import NoProviderLeft as NoProviderLeft
from ._errors import NotFoundError as NotFoundError
from ._errors import OverloadedError as OverloadedError
from ._errors import PermissionDeniedError as PermissionDeniedError
from ._errors import ProtocolError as ProtocolError
from ._errors import ProviderError as ProviderError
from ._errors import RateLimitError as RateLimitError
from ._errors import RequestError as RequestError
from ._errors import ServerError as ServerError
from ._errors import ServerSideError as ServerSideError
from ._errors import StageError as StageError
from ._errors import StreamTimeout as StreamTimeout
from ._errors import TransportError as TransportError
from ._errors import UnprocessableEntityError as UnprocessableEntityError
from ._events import Attempt as Attempt
from ._events import Event as Event
from ._events import Finish as Finish
from ._events import FinishReason as FinishReason
from ._events import Metadata as Metadata
from ._events import Reasoning as Reasoning
from ._events import ReasoningApi as ReasoningApi
from ._events import ReasoningDelta as ReasoningDelta
from ._events import RefusalDelta as RefusalDelta
from ._events import TextDelta as TextDelta
from ._events import ToolCall as ToolCall
from ._events import ToolCallDelta as ToolCallDelta
from ._events import Usage as Usage
from ._exchange import ErrorRequest as ErrorRequest
from ._exchange import ErrorResponse as ErrorResponse
from ._exchange import ResponseHeaders as ResponseHeaders
from ._request import ImagePart as ImagePart
from ._request import JSONSchema as JSONSchema
from ._request import Message as Message
from ._request import ReasoningConfig as ReasoningConfig
from ._request import Request as Request
from ._request import TextPart as TextPart
from ._request import ToolSpec as ToolSpec
from ._serde import converter as converter
from ._stream import EventStream as EventStream
from ._timeouts import Timeouts as Timeouts
from ._version import __version__ as __version__
from .client import AsyncClient as AsyncClient
from .client import BatchResult as BatchResult
from .client import ChatCompletion as ChatCompletion
from .client import ChatCompletionChunk as ChatCompletionChunk
from .client import Client as Client
from .client import EventIterator as EventIterator
from .client import Stream as Stream
from .collectors import CompletionCollector as CompletionCollector
from .collectors import collect as collect
from .collectors import collect_text as collect_text
from .collectors import first_metadata as first_metadata

__all__ = [
    "AsyncClient",
    "Attempt",
    "AuthenticationError",
    "BadRequestError",
    "BatchResult",
    "ChatCompletion",
    "ChatCompletionChunk",
    "Client",
    "CompletedToolCall",
    "Completion",
    "CompletionCollector",
    "ConfigurationError",
    "ConflictError",
    "Error",
    "ErrorRequest",
    "ErrorResponse",
    "Event",
    "EventIterator",
    "EventStream",
    "Finish",
    "FinishReason",
    "ImagePart",
    "JSONSchema",
    "Message",
    "Metadata",
    "NoProviderLeft",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "ProtocolError",
    "ProviderError",
    "RateLimitError",
    "Reasoning",
    "ReasoningApi",
    "ReasoningConfig",
    "ReasoningDelta",
    "RefusalDelta",
    "Request",
    "RequestError",
    "ResponseHeaders",
    "ServerError",
    "ServerSideError",
    "StageError",
    "Stream",
    "StreamTimeout",
    "TextDelta",
    "TextPart",
    "Timeouts",
    "Timing",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "TransportError",
    "UnprocessableEntityError",
    "Usage",
    "__version__",
    "collect",
    "collect_text",
    "converter",
    "first_metadata",
]
