"""litellm's routing and options on eventide: ``provider/model`` routes only here, unknown
prefixes and litellm-only options are clear errors before any I/O, and errors keep their
litellm names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import eventide
import eventide.compat.litellm as litellm
from tests.environment import PROVIDER_VARIABLES
from tests.http_server import Reply, ScriptedServer, openai_chunks, serve, serve_in_thread, slow

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ScriptedServer]:
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    async with serve(Reply(body=openai_chunks(["Hello"]))) as made:
        yield made


@pytest.mark.parametrize(
    ("prefix", "variable"),
    [("groq", "GROQ_API_KEY"), ("openrouter", "OPENROUTER_API_KEY"), ("xai", "XAI_API_KEY")],
)
async def test_openai_compatible_prefixes_use_litellm_variables_and_name_the_provider(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, prefix: str, variable: str
) -> None:
    monkeypatch.setenv(variable, f"key-of-{prefix}")
    response = await litellm.acompletion(
        model=f"{prefix}/llama-3.1-8b-instant", messages=HI, api_base=f"{server.url}/v1"
    )

    assert response.provider == prefix
    assert server.requests[0].json()["model"] == "llama-3.1-8b-instant"
    assert server.requests[0].headers["authorization"] == f"Bearer key-of-{prefix}"


async def test_hosted_vllm_reads_its_base_from_the_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTED_VLLM_API_BASE", f"{server.url}/v1")
    response = await litellm.acompletion(model="hosted_vllm/facebook/opt-125m", messages=HI)

    assert response.choices[0].message.content == "Hello"
    assert server.requests[0].json()["model"] == "facebook/opt-125m"


async def test_model_names_with_slashes_after_the_prefix_stay_whole(
    server: ScriptedServer,
) -> None:
    await litellm.acompletion(
        model="openai/meta-llama/Llama-3.1-8B", messages=HI, base_url=f"{server.url}/v1"
    )

    assert server.requests[0].json()["model"] == "meta-llama/Llama-3.1-8B"


@pytest.mark.parametrize(
    ("arguments", "error", "says"),
    [
        ({"model": "bedrock/anthropic.claude-v2"}, ValueError, "'bedrock' is not a provider"),
        ({"model": "my-local-model"}, ValueError, "pass model='provider/model'"),
        ({"model": "hosted_vllm/opt"}, ValueError, "HOSTED_VLLM_API_BASE"),
        ({"model": "gpt-4o", "custom_llm_provider": "openai"}, TypeError, "prefix"),
        ({"model": "gpt-4o", "drop_params": True}, TypeError, "drop_params"),
        ({"model": "gpt-4o", "num_retries": -1}, ValueError, "num_retries"),
        ({"model": "gpt-4o", "timeout": "soon"}, TypeError, "timeout"),
        ({"model": "gpt-4o", "frobnicate": 1}, TypeError, "frobnicate"),
    ],
)
async def test_bad_input_is_one_clear_error_before_any_io(
    server: ScriptedServer, arguments: dict[str, Any], error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        await litellm.acompletion(messages=HI, **arguments)
    assert server.requests == []


async def test_a_too_long_prompt_is_a_context_window_error(server: ScriptedServer) -> None:
    body = b'{"error":{"message":"maximum context length is 128000 tokens","type":'
    body += b'"invalid_request_error","code":"context_length_exceeded"}}'
    server.reply(Reply(status=400, headers=(("content-type", "application/json"),), body=[body]))

    with pytest.raises(litellm.ContextWindowExceededError) as caught:
        await litellm.acompletion(model="openai/gpt-4o", messages=HI, base_url=f"{server.url}/v1")

    assert caught.value.status_code == 400
    assert isinstance(caught.value.__cause__, eventide.BadRequestError)


async def test_a_refused_stream_raises_at_the_call_as_litellm_does(
    server: ScriptedServer,
) -> None:
    """litellm's ``completion(stream=True)`` raises the refusal itself, not its iteration."""
    body = b'{"error":{"message":"maximum context length is 128000 tokens","type":'
    body += b'"invalid_request_error","code":"context_length_exceeded"}}'
    refusal = Reply(status=400, headers=(("content-type", "application/json"),), body=[body])
    server.reply(refusal)
    with pytest.raises(litellm.ContextWindowExceededError):
        await litellm.acompletion(
            model="openai/gpt-4o", messages=HI, base_url=f"{server.url}/v1", stream=True
        )
    with serve_in_thread(refusal) as sync_server:
        with pytest.raises(litellm.ContextWindowExceededError):
            litellm.completion(
                model="openai/gpt-4o", messages=HI, base_url=f"{sync_server.url}/v1", stream=True
            )
        assert len(sync_server.requests) == 1


def test_litellm_exception_names_are_eventide_classes() -> None:
    assert litellm.RateLimitError is eventide.RateLimitError
    assert litellm.AuthenticationError is eventide.AuthenticationError
    assert litellm.APIConnectionError is eventide.TransportError
    assert litellm.Timeout is eventide.StreamTimeout
    assert litellm.ServiceUnavailableError is eventide.OverloadedError
    assert litellm.InternalServerError is eventide.ServerError
    assert issubclass(litellm.ContextWindowExceededError, eventide.BadRequestError)


async def test_timeout_is_the_budget_of_the_whole_response(server: ScriptedServer) -> None:
    server.reply(Reply(body=slow(openai_chunks(["a"] * 50), pause=0.05)))

    with pytest.raises(litellm.Timeout):
        await litellm.acompletion(
            model="openai/gpt-4o", messages=HI, base_url=f"{server.url}/v1", timeout=0.2
        )


async def test_leaving_a_stream_early_closes_the_connection(server: ScriptedServer) -> None:
    server.reply(Reply(body=slow(openai_chunks([f"w{i} " for i in range(100)]))))

    async with await litellm.acompletion(
        model="openai/gpt-4o", messages=HI, base_url=f"{server.url}/v1", stream=True
    ) as response:
        async for chunk in response:
            assert chunk.provider == "openai"
            break

    await server.wait_disconnect(timeout=2)
    assert server.completed == 0


def test_stream_chunk_builder_of_no_chunks_is_none() -> None:
    assert litellm.stream_chunk_builder([]) is None


def test_stream_chunk_builder_keeps_what_completion_keeps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The built response has the stream's system_fingerprint, service_tier and request id,
    as the whole response of the same body has them (litellm keeps the fingerprint too)."""
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    headers = (("content-type", "text/event-stream"), ("x-request-id", "req_7"))
    with serve_in_thread(Reply(headers=headers, body=openai_chunks(["Hi"]))) as server:
        options: dict[str, Any] = {"model": "openai/gpt-4o", "messages": HI}
        options["base_url"] = f"{server.url}/v1"
        whole = litellm.completion(**options)
        built = litellm.stream_chunk_builder(list(litellm.completion(**options, stream=True)))

    assert built is not None
    kept = (whole.system_fingerprint, whole.service_tier, whole._request_id)
    assert kept == ("fp_34a54ae93c", "default", "req_7")
    assert (built.system_fingerprint, built.service_tier, built._request_id) == kept


def test_closing_a_sync_stream_early_closes_the_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    body = slow(openai_chunks([f"w{i} " for i in range(100)]))
    with serve_in_thread(Reply(body=body)) as server:
        with litellm.completion(
            model="openai/gpt-4o", messages=HI, base_url=f"{server.url}/v1", stream=True
        ) as response:
            for chunk in response:
                assert chunk.provider == "openai"
                break

        server.wait_disconnect_sync(timeout=2)
        assert server.completed == 0
