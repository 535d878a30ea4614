"""What litellm's exceptions carry, on the errors ``eventide.compat.litellm`` raises: every
attribute of eventide's error (a `ContextWindowExceededError` too: request, response, request
id, type, param), litellm's ``llm_provider`` and ``model``, and the ``status_code`` litellm
gives a connection failure (500) and a timeout (408); ``except`` on eventide's classes and on
litellm's names keeps working."""

from __future__ import annotations

import json
import pickle
from typing import TYPE_CHECKING, Any

import pytest

import eventide
import eventide.compat.litellm as litellm
from eventide._events import Attempt
from eventide.compat.litellm._errors import LitellmFields, raise_as_litellm
from tests.environment import PROVIDER_VARIABLES
from tests.http_server import (
    Cut,
    Reply,
    ScriptedServer,
    openai_chunks,
    refused_url,
    serve,
    serve_in_thread,
    slow,
    sse,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

HI = [{"role": "user", "content": "Hi"}]
JSON = ("content-type", "application/json")


def refusal(status: int, code: str, param: str | None = "messages") -> Reply:
    error = {"message": f"no: {code}", "type": "invalid_request_error", "param": param}
    return Reply(
        status=status,
        headers=(JSON, ("x-request-id", f"req_{status}")),
        body=[json.dumps({"error": {**error, "code": code}}).encode()],
    )


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ScriptedServer]:
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    async with serve() as made:
        yield made


def original(error: BaseException) -> eventide.Error:
    """The eventide error `error` was raised for (the last attempt's, after a router)."""
    cause = error.__cause__
    if isinstance(cause, eventide.NoProviderLeft):
        return cause.errors[-1]
    assert isinstance(cause, eventide.Error)
    return cause


async def failure(server: ScriptedServer | str, **options: Any) -> eventide.Error:
    url = server if isinstance(server, str) else server.url
    with pytest.raises(eventide.Error) as caught:
        await litellm.acompletion(
            model="openai/gpt-4o-mini", messages=HI, api_base=f"{url}/v1", api_key="k", **options
        )
    return caught.value


async def test_a_context_window_error_keeps_every_attribute_of_the_error(
    server: ScriptedServer,
) -> None:
    server.reply(refusal(400, "context_length_exceeded"))
    error = await failure(server, num_retries=0)
    assert isinstance(error, litellm.ContextWindowExceededError)
    assert type(original(error)) is eventide.BadRequestError
    assert vars(error) == {**vars(original(error)), "model": "gpt-4o-mini"}
    assert error.response is not None
    assert error.request is not None
    assert (error.status_code, error.request_id, error.type, error.param) == (
        400,
        "req_400",
        "invalid_request_error",
        "messages",
    )
    assert error.response.status_code == 400
    assert error.request.method == "POST"


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "invalid_value", litellm.BadRequestError),
        (401, "invalid_api_key", litellm.AuthenticationError),
        (404, "model_not_found", litellm.NotFoundError),
        (429, "rate_limit_exceeded", litellm.RateLimitError),
        (500, "server_error", litellm.InternalServerError),
        (503, "overloaded", litellm.ServiceUnavailableError),
        (400, "context_length_exceeded", litellm.ContextWindowExceededError),
    ],
)
async def test_every_status_error_has_llm_provider_and_model(
    server: ScriptedServer, status: int, code: str, cls: type[eventide.ProviderError]
) -> None:
    server.reply(refusal(status, code))
    error = await failure(server, num_retries=0)
    assert isinstance(error, cls)
    assert type(error).__name__ == cls.__name__
    assert isinstance(error, LitellmFields)
    assert (error.llm_provider, error.model) == ("openai", "gpt-4o-mini")
    assert error.status_code == status
    assert vars(error) == {**vars(original(error)), "model": "gpt-4o-mini"}


async def test_a_connection_failure_is_an_api_connection_error_with_status_500() -> None:
    error = await failure(refused_url())
    assert isinstance(error, litellm.APIConnectionError)
    assert isinstance(error, LitellmFields)
    assert (error.status_code, error.llm_provider) == (500, "openai")


async def test_a_timeout_has_status_408(server: ScriptedServer) -> None:
    server.reply(Reply(body=slow(openai_chunks(["a"] * 50), pause=0.05)))
    error = await failure(server, timeout=0.2)
    assert isinstance(error, litellm.Timeout)
    assert isinstance(error, LitellmFields)
    assert (error.status_code, error.llm_provider, error.phase) == (408, "openai", "total")


async def test_after_fallbacks_the_last_attempt_names_the_model(server: ScriptedServer) -> None:
    server.queue(refusal(400, "invalid_value"), refusal(429, "rate_limit_exceeded"))
    fallback = {"model": "openai/gpt-4o", "api_key": "k", "api_base": f"{server.url}/v1"}
    error = await failure(server, fallbacks=[fallback])
    assert isinstance(error, litellm.RateLimitError)
    assert isinstance(error, LitellmFields)
    assert (error.model, error.llm_provider) == ("gpt-4o", "openai")
    assert isinstance(error.__cause__, eventide.NoProviderLeft)


