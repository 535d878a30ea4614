"""Test doubles for code that uses eventide: no network, no mock library.

`ScriptedProvider` is a `Provider` that answers each request with the next scripted
`Reply` (a text answer, a list of events, a recorded transcript of any of the five wire
APIs, or an HTTP error), through the real decoder path, and records what it was sent:

```python
from eventide.testing import Reply, ScriptedProvider

provider = ScriptedProvider("Paris.", Reply.http_error(503))
```

Nothing is exported from `eventide` itself: import this module in tests. Importing it has
no side effects.
"""

from ._provider import ReplyLike as ReplyLike
from ._provider import ScriptedProvider as ScriptedProvider
from ._provider import ScriptExhausted as ScriptExhausted
from ._reply import Api as Api
from ._reply import Cut as Cut
from ._reply import Disconnect as Disconnect
from ._reply import Failure as Failure
from ._reply import Reply as Reply
from ._reply import StreamError as StreamError
from ._reply import StreamOptions as StreamOptions
from ._script import ScriptError as ScriptError
from ._script import ToolCallLike as ToolCallLike
from ._wire import SentRequest as SentRequest

__all__ = [
    "Api",
    "Cut",
    "Disconnect",
    "Failure",
    "Reply",
    "ReplyLike",
    "ScriptError",
    "ScriptExhausted",
    "ScriptedProvider",
    "SentRequest",
    "StreamError",
    "StreamOptions",
    "ToolCallLike",
]
