"""OpenAI-style arguments become a Request, or a clear error before any I/O."""

from __future__ import annotations

from typing import Any

import pytest

from eventide import ImagePart, Message, TextPart, ToolSpec
from eventide.client._params import request_from_openai


def test_params_content_parts_and_images() -> None:
    request = request_from_openai(
        model="m",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in these?"},
                    {"type": "image_url", "image_url": {"url": "https://example.test/cat.png"}},
                    {"type": "image_url", "image_url": "data:image/png;base64,iVBORw0KGgo="},
                ],
            }
        ],
    )
    assert request.messages[0].content == (
        TextPart("What is in these?"),
        ImagePart(url="https://example.test/cat.png"),
        ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
    )


def test_params_accept_eventide_objects_and_named_tool_choice() -> None:
    tool = ToolSpec("look", "Looks.", {"type": "object"})
    request = request_from_openai(
        model=None,
        messages=[Message.system("s"), {"role": "user", "content": None}],
        tools=[tool, {"name": "flat", "parameters": {"type": "object"}}],
        tool_choice={"type": "function", "function": {"name": "look"}},
        stop="END",
    )
    assert request.messages[1] == Message.user("")
    assert [t.name for t in request.tools] == ["look", "flat"]
    assert request.tool_choice == "look"
    assert request.stop == ("END",)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"messages": [{"role": "user", "content": 5}]}, TypeError, "string or a list"),
        (
            {"messages": [{"role": "user", "content": [{"type": "audio"}]}]},
            ValueError,
            "unsupported",
        ),
        ({"messages": ["hi"]}, TypeError, "must be a dict or a Message"),
        ({"messages": "hi", "tool_choice": 3}, TypeError, "tool_choice"),
        ({"messages": "hi", "tools": ["look"]}, TypeError, "a tool is a dict"),
        ({"messages": "hi", "tools": [{"type": "function"}]}, ValueError, "function name"),
        ({"messages": "hi", "temperature": "hot"}, TypeError, "temperature must be a number"),
        ({"messages": "hi", "seed": 1.5}, TypeError, "seed must be an integer, not a number"),
        ({"messages": "hi", "max_tokens": True}, TypeError, "max_tokens must be an integer"),
        ({"messages": "hi", "top_p": None, "frequency_penalty": []}, TypeError, "an array"),
    ],
)
def test_params_reject_malformed_arguments(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        request_from_openai(model=None, **arguments)
