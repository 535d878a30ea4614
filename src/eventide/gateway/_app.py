"""`Gateway`, the ASGI 3 application: paths to handlers, keys, body limits, errors."""

from __future__ import annotations

import hmac
import json
import os
import uuid
from typing import TYPE_CHECKING, Any, final

from ._anthropic_request import request_from_anthropic
from ._asgi import ClientGone, HTTPProblem, header, read_body, send_json
from ._chat import OpenAIChatDialect, parse_chat
from ._cors import allowed_origin, preflight, with_cors
from ._errors import error_body
from ._log import RequestLog
from ._messages import AnthropicDialect, anthropic_error_body
from ._page import send_page
from ._provenance import include_attempts
from ._responses import ResponsesDialect
from ._responses_request import request_from_responses
from ._settings import Settings
from ._streaming import serve_events

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..providers import Provider
    from ._asgi import Receive, Scope, Send

__all__ = ["KEYS_ENV", "Gateway", "create_app", "keys_from_env"]

KEYS_ENV = "EVENTIDE_GATEWAY_KEYS"
"""The environment variable with the gateway's API keys, comma-separated."""

_APIS = {"/chat/completions": "chat", "/messages": "messages", "/responses": "responses"}
_ROUTES = {
    "/": ("GET", "HEAD"),
    "/chat/completions": ("POST",),
    "/messages": ("POST",),
    "/responses": ("POST",),
    "/models": ("GET",),
    "/health": ("GET",),
}


def keys_from_env() -> tuple[str, ...]:
    """The API keys in ``EVENTIDE_GATEWAY_KEYS`` (comma-separated; blanks ignored)."""
    return tuple(key.strip() for key in os.environ.get(KEYS_ENV, "").split(",") if key.strip())


def _route(path: str) -> str:
    path = path.rstrip("/") or "/"
    return path.removeprefix("/v1") if path.startswith("/v1/") else path


def _given_key(scope: Scope) -> bytes | None:
    auth = header(scope, b"authorization")
    if auth is not None and auth[:7].lower() == "bearer ":
        return auth[7:].strip().encode("latin-1")
    key = header(scope, b"x-api-key")
    return None if key is None else key.strip().encode("latin-1")


