"""`Gemini`'s own cases over a real HTTP/1.1 server on 127.0.0.1 (what every provider does is
in test_http.py): the generateContent body, quota errors with their retry delay, a rejected key,
its two key variables and the model's resource name."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

import eventide
from eventide import AuthenticationError, Message, RateLimitError, Request, ToolCall, ToolSpec
from eventide.providers._gemini import Gemini
from tests.http_server import Reply
from tests.kits import GEMINI, kit_fixture

if TYPE_CHECKING:
    from eventide.providers import Provider
    from tests.http_server import ScriptedServer

KEY = GEMINI.key


kit = kit_fixture(GEMINI)


def json_reply(status: int, payload: Any, *headers: tuple[str, str]) -> Reply:
    return Reply(
        status=status,
        headers=(("content-type", "application/json; charset=UTF-8"), *headers),
        body=[json.dumps(payload, indent=2).encode()],
    )


async def test_gemini_provider_sends_path_headers_and_body(
    server: ScriptedServer, provider: Provider
) -> None:
    request = Request(
        messages=[
            Message.system("Be brief."),
            Message.user("Weather in Paris?"),
            Message.assistant(
                tool_calls=[ToolCall(0, "call_0", "get_weather", '{"city":"Paris"}')]
            ),
            Message.tool("call_0", '{"temp_c": 18}'),
        ],
        tools=(
            ToolSpec("get_weather", "Weather.", {"type": "object", "properties": {"city": {}}}),
        ),
        max_tokens=64,
    )
    await eventide.collect(provider.stream(request, model="gemini-2.5-pro"))
    (received,) = server.requests
    assert received.path == "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    assert received.json() == {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
            {
                "role": "model",
                "parts": [
                    {
                        "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                        "thoughtSignature": "skip_thought_signature_validator",
                    }
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"temp_c": 18}}}
                ],
            },
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "tools": [
            {
                "functionDeclarations": [
                    {
                        "name": "get_weather",
                        "description": "Weather.",
                        "parameters": {"type": "object", "properties": {"city": {}}},
                    }
                ]
            }
        ],
        "generationConfig": {"maxOutputTokens": 64},
    }


QUOTA = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/"
                        "generate_content_free_tier_requests",
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
        ],
    }
}


async def test_gemini_provider_http_429_takes_retry_after_from_retry_info(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply(json_reply(429, QUOTA))
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "gemini"
    assert info.value.status_code == 429
    assert info.value.retry_after == 37.0
    assert info.value.code == "RESOURCE_EXHAUSTED"
    assert info.value.retryable
    assert not info.value.content_emitted
    assert "You exceeded your current quota" in info.value.message


async def test_gemini_provider_http_429_prefers_the_retry_after_header(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply(json_reply(429, QUOTA, ("retry-after", "5")))
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.retry_after == 5.0


async def test_gemini_provider_rejected_key_is_an_authentication_error_without_the_key(
    server: ScriptedServer, provider: Provider
) -> None:
    """Gemini answers a wrong key with 400 INVALID_ARGUMENT and an API_KEY_INVALID reason; a
    body that echoes the key never shows it."""
    payload = {
        "error": {
            "code": 400,
            "message": f"API key not valid. Please pass a valid API key. ({KEY})",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ],
        }
    }
    server.reply(json_reply(400, payload))
    with pytest.raises(AuthenticationError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.status_code == 400
    assert not info.value.retryable
    assert KEY not in str(info.value)
    assert KEY not in info.value.body
    assert "[redacted]" in info.value.message


# -- configuration ---------------------------------------------------------------------------


def test_gemini_provider_takes_its_key_from_either_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "x-goog-api-key" not in Gemini()._headers
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-env-key")
    monkeypatch.setenv("GOOGLE_API_KEY", "google-env-key")
    provider = Gemini()
    assert provider._headers["x-goog-api-key"] == "gemini-env-key"
    assert "env-key" not in repr(provider)
    monkeypatch.delenv("GEMINI_API_KEY")
    assert Gemini()._headers["x-goog-api-key"] == "google-env-key"
    assert Gemini(base_url="http://x/v1beta", api_key="k")._headers["x-goog-api-key"] == "k"


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("gemini-2.5-flash", "models/gemini-2.5-flash"),
        ("models/gemini-2.5-flash", "models/gemini-2.5-flash"),
        ("tunedModels/my-model-7x2", "tunedModels/my-model-7x2"),
    ],
)
def test_gemini_provider_url_names_the_model_resource(model: str, path: str) -> None:
    provider = Gemini(base_url="http://x/v1beta", api_key="k")
    assert provider._url(model) == f"http://x/v1beta/{path}:streamGenerateContent?alt=sse"
