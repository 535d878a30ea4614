"""``eventide models`` and `HTTPProvider.list_models`, against loopback servers that speak each
API's model list."""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING, Any

import pytest
import trio

from eventide import AuthenticationError, ProtocolError, StreamTimeout
from eventide.providers import Anthropic, Gemini, Ollama, OpenAIChat, OpenAIResponses
from tests.cli.script import run
from tests.http_server import Reply, serve, serve_in_thread

if TYPE_CHECKING:
    from pathlib import Path

    from eventide.providers._http import HTTPProvider
    from tests.http_server import Received

KEY = "sk-models-test-0123456789abcdefghijklmnop"
JSON = (("content-type", "application/json"),)

# Each API's answer, as its docs show it (trimmed): OpenAI GET /v1/models, Anthropic
# GET /v1/models, Gemini GET /v1beta/models, Ollama GET /api/tags.
OPENAI_LIST = {
    "object": "list",
    "data": [
        {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
        {"id": "gpt-4.1", "object": "model", "created": 1744316542, "owned_by": "system"},
    ],
}
ANTHROPIC_LIST = {
    "data": [
        {
            "type": "model",
            "id": "claude-sonnet-4-5-20250929",
            "display_name": "Claude Sonnet 4.5",
            "created_at": "2025-09-29T00:00:00Z",
        },
        {
            "type": "model",
            "id": "claude-haiku-4-5",
            "display_name": "Claude Haiku 4.5",
            "created_at": "2025-10-15T00:00:00Z",
        },
    ],
    "has_more": False,
    "first_id": "claude-sonnet-4-5-20250929",
    "last_id": "claude-haiku-4-5",
}
GEMINI_LIST = {
    "models": [
        {"name": "models/gemini-2.5-flash", "version": "001", "displayName": "Gemini 2.5 Flash"},
        {"name": "models/gemini-2.5-pro", "version": "2.5", "displayName": "Gemini 2.5 Pro"},
    ]
}
OLLAMA_TAGS = {
    "models": [
        {"name": "llama3.2:latest", "model": "llama3.2:latest", "size": 2019393189},
        {"name": "qwen3:8b", "model": "qwen3:8b", "size": 5225388164},
    ]
}

APIS: list[tuple[type[HTTPProvider], str, str, dict[str, Any], list[str], tuple[str, str]]] = [
    (
        OpenAIChat,
        "/v1",
        "/v1/models",
        OPENAI_LIST,
        ["gpt-4o-mini", "gpt-4.1"],
        ("authorization", f"Bearer {KEY}"),
    ),
    (
        OpenAIResponses,
        "/v1",
        "/v1/models",
        OPENAI_LIST,
        ["gpt-4o-mini", "gpt-4.1"],
        ("authorization", f"Bearer {KEY}"),
    ),
    (
        Anthropic,
        "",
        "/v1/models?limit=1000",
        ANTHROPIC_LIST,
        ["claude-sonnet-4-5-20250929", "claude-haiku-4-5"],
        ("x-api-key", KEY),
    ),
    (
        Gemini,
        "/v1beta",
        "/v1beta/models?pageSize=1000",
        GEMINI_LIST,
        ["gemini-2.5-flash", "gemini-2.5-pro"],
        ("x-goog-api-key", KEY),
    ),
    (
        Ollama,
        "",
        "/api/tags",
        OLLAMA_TAGS,
        ["llama3.2:latest", "qwen3:8b"],
        ("authorization", f"Bearer {KEY}"),
    ),
]


def _json(data: Any, status: int = 200) -> Reply:
    return Reply(status, headers=JSON, body=[json.dumps(data).encode()], content_length=True)


@pytest.mark.parametrize(
    ("cls", "prefix", "path", "answer", "names", "auth"),
    APIS,
    ids=[api[0].__name__ for api in APIS],
)
async def test_list_models_reads_each_apis_model_list(
    cls: type[HTTPProvider],
    prefix: str,
    path: str,
    answer: dict[str, Any],
    names: list[str],
    auth: tuple[str, str],
) -> None:
    async with (
        serve(_json(answer)) as server,
        cls(base_url=server.url + prefix, api_key=KEY) as provider,
    ):
        assert await provider.list_models() == names
    (received,) = server.requests
    assert (received.method, received.path) == ("GET", path)
    assert received.headers[auth[0]] == auth[1]
    assert received.body == b""


async def test_list_models_error_status_is_the_providers_typed_error_without_the_key() -> None:
    body = {
        "error": {
            "type": "invalid_request_error",
            "code": "invalid_api_key",
            "message": f"Incorrect API key provided: {KEY}.",
        }
    }
    async with (
        serve(_json(body, 401)) as server,
        OpenAIChat(base_url=server.url, api_key=KEY) as provider,
    ):
        with pytest.raises(AuthenticationError) as caught:
            await provider.list_models()
    error = caught.value
    assert error.provider == "openai"
    assert error.status_code == 401
    assert KEY not in str(error)
    assert KEY not in repr(vars(error))
    # the exchange is kept, as a stream's refusal keeps it (openai's ``e.request`` / ``e.response``)
    assert error.request is not None
    assert error.response is not None
    assert (error.request.method, error.request.url) == ("GET", f"{server.url}/models")
    assert error.response.status_code == 401
    assert error.response.json()["error"]["code"] == "invalid_api_key"
    assert KEY not in repr(error.request.headers) + repr(error.response.headers)
    assert KEY not in error.response.text


async def test_list_models_times_out_on_a_silent_server() -> None:
    async with (
        serve(Reply(stall_before_headers=True)) as server,
        Ollama(base_url=server.url) as provider,
    ):
        started = trio.current_time()
        with pytest.raises(StreamTimeout) as caught:
            await provider.list_models(timeout=0.3)
        assert trio.current_time() - started < 2
    assert caught.value.provider == "ollama"


async def test_list_models_refuses_an_answer_that_is_not_a_model_list() -> None:
    async with (
        serve(_json({"object": "list"})) as server,
        OpenAIChat(base_url=server.url) as provider,
    ):
        with pytest.raises(ProtocolError, match="not a model list"):
            await provider.list_models()


async def test_list_models_without_a_key_for_the_official_api_sends_nothing() -> None:
    async with Anthropic(base_url="https://api.anthropic.com", api_key="") as provider:
        with pytest.raises(AuthenticationError, match="no API key"):
            await provider.list_models()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _by_path(request: Received) -> Reply:
    if request.path.startswith("/openai/v1/models"):
        return _json(OPENAI_LIST)
    if request.path.startswith("/v1/models"):
        return _json(ANTHROPIC_LIST)
    return _json({"error": {"message": "no such page"}}, 404)


def test_cli_models_lists_every_provider_as_json_and_never_the_key(tmp_path: Path) -> None:
    config = tmp_path / "eventide.toml"
    config.write_text(
        'default = "fast"\n[providers.local]\nkind = "openai"\nbase_url = "BASE/openai/v1"\n'
        '[aliases]\nfast = ["local:gpt-4o-mini", "anthropic:claude-haiku-4-5"]\n'
    )
    with serve_in_thread(_by_path) as server:
        config.write_text(config.read_text().replace("BASE", server.url))
        result = run(
            "models",
            "--json",
            "--config",
            str(config),
            OPENAI_API_KEY=KEY,
            OPENAI_BASE_URL=f"{server.url}/openai/v1",
            ANTHROPIC_BASE_URL=server.url,
            OLLAMA_HOST=f"127.0.0.1:{_closed_port()}",
        )
    assert result.returncode == 0, result.stderr
    assert KEY not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    listing = json.loads(result.stdout)
    providers = {entry["name"]: entry for entry in listing["providers"]}
    assert list(providers) == [
        "openai",
        "openai-responses",
        "anthropic",
        "gemini",
        "ollama",
        "local",
        "demo",
    ]
    assert providers["openai"]["key"] is True
    assert providers["openai"]["models"] == ["gpt-4o-mini", "gpt-4.1"]
    assert providers["openai"]["error"] is None
    assert providers["anthropic"]["key"] is False  # a local gateway: asked without a key
    assert providers["anthropic"]["models"] == ["claude-sonnet-4-5-20250929", "claude-haiku-4-5"]
    assert providers["gemini"]["error"]["kind"] == "authentication"  # official API, no key
    assert providers["ollama"]["error"]["kind"] == "transport"
    assert providers["ollama"]["models"] == []
    assert providers["local"]["models"] == ["gpt-4o-mini", "gpt-4.1"]
    assert providers["demo"] == {
        "name": "demo",
        "kind": "demo",
        "base_url": "(in process)",
        "key": False,
        "default_model": "eventide-demo-1",
        "source": "static",
        "models": ["eventide-demo-1"],
        "error": None,
    }
    assert listing["aliases"] == {"fast": ["local:gpt-4o-mini", "anthropic:claude-haiku-4-5"]}
    assert listing["default"] == "fast"
    assert {r.path for r in server.requests} == {"/openai/v1/models", "/v1/models?limit=1000"}


def test_cli_models_text_marks_the_default_and_an_unreachable_provider() -> None:
    result = run("models", "--timeout", "2", OLLAMA_HOST=f"127.0.0.1:{_closed_port()}")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "ollama (ollama, no key) http://127.0.0.1:" in "\n".join(lines)
    ollama = lines.index(next(line for line in lines if line.startswith("ollama ")))
    assert lines[ollama + 1].startswith("  unavailable: ollama: cannot connect to 127.0.0.1:")
    assert lines[-1] == "  eventide-demo-1 (default)"


def test_cli_models_bad_config_file_is_one_line() -> None:
    result = run("models", "--config", "/nonexistent/eventide.toml")
    assert result.returncode == 3  # a configuration error
    assert result.stderr.startswith("eventide: error: cannot read the config file ")
    assert "Traceback" not in result.stderr