@final
class Gateway:
    """An OpenAI-compatible ASGI 3 application serving every request from one provider.

    Made by `create_app`; run it under hypercorn (trio) or uvicorn, or with `serve`.
    """

    __slots__ = ("_provider", "_settings")

    def __init__(self, provider: Provider, settings: Settings) -> None:
        self._provider = provider
        self._settings = settings

    def __repr__(self) -> str:
        return f"<Gateway provider={self._provider.name!r} keys={len(self._settings.api_keys)}>"

    @property
    def provider(self) -> Provider:
        """The provider (or router) that serves every request."""
        return self._provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (``http``, or the server's ``lifespan``)."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # websockets are not served: the server refuses the handshake
        request_id = f"req_{uuid.uuid4().hex}"
        route = _route(scope["path"])
        line = RequestLog(_APIS.get(route, route))
        origin = allowed_origin(scope, self._settings.cors_origins)
        if origin is not None:
            if scope["method"] == "OPTIONS":
                await preflight(send, origin)
                return
            send = with_cors(send, origin)
        try:
            await self._http(scope, receive, send, request_id, line)
        except ClientGone:
            line.write()  # before its body came: client_gone
        except HTTPProblem as problem:
            line.status, line.outcome = problem.status, f"refused:{problem.code or problem.kind}"
            line.write()
            headers = [(b"x-request-id", request_id.encode())]
            if problem.status == 401:
                headers.append((b"www-authenticate", b"Bearer"))
            elif problem.status == 405:
                allow = ", ".join(_ROUTES[route])
                headers.append((b"allow", allow.encode()))
            anthropic = route == "/messages"
            body = anthropic_error_body(problem) if anthropic else error_body(problem)
            await send_json(send, problem.status, body, headers=headers)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, line: RequestLog
    ) -> None:
        route = _route(scope["path"])
        methods = _ROUTES.get(route)
        if methods is None:
            raise HTTPProblem(404, f"no such endpoint: {scope['path']}", kind="not_found_error")
        if scope["method"] not in methods:
            raise HTTPProblem(
                405,
                f"{route} takes {' or '.join(methods)}, not {scope['method']}",
                kind="invalid_request_error",
            )
        if route == "/":  # the chat page holds no secret: served without a key
            await send_page(send, head=scope["method"] == "HEAD")
            return
        if route == "/health":
            await send_json(send, 200, {"status": "ok"})
            return
        self._check_key(scope)
        if route == "/models":
            await send_json(send, 200, {"object": "list", "data": self._models()})
            return
        attempts = include_attempts(scope)
        body = await self._json_body(scope, receive)
        dialect: OpenAIChatDialect | AnthropicDialect | ResponsesDialect
        if route == "/messages":
            request, stream = request_from_anthropic(body)
            dialect = AnthropicDialect(attempts=attempts)
        elif route == "/responses":
            request, stream = request_from_responses(body)
            dialect = ResponsesDialect(attempts=attempts)
        else:
            request, stream, usage = parse_chat(body, usage=self._settings.include_usage)
            dialect = OpenAIChatDialect(usage=usage, attempts=attempts)
        await serve_events(
            self._provider,
            request,
            stream=stream,
            dialect=dialect,
            receive=receive,
            send=send,
            request_id=request_id,
            keepalive=self._settings.keepalive,
            line=line,
        )

    def _check_key(self, scope: Scope) -> None:
        keys = self._settings.api_keys
        if not keys:
            return
        given = _given_key(scope)
        # Compare with every key in constant time, so the timing says nothing about which.
        matched = [hmac.compare_digest(given or b"", key) for key in keys]
        if given is None or not any(matched):
            raise HTTPProblem(
                401,
                "missing or wrong API key (send Authorization: Bearer <key>, or x-api-key)",
                kind="invalid_request_error",
                code="invalid_api_key",
            )

    async def _json_body(self, scope: Scope, receive: Receive) -> dict[str, Any]:
        settings = self._settings
        kind = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise HTTPProblem(
                415,
                "the body must be JSON (Content-Type: application/json)",
                kind="invalid_request_error",
            )
        length = header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > settings.max_body_bytes:
            raise HTTPProblem(
                413,
                f"the request body is larger than {settings.max_body_bytes} bytes",
                kind="invalid_request_error",
                code="request_too_large",
            )
        raw = await read_body(receive, limit=settings.max_body_bytes, timeout=settings.body_timeout)
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise HTTPProblem(
                400, f"the body is not valid JSON: {exc}", kind="invalid_request_error"
            ) from None
        if not isinstance(body, dict):
            raise HTTPProblem(400, "the body must be a JSON object", kind="invalid_request_error")
        return body

    def _models(self) -> list[dict[str, Any]]:
        aliases: Iterable[str] = getattr(self._provider, "aliases", ())
        names = dict.fromkeys([*self._settings.models, *aliases])
        default = getattr(self._provider, "model", None)
        if not names and isinstance(default, str):
            names[default] = None  # nothing configured: the model that answers by default
        owner = self._provider.name
        return [{"id": name, "object": "model", "created": 0, "owned_by": owner} for name in names]


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(
    provider: Provider,
    *,
    models: Iterable[str] = (),
    api_keys: Iterable[str] = (),
    max_body_bytes: int = 4 << 20,
    body_timeout: float = 30.0,
    keepalive: float = 15.0,
    include_usage: bool = False,
    cors_origins: Iterable[str] = (),
) -> Gateway:
    """An ASGI 3 application serving OpenAI's Chat Completions API from `provider`.

    It serves OpenAI's Responses and Anthropic's Messages APIs too, ``GET /v1/models``,
    ``GET /health``, and the chat page at ``/`` (served without a key: it holds none). A
    client gets the failed attempts of a router with the request header
    ``x-eventide-include: attempts``.

    Args:
        provider: Any eventide provider, stage or router; the caller keeps it open while
            the app serves, and closes it after.
        models: The model names ``GET /v1/models`` lists (a router's aliases are added);
            when there are none, the provider's default model.
        api_keys: Keys a client must send (``Authorization: Bearer``, or ``x-api-key``);
            none: no key is asked for.
        max_body_bytes: Larger request bodies get 413.
        body_timeout: Seconds a client has to send its whole body (else 408).
        keepalive: Seconds of silence on a stream before a ``: ping`` comment.
        include_usage: Send the usage chunk even when the client did not ask for it.
        cors_origins: Browser origins allowed to call the gateway (``"*"``: any); none:
            CORS is off.

    Raises:
        ValueError: An empty key, or a limit that is not positive.
    """
    keys = tuple(api_keys)
    if any(not isinstance(key, str) or not key for key in keys):
        raise ValueError("an API key must be a non-empty string")
    if max_body_bytes < 1 or body_timeout <= 0 or keepalive <= 0:
        raise ValueError("max_body_bytes, body_timeout and keepalive must be positive")
    settings = Settings(
        models=tuple(models),
        api_keys=tuple(key.encode() for key in keys),
        max_body_bytes=max_body_bytes,
        body_timeout=body_timeout,
        keepalive=keepalive,
        include_usage=include_usage,
        cors_origins=frozenset(cors_origins),
    )
    return Gateway(provider, settings)
