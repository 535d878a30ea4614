"""The attributes code reads on the SDK's errors (``e.request_id``, ``e.response.headers``,
``e.request.url``, ``e.type``...) are on eventide's: the real ``openai`` package and
eventide's compat client are sent the same error response by the same server, and what each
error says is compared, name by name."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import openai as sdk
import pytest

import eventide
import eventide.compat.openai as compat
from tests.http_server import Reply, refused_url

if TYPE_CHECKING:
    from tests.http_server import ScriptedServer

JSON = ("content-type", "application/json")
BAD_REQUEST = {
    "error": {
        "message": "Invalid value for 'temperature'",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "invalid_value",
    }
}
RATE_LIMITED = {
    "error": {"message": "Slow down", "type": "requests", "code": "rate_limit_exceeded"}
}

REPLIES = {
    "429": Reply(
        status=429,
        headers=(JSON, ("retry-after", "7"), ("x-request-id", "req_429abc")),
        body=[json.dumps(RATE_LIMITED).encode()],
    ),
    "400": Reply(
        status=400,
        headers=(JSON, ("x-request-id", "req_400abc")),
        body=[json.dumps(BAD_REQUEST).encode()],
    ),
    "500": Reply(
        status=500, headers=(("content-type", "text/plain"),), body=[b"upstream fell over"]
    ),
}
MESSAGES = [{"role": "user", "content": "Hi"}]


def both_errors(server: ScriptedServer, reply: Reply) -> tuple[Any, eventide.ProviderError]:
    """The SDK's error and eventide's for the same response."""
    server.reply(reply)
    with sdk.OpenAI(max_retries=0) as reference, pytest.raises(sdk.APIStatusError) as expected:
        reference.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    with compat.OpenAI(max_retries=0) as client, pytest.raises(compat.APIStatusError) as raised:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return expected.value, raised.value


def kind(value: object) -> type:
    return type(value)


@pytest.mark.parametrize("case", sorted(REPLIES))
def test_openai_status_error_attributes_match_the_sdk(
    openai_server: ScriptedServer, case: str
) -> None:
    expected, error = both_errors(openai_server, REPLIES[case])
    for name in ("status_code", "request_id", "code", "param", "type"):
        assert getattr(error, name) == getattr(expected, name), name
    assert isinstance(error.message, str)
    assert error.response is not None
    assert error.request is not None
    assert error.response.status_code == expected.response.status_code == int(case)
    for header in ("content-type", "X-Request-ID", "retry-after"):
        assert error.response.headers.get(header) == expected.response.headers.get(header)
    assert error.headers == error.response.headers
    assert error.response.text == expected.response.text
    assert error.request.method == expected.request.method == "POST"
    assert error.request.url == str(expected.request.url)
    assert error.response.url == str(expected.response.url)
    assert error.request.headers["content-type"] == expected.request.headers["content-type"]
    # the SDK's ``body`` is the decoded error object; eventide's keeps its meaning (a short
    # text excerpt), and the decoded body is ``response.json()``, as on the SDK's response
    assert isinstance(error.body, str)
    if case == "500":
        assert error.body == expected.body == "upstream fell over"
    else:
        assert error.response.json() == expected.response.json()
        assert error.response.json()["error"] == expected.body


def test_openai_status_error_attributes_types(openai_server: ScriptedServer) -> None:
    expected, error = both_errors(openai_server, REPLIES["400"])
    assert (error.request_id, error.type, error.param, error.code) == (
        "req_400abc",
        "invalid_request_error",
        "temperature",
        "invalid_value",
    )
    for name in ("status_code", "request_id", "message", "code", "param", "type"):
        assert kind(getattr(error, name)) is kind(getattr(expected, name)), name
    assert error.retry_after is None
    expected, error = both_errors(openai_server, REPLIES["429"])
    assert (error.request_id, error.retry_after, error.param) == ("req_429abc", 7.0, None)
    assert isinstance(error, compat.RateLimitError)


def test_anthropic_request_id_header_is_the_request_id(openai_server: ScriptedServer) -> None:
    reply = Reply(status=400, headers=(JSON, ("request-id", "req_ant")), body=[b"{}"])
    _, error = both_errors(openai_server, reply)
    assert error.request_id == "req_ant"


def test_no_secret_in_what_the_error_keeps(openai_server: ScriptedServer) -> None:
    key = "sk-echoed-secret-0123456789"
    echo = json.dumps({"error": {"message": f"bad key {key}", "type": "invalid_request_error"}})
    openai_server.reply(
        Reply(
            status=401,
            headers=(JSON, ("x-echo", f"Bearer {key}"), ("www-authenticate", key)),
            body=[echo.encode()],
        )
    )
    with (
        compat.OpenAI(api_key=key, max_retries=0) as client,
        pytest.raises(compat.AuthenticationError) as raised,
    ):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    error = raised.value
    assert openai_server.requests[-1].headers["authorization"] == f"Bearer {key}"  # it was sent
    assert error.response is not None
    assert error.request is not None
    assert error.headers is not None
    shown = [
        repr(error),
        str(error),
        error.body,
        error.response.text,
        repr(error.response),
        repr(error.request),
        repr(dict(error.request.headers)),
        repr(dict(error.headers)),
        error.request.url,
    ]
    assert not [text for text in shown if key in text]
    assert error.request.headers["authorization"] == "[redacted]"
    assert error.headers["x-echo"] == "Bearer [redacted]"
    assert "[redacted]" in error.response.json()["error"]["message"]


def test_credentials_in_the_url_are_redacted(openai_server: ScriptedServer) -> None:
    openai_server.reply(REPLIES["500"])
    base = openai_server.url.replace("http://", "http://user:pw-secret@")
    provider = eventide.providers.OpenAIChat(
        base_url=f"{base}/v1", api_key="k", query={"key": "q-secret", "api-version": "1"}
    )
    with (
        eventide.Client(provider, max_retries=0) as client,
        pytest.raises(eventide.ServerError) as raised,
    ):
        client.complete("Hi")
    request = raised.value.request
    assert request is not None
    assert "secret" not in request.url
    assert request.url.endswith("/v1/chat/completions?key=[redacted]&api-version=1")


def test_openai_connection_error_carries_the_request(
    openai_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"{refused_url()}/v1")
    with sdk.OpenAI(max_retries=0) as reference, pytest.raises(sdk.APIConnectionError) as expected:
        reference.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    with compat.OpenAI(max_retries=0) as client, pytest.raises(compat.APIConnectionError) as raised:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    request = raised.value.request
    assert request is not None
    assert (request.method, request.url) == (
        expected.value.request.method,
        str(expected.value.request.url),
    )
    assert request.headers["authorization"] == "[redacted]"
    assert raised.value.response is None
    assert (raised.value.code, raised.value.param, raised.value.type) == (None, None, None)
    assert (expected.value.code, expected.value.param, expected.value.type) == (None, None, None)