async def test_a_failure_inside_the_stream_names_the_model(server: ScriptedServer) -> None:
    error_event = {"error": {"message": "died", "type": "server_error", "param": "messages"}}
    server.reply(Reply(body=[*openai_chunks(["Hel"])[:2], sse(error_event)]))
    error = await failure(server)  # no router: the partial answer names the model
    assert isinstance(error, litellm.InternalServerError)
    assert isinstance(error, LitellmFields)
    assert (error.model, error.llm_provider, error.param) == ("gpt-4o-mini", "openai", "messages")
    assert error.partial is not None
    assert error.partial.text == "Hel"


def test_the_model_given_wins_and_llm_provider_is_read_only() -> None:
    group = eventide.NoProviderLeft(
        "all failed",
        [eventide.ServerError("down", provider="p")],
        [Attempt("p", "attempted", "server")],
    )
    with pytest.raises(eventide.ServerError) as caught:
        raise_as_litellm(group, model="asked")
    error = caught.value
    assert isinstance(error, LitellmFields)
    assert (error.model, error.llm_provider) == ("asked", "p")
    with pytest.raises(AttributeError):
        error.llm_provider = "other"  # type: ignore[misc]
    with pytest.raises(eventide.ServerError) as caught:
        raise_as_litellm(group)
    assert isinstance(caught.value, LitellmFields)
    assert caught.value.model == "attempted"
    with pytest.raises(eventide.ServerError) as again:
        raise_as_litellm(caught.value)  # raised again: the same class, the model kept
    assert type(again.value) is type(caught.value)
    assert isinstance(again.value, LitellmFields)
    assert again.value.model == "attempted"


async def test_an_error_pickles_as_itself(server: ScriptedServer) -> None:
    """A task's error crosses processes pickled (Dask, Ray, ``ProcessPoolExecutor``)."""
    server.reply(refusal(429, "rate_limit_exceeded"))
    error = await failure(server, num_retries=0)
    error.partial = None  # as a process pool would see it, its content aside
    loaded = pickle.loads(pickle.dumps(error))
    assert type(loaded) is type(error)
    assert isinstance(loaded, litellm.RateLimitError)
    assert isinstance(loaded, LitellmFields)
    assert vars(loaded) == vars(error)
    assert (loaded.llm_provider, loaded.param, loaded.args) == ("openai", "messages", error.args)
    window = litellm.ContextWindowExceededError("too long", status_code=400)
    assert type(pickle.loads(pickle.dumps(window))) is litellm.ContextWindowExceededError


async def test_a_failure_while_streaming_names_the_model(server: ScriptedServer) -> None:
    """``stream=True`` too, as litellm's stream wrapper is given the model: cut after the
    answer began, refused at the call, and through the sync `completion` alike."""
    server.queue(Reply(body=[*openai_chunks(["Hel"])[:2], Cut()]), refusal(429, "rate"))
    options: dict[str, Any] = {"api_base": f"{server.url}/v1", "api_key": "k", "num_retries": 0}
    chunks = await litellm.acompletion("openai/gpt-4o-mini", HI, stream=True, **options)
    with pytest.raises(eventide.Error) as cut:
        _ = [chunk async for chunk in chunks]
    with pytest.raises(eventide.Error) as refused:
        await litellm.acompletion("openai/gpt-4o-mini", HI, stream=True, **options)
    for error in (cut.value, refused.value):
        assert isinstance(error, LitellmFields)
        assert (error.model, error.llm_provider) == ("gpt-4o-mini", "openai")
    assert isinstance(refused.value, litellm.RateLimitError)


def test_a_sync_stream_cut_names_the_model() -> None:
    with serve_in_thread(Reply(body=[*openai_chunks(["Hel"])[:2], Cut()])) as server:
        url = f"{server.url}/v1"
        chunks = litellm.completion(
            "openai/gpt-4o-mini", HI, stream=True, api_base=url, api_key="k"
        )
        with pytest.raises(eventide.Error) as caught:
            list(chunks)
    assert isinstance(caught.value, LitellmFields)
    assert caught.value.model == "gpt-4o-mini"


async def test_a_mocked_error_is_litellms_and_names_the_model() -> None:
    with pytest.raises(litellm.RateLimitError) as caught:
        await litellm.acompletion("openai/gpt-4o-mini", HI, mock_response="litellm.RateLimitError")
    assert isinstance(caught.value, LitellmFields)
    assert (caught.value.model, caught.value.llm_provider) == ("gpt-4o-mini", "openai")
