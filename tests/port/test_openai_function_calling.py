"""OpenAI's function-calling guide (Chat Completions), with only the import changed: the
model's tool-call message is appended to ``messages`` as it is, then the tool's result, then
``create`` again; and the guide's streaming variant, which gathers the tool-call deltas.

The guide's ``get_weather`` asks a weather API over the network; here it is a local function
that answers what the guide's example output shows (14 °C in Paris).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.http_server import Reply, openai_chunks, sse

if TYPE_CHECKING:
    import pytest

    from tests.http_server import ScriptedServer

CALL_ID = "call_12345xyz"
ARGUMENTS = ['{"latitude":', "48.8566", ',"longitude":', "2.3522}"]
ANSWER = "The current temperature in Paris is 14°C (57.2°F)."


def tool_call_chunks(name: str, fragments: list[str]) -> list[bytes]:
    """A streamed assistant turn that calls `name`, its arguments in `fragments`, as OpenAI
    sends it: the call's id, type and name with empty arguments first, then the fragments,
    then ``finish_reason: "tool_calls"``."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse(
            {
                "id": "chatcmpl-tool",
                "object": "chat.completion.chunk",
                "created": 1750000000,
                "model": "gpt-4.1-2025-04-14",
                "system_fingerprint": "fp_tool",
                "choices": [choice],
            }
        )

    opening = {"index": 0, "id": CALL_ID, "type": "function"}
    opening["function"] = {"name": name, "arguments": ""}
    return [
        chunk({"role": "assistant", "content": None, "tool_calls": [opening], "refusal": None}),
        *(chunk({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}) for f in fragments),
        chunk({}, "tool_calls"),
        sse("[DONE]"),
    ]


def get_weather(latitude: float, longitude: float) -> float:
    """The guide's function, answering as its example output does."""
    assert (latitude, longitude) == (48.8566, 2.3522)
    return 14


def test_openai_function_calling_guide_loop(
    openai_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.queue(
        Reply(body=tool_call_chunks("get_weather", ARGUMENTS)),
        Reply(body=openai_chunks([ANSWER], usage=False)),
    )

    # -- the function-calling guide, "Function calling steps" ---------------------------------
    import json

    from eventide.compat.openai import OpenAI

    client = OpenAI()

    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get current temperature for provided coordinates in celsius.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "latitude": {"type": "number"},
                        "longitude": {"type": "number"},
                    },
                    "required": ["latitude", "longitude"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        }
    ]

    messages: list[Any] = [{"role": "user", "content": "What's the weather like in Paris today?"}]

    completion = client.chat.completions.create(
        model="gpt-4.1",
        messages=messages,
        tools=tools,
    )

    tool_call = completion.choices[0].message.tool_calls[0]  # type: ignore[index]  # Optional, as the SDK's
    args = json.loads(tool_call.function.arguments)

    result = get_weather(args["latitude"], args["longitude"])

    messages.append(completion.choices[0].message)  # append model's function call message
    messages.append(
        {  # append result message
            "role": "tool",
            "tool_call_id": tool_call.id,
            "content": str(result),
        }
    )

    completion_2 = client.chat.completions.create(
        model="gpt-4.1",
        messages=messages,
        tools=tools,
    )
    print(completion_2.choices[0].message.content)
    # ----------------------------------------------------------------------------------------

    assert capsys.readouterr().out == ANSWER + "\n"
    first, second = (request.json() for request in openai_server.requests)
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert first["tools"][0]["function"]["strict"] is True
    assert second["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": CALL_ID,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "".join(ARGUMENTS)},
                }
            ],
        },
        {"role": "tool", "tool_call_id": CALL_ID, "content": "14"},
    ]


def test_openai_function_calling_guide_streaming(openai_server: ScriptedServer) -> None:
    fragments = ['{"location":', '"Paris, France"}']
    openai_server.reply(Reply(body=tool_call_chunks("get_weather", fragments)))

    # -- the function-calling guide, "Streaming" ----------------------------------------------
    from eventide.compat.openai import OpenAI

    client = OpenAI()

    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get current temperature for a given location.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "location": {
                            "type": "string",
                            "description": "City and country e.g. Bogotá, Colombia",
                        }
                    },
                    "required": ["location"],
                    "additionalProperties": False,
                },
            },
        }
    ]

    stream = client.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "user", "content": "What's the weather like in Paris today?"}],
        tools=tools,
        stream=True,
    )

    final_tool_calls: dict[Any, Any] = {}  # annotated for mypy --strict

    for chunk in stream:
        for tool_call in chunk.choices[0].delta.tool_calls or []:
            index = tool_call.index

            if index not in final_tool_calls:
                final_tool_calls[index] = tool_call

            final_tool_calls[index].function.arguments += tool_call.function.arguments
    # ----------------------------------------------------------------------------------------

    (call,) = final_tool_calls.values()
    assert (call.id, call.function.name) == (CALL_ID, "get_weather")
    assert json.loads(call.function.arguments) == {"location": "Paris, France"}
