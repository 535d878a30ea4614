"""The SDK's exception names catch what eventide raises: checked against the real ``openai``
package, which is sent the same error responses by the same server."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import openai as sdk
import pytest

import eventide
import eventide.compat.openai as compat
from eventide._errors import provider_error_for_status
from tests.http_server import Reply, refused_url

if TYPE_CHECKING:
    from tests.http_server import ScriptedServer

ERROR_NAMES = sorted(
    name
    for name in compat.__all__
    if inspect.isclass(getattr(compat, name)) and issubclass(getattr(compat, name), Exception)
)

SUPERSETS = {
    403: {"AuthenticationError"},  # PermissionDeniedError is a kind of AuthenticationError
    409: {"InternalServerError"},  # ConflictError is retried as a server error
    422: {"BadRequestError"},  # UnprocessableEntityError is a kind of BadRequestError
}
"""Where a compat name catches more than the SDK's: documented in docs/porting.md."""


def error_reply(status: int) -> Reply:
    body = b'{"error":{"message":"no, because","type":"invalid_request_error","code":"nope"}}'
    return Reply(status=status, headers=(("content-type", "application/json"),), body=[body])


def caught_by(error: BaseException) -> set[str]:
    """The exception names of `compat` whose ``except`` clause catches `error`."""
    return {name for name in ERROR_NAMES if isinstance(error, getattr(compat, name))}


def sdk_names(error: BaseException) -> set[str]:
    """The SDK's exception names (those `compat` has) whose ``except`` catches `error`."""
    return {cls.__name__ for cls in type(error).__mro__ if cls.__name__ in ERROR_NAMES}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 429, 500, 502, 503])
def test_openai_error_names_catch_what_the_sdk_names_catch(
    openai_server: ScriptedServer, status: int
) -> None:
    openai_server.reply(error_reply(status))
    with sdk.OpenAI(max_retries=0) as reference, pytest.raises(sdk.APIStatusError) as expected:
        reference.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]
        )
    with compat.OpenAI(max_retries=0) as client, pytest.raises(eventide.Error) as raised:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])

    assert caught_by(raised.value) == sdk_names(expected.value) | SUPERSETS.get(status, set())
    error = raised.value
    assert isinstance(error, compat.APIStatusError)
    assert error.status_code == expected.value.status_code == status
    assert error.code == expected.value.code == "nope"
    assert "no, because" in error.message
    assert "no, because" in error.body


def test_openai_connection_error_names(
    openai_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"{refused_url()}/v1")
    with sdk.OpenAI(max_retries=0) as reference, pytest.raises(sdk.APIConnectionError) as expected:
        reference.chat.completions.create(model="gpt-4o", messages=[])
    with compat.OpenAI(max_retries=0) as client, pytest.raises(eventide.Error) as raised:
        client.chat.completions.create(model="gpt-4o", messages="Hi")
    assert (
        caught_by(raised.value)
        == sdk_names(expected.value)
        == {
            "APIConnectionError",
            "APIError",
            "OpenAIError",
        }
    )
    assert raised.value.__cause__ is not None  # the README prints it


def test_openai_timeout_error_names(openai_server: ScriptedServer) -> None:
    openai_server.reply(Reply(stall_before_headers=True))
    with (
        sdk.OpenAI(max_retries=0, timeout=0.2) as reference,
        pytest.raises(sdk.APITimeoutError) as expected,
    ):
        reference.chat.completions.create(model="gpt-4o", messages=[])
    with (
        compat.OpenAI(max_retries=0, timeout=0.2) as client,
        pytest.raises(eventide.Error) as raised,
    ):
        client.chat.completions.create(model="gpt-4o", messages="Hi")
    assert caught_by(raised.value) == sdk_names(expected.value)
    assert "APITimeoutError" in caught_by(raised.value)


def test_openai_error_names_are_eventide_classes() -> None:
    """One error tree: every name is an eventide class, and eventide.Error catches all."""
    assert compat.OpenAIError is compat.APIError is eventide.Error
    assert compat.APIStatusError is eventide.ProviderError
    assert compat.APIConnectionError is eventide.TransportError
    assert compat.APITimeoutError is eventide.StreamTimeout
    assert compat.RateLimitError is eventide.RateLimitError
    assert compat.BadRequestError is eventide.BadRequestError
    assert compat.AuthenticationError is eventide.AuthenticationError
    assert compat.NotFoundError is eventide.NotFoundError
    assert issubclass(compat.InternalServerError, eventide.ProviderError)
    assert issubclass(eventide.ServerError, compat.InternalServerError)
    assert issubclass(eventide.OverloadedError, compat.InternalServerError)
    for name in ERROR_NAMES:
        assert issubclass(getattr(compat, name), eventide.Error), name


@pytest.mark.parametrize(
    ("status", "name", "old", "retryable"),
    [
        (403, "PermissionDeniedError", eventide.AuthenticationError, False),
        (409, "ConflictError", eventide.ServerError, True),
        (422, "UnprocessableEntityError", eventide.BadRequestError, False),
        (503, "OverloadedError", eventide.OverloadedError, True),
        (500, "ServerError", eventide.ServerError, True),
    ],
)
def test_openai_finer_status_classes_keep_the_old_ones(
    status: int, name: str, old: type[eventide.ProviderError], retryable: bool
) -> None:
    """eventide raises the SDK's finer class for the status, still an instance of the class
    it raised before (and as retryable as before)."""
    cls = provider_error_for_status(status)
    assert cls.__name__ == name
    assert issubclass(cls, old)
    assert cls("x", status_code=status).retryable is retryable
    assert issubclass(cls, compat.APIStatusError)
