"""The gateway: an OpenAI-compatible ASGI 3 application over any eventide provider or router.

Every request becomes one `EventStream`, so a client that hangs up closes the upstream, an
error mid-stream stays an error, and the provider that served is on the wire:

```python
from eventide.gateway import create_app
from eventide.providers import demo

app = create_app(demo(), api_keys=["sk-local"])  # run under hypercorn or uvicorn
```

``eventide serve`` runs it from the command line (the ``serve`` extra).
"""

from ._app import KEYS_ENV as KEYS_ENV
from ._app import Gateway as Gateway
from ._app import create_app as create_app
from ._serve import check_bind as check_bind
from ._serve import serve as serve

__all__ = ["KEYS_ENV", "Gateway", "check_bind", "create_app", "serve"]
