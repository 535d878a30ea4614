"""`ChatCompletion` and `ChatCompletionChunk` are faithful to openai-python's models.

The official SDK is the oracle: ``openai.AsyncOpenAI`` and eventide's `AsyncClient` read the
same bytes from one loopback server (a JSON body when the request says ``"stream": false``,
the same answer as a chunk stream otherwise), and every dump of the completion and of each
chunk must be the SDK's, plus ``provider`` (last, in every dump). The bytes have the form of
the OpenAI API reference ("The chat completion object", "The chat completion chunk object"),
without what eventide does not carry (``obfuscation``, ``annotations``, the audio and
prediction token counts; see client/_shapes.py).

eventide's ``reasoning`` is a field of its own: a server that sends it under that name
(OpenRouter, newer vLLM) dumps exactly as the SDK dumps it (an extra field, last); DeepSeek's
``reasoning_content`` is dumped as ``reasoning`` too (read back as ``.reasoning_content``),
where the SDK keeps DeepSeek's name.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import openai
import pytest

import eventide
from eventide import (
    AsyncClient,
    ChatCompletion,
    ChatCompletionChunk,
    Event,
    Finish,
    TextDelta,
    Usage,
)
from eventide.client import ChunkStream
from eventide.client._chat import CallOptions
from eventide.client._params import request_from_openai
from eventide.client._shapes import Chunker
from tests.http_server import Received, Reply, serve, sse
from tests.kits import ANTHROPIC, ANTHROPIC_MODEL, OPENAI, kit_fixture

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from eventide.providers import Provider
    from tests.http_server import ScriptedServer

# The SDK stops reading at [DONE] and leaves its SSE generators (and those of the httpx2 it
# vendors) to the finaliser, which warns under trio, as httpx's do (see pyproject.toml).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Async generator '(openai|httpx2|httpcore2)\\.:ResourceWarning"
)

MODEL = "gpt-4o-2024-08-06"
ID = "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"
CREATED = 1741570283
REQUEST_ID = "req_2b8e4c1f9a7d3e6b5c0a"
HEADERS = (("content-type", "text/event-stream"), ("x-request-id", REQUEST_ID))
HEAD = {"id": ID, "created": CREATED, "model": MODEL}
TIER = {"service_tier": "default", "system_fingerprint": "fp_fc9f1d7035"}


@attrs.frozen
class Answer:
    """One answer, as a chunk stream and as a whole completion.

    Attributes:
        deltas: The delta of each chunk after the role chunk, before the finish chunk.
        message: The completion's message.
        finish: The finish reason.
        usage: The usage object, or None.
        head: The top-level fields beside id, created and model (service_tier, ...).
    """

    name: str
    deltas: Sequence[dict[str, Any]]
    message: dict[str, Any]
    finish: str = "stop"
    usage: dict[str, Any] | None = None
    head: dict[str, Any] = attrs.field(factory=lambda: dict(TIER))

    def chunks(self, *, include_usage: bool) -> list[dict[str, Any]]:
        """The chunks, as OpenAI streams them (``"usage": null`` on each and a last usage
        chunk with ``include_usage``)."""

        def chunk(choices: list[dict[str, Any]]) -> dict[str, Any]:
            made = {**HEAD, "object": "chat.completion.chunk", **self.head, "choices": choices}
            return made | ({"usage": None} if include_usage else {})

        def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

        out = [chunk([choice({"role": "assistant", "content": ""})])]
        out.extend(chunk([choice(delta)]) for delta in self.deltas)
        out.append(chunk([choice({}, self.finish)]))
        if include_usage and self.usage is not None:
            out.append(chunk([]) | {"usage": self.usage})
        return out

    def stream(self, *, include_usage: bool) -> bytes:
        events: list[str | dict[str, Any]] = [*self.chunks(include_usage=include_usage)]
        return b"".join(sse(event) for event in [*events, "[DONE]"])

    def completion(self) -> dict[str, Any]:
        choice = {"index": 0, "message": self.message, "logprobs": None}
        choice["finish_reason"] = self.finish
        made: dict[str, Any] = {**HEAD, "object": "chat.completion", "choices": [choice]}
        return made | ({"usage": self.usage} if self.usage is not None else {}) | self.head


USAGE = {
    "prompt_tokens": 19,
    "completion_tokens": 10,
    "total_tokens": 29,
    "prompt_tokens_details": {"cached_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0},
}
CALL = "call_wX1pQ7sRb2cK9mT4vL0aE3nY"
ANSWERS = [
    Answer(
        "text",
        [{"content": "Hello"}, {"content": "! How can I"}, {"content": " help? \u00e9\u2028"}],
        {"role": "assistant", "content": "Hello! How can I help? \u00e9\u2028", "refusal": None},
        usage=USAGE,
    ),
    Answer(
        "tool_calls",
        [
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": CALL,
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            },
            {"tool_calls": [{"index": 0, "function": {"arguments": '{"location":'}}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": ' "Paris"}'}}]},
        ],
        {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [
                {
                    "id": CALL,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
                }
            ],
        },
        finish="tool_calls",
        usage=USAGE,
    ),
    Answer(
        "refusal",
        [{"refusal": "I'm sorry,"}, {"refusal": " I can't help with that."}],
        {"role": "assistant", "content": None, "refusal": "I'm sorry, I can't help with that."},
        usage=USAGE,
    ),
    Answer(
        # OpenRouter's field name, which is eventide's: the SDK keeps it as an extra field
        "reasoning",
        [{"reasoning": "The user"}, {"reasoning": " greets."}, {"content": "Hi!"}],
        {"role": "assistant", "content": "Hi!", "refusal": None, "reasoning": "The user greets."},
        usage=USAGE | {"completion_tokens_details": {"reasoning_tokens": 6}},
        head={},  # no service_tier nor system_fingerprint: not in any dump
    ),
    *(
        Answer(
            reason,
            [{"content": "Once upon"}],
            {"role": "assistant", "content": "Once upon", "refusal": None},
            finish=reason,
            usage=USAGE,
        )
        for reason in ("length", "content_filter")
    ),
]


def reply_with(answer: Answer, *, include_usage: bool) -> Callable[[Received], Reply]:
    """The server's script: the stream, or the whole completion, as the request asks."""

    def reply(request: Received) -> Reply:
        if request.json().get("stream"):
            return Reply(headers=HEADERS, body=[answer.stream(include_usage=include_usage)])
        body = json.dumps(answer.completion()).encode()
        return Reply(headers=(("content-type", "application/json"), HEADERS[1]), body=[body])

    return reply


kit = kit_fixture(OPENAI)  # the `server` and `provider` fixtures: tests/conftest.py


@pytest.fixture
async def client(provider: Provider) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(provider) as made:
        yield made


@pytest.fixture
async def sdk(server: ScriptedServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=f"{server.url}/v1", api_key="sk-test", max_retries=0
    ) as made:
        yield made


MESSAGES: list[Any] = [{"role": "user", "content": "Hi"}]


def without_provider(dumped: dict[str, Any]) -> dict[str, Any]:
    """`dumped` without ``provider``, which must be its last key, "openai"."""
    assert list(dumped)[-1] == "provider"
    assert dumped["provider"] == "openai"
    return {key: value for key, value in dumped.items() if key != "provider"}


def assert_dumps_alike(ours: ChatCompletion | ChatCompletionChunk, theirs: Any) -> None:
    """Every dump of `ours` is the SDK's dump of `theirs`, plus ``provider``."""
    options: dict[str, Any]
    for options in (
        {},
        {"exclude_none": True},
        {"exclude_unset": True},
        {"exclude_defaults": True},
        {"mode": "json"},
        {"include": {"id", "choices"}},
        {"exclude": {"choices": {"__all__": {"index"}}, "created": True}},
    ):
        dumped = ours.model_dump(**options)
        wanted = theirs.model_dump(**options)
        if "include" in options:
            assert dumped == wanted, options
        else:
            assert without_provider(dumped) == wanted, options
    assert without_provider(ours.to_dict()) == theirs.to_dict()
    assert without_provider(ours.to_dict(exclude_none=True)) == theirs.to_dict(exclude_none=True)
    # the JSON text itself: the same keys in the same order, the same spacing
    assert ours.to_json().replace(',\n  "provider": "openai"', "") == theirs.to_json()
    assert ours.to_json(indent=None) == theirs.to_json(indent=None)[:-1] + ',"provider":"openai"}'
    compact = ours.model_dump_json().replace(',"provider":"openai"', "")
    assert compact == theirs.model_dump_json()


async def our_chunks(client: AsyncClient, *, include_usage: bool) -> list[ChatCompletionChunk]:
    """The chunks of ``create(stream=True)`` (with ``stream_options={"include_usage":
    True}``: the `ChunkStream` that such a call makes)."""
    if not include_usage:
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
    else:
        options = CallOptions(include_usage=True)
        request = request_from_openai(messages=MESSAGES, model=None)
        stream = ChunkStream(client._chat_events(request, options), options)
    async with stream:
        return [chunk async for chunk in stream]


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: a.name)
async def test_completion_dumps_as_the_sdks(
    answer: Answer, server: ScriptedServer, client: AsyncClient, sdk: openai.AsyncOpenAI
) -> None:
    server.reply(reply_with(answer, include_usage=True))
    theirs = await sdk.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    ours = await client.chat.completions.create(messages=MESSAGES)
    assert [r.json().get("stream") for r in server.requests] == [None, True]
    assert_dumps_alike(ours, theirs)
    assert (ours.id, ours.created, ours.model) == (ID, CREATED, MODEL)
    assert ours._request_id == theirs._request_id == REQUEST_ID
    assert ours.system_fingerprint == theirs.system_fingerprint
    assert ours.service_tier == theirs.service_tier
    assert ours.choices[0].message.refusal == theirs.choices[0].message.refusal


@pytest.mark.parametrize("include_usage", [False, True], ids=["plain", "include_usage"])
@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: a.name)
async def test_chunks_dump_as_the_sdks(
    answer: Answer,
    include_usage: bool,
    server: ScriptedServer,
    client: AsyncClient,
    sdk: openai.AsyncOpenAI,
) -> None:
    server.reply(reply_with(answer, include_usage=include_usage))
    options: dict[str, Any] = {"stream_options": {"include_usage": True}} if include_usage else {}
    stream = await sdk.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, **options
    )
    async with stream:
        theirs = [chunk async for chunk in stream]
    ours = await our_chunks(client, include_usage=include_usage)
    assert len(ours) == len(theirs) == len(answer.deltas) + 2 + include_usage
    for mine, sdk_chunk in zip(ours, theirs, strict=True):
        assert_dumps_alike(mine, sdk_chunk)
        assert mine._request_id == REQUEST_ID  # the SDK's chunks have none
    assert ours[0].to_dict()["choices"][0]["delta"] == {"role": "assistant", "content": ""}


async def test_the_canonical_loop_never_meets_an_empty_choices(
    server: ScriptedServer, client: AsyncClient
) -> None:
    """``chunk.choices[0].delta.content`` on every chunk, as OpenAI's streaming guide reads
    them: without include_usage there is no usage chunk (though the server sent usage);
    with it, the usage chunk is the only one with empty ``choices``, last, after the finish
    chunk."""
    server.reply(reply_with(ANSWERS[0], include_usage=True))
    stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
    text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream])
    assert text == ANSWERS[0].message["content"]
    chunks = await our_chunks(client, include_usage=True)
    assert [bool(c.choices) for c in chunks] == [True] * (len(chunks) - 1) + [False]
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert [c.usage is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 29


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {"location": {"type": "string"}},
                "required": ["location"],
            },
        },
    }
]


def get_weather(location: str) -> str:
    return f"18°C and sunny in {location}"


async def function_calling_loop(client: Any) -> str | None:
    """The function-calling loop of OpenAI's guide, verbatim but for the client."""
    messages: list[Any] = [{"role": "user", "content": "What's the weather like in Paris?"}]
    completion = await client.chat.completions.create(
        model="gpt-4o", messages=messages, tools=TOOLS
    )
    message = completion.choices[0].message
    messages.append(message)
    for tool_call in message.tool_calls:
        args = json.loads(tool_call.function.arguments)
        result = get_weather(args["location"])
        messages.append({"role": "tool", "tool_call_id": tool_call.id, "content": result})
    completion = await client.chat.completions.create(
        model="gpt-4o", messages=messages, tools=TOOLS
    )
    content: str | None = completion.choices[0].message.content
    return content


async def test_a_result_message_appended_as_is_continues_the_conversation(
    server: ScriptedServer, client: AsyncClient, sdk: openai.AsyncOpenAI
) -> None:
    """``messages.append(completion.choices[0].message)``, then the tool's answer, then
    create() again: the second request carries the assistant turn with its tool call, in
    OpenAI's form, as the SDK's own loop sends it."""
    tool_turn, answer = ANSWERS[1], ANSWERS[0]
    for loop_client in (sdk, client):
        server.queue(
            reply_with(tool_turn, include_usage=True), reply_with(answer, include_usage=True)
        )
        assert await function_calling_loop(loop_client) == answer.message["content"]
    theirs, ours = (server.requests[i].json()["messages"] for i in (1, 3))
    assistant = {
        "role": "assistant",
        "tool_calls": [
            {
                "id": CALL,
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
            }
        ],
    }
    tool = {"role": "tool", "tool_call_id": CALL, "content": "18°C and sunny in Paris"}
    assert ours[1:] == [assistant | {"content": None}, tool]
    # the SDK sends the message as the server sent it, nulls and all
    assert theirs[1:] == [assistant | {"content": None, "refusal": None}, tool]


async def test_deepseek_reasoning_content_is_eventides_reasoning(
    server: ScriptedServer, client: AsyncClient, sdk: openai.AsyncOpenAI
) -> None:
    """DeepSeek's ``reasoning_content``: the SDK keeps it under that name, an extra field;
    eventide dumps it as ``reasoning`` (its one name for every provider's) and reads it back
    as ``.reasoning_content`` too. The rest of the dump is the SDK's."""
    deepseek = attrs.evolve(
        ANSWERS[3],
        deltas=[
            {"reasoning_content": "The user"},
            {"reasoning_content": " greets."},
            {"content": "Hi!"},
        ],
        message=ANSWERS[3].message | {"reasoning_content": "The user greets."},
    )
    del deepseek.message["reasoning"]
    server.reply(reply_with(deepseek, include_usage=True))
    theirs = await sdk.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    ours = await client.chat.completions.create(messages=MESSAGES)
    their_message = theirs.choices[0].message.to_dict()
    our_message = ours.choices[0].message.to_dict()
    assert their_message.pop("reasoning_content") == our_message.pop("reasoning")
    assert our_message == their_message
    assert ours.choices[0].message.reasoning_content == "The user greets."
    chunks = await our_chunks(client, include_usage=False)
    assert [c.choices[0].delta.reasoning_content for c in chunks[1:3]] == ["The user", " greets."]
    assert chunks[1].to_dict()["choices"][0]["delta"] == {"reasoning": "The user"}
    assert "reasoning" not in chunks[3].model_dump()["choices"][0]["delta"]


async def test_what_the_server_leaves_out_is_not_invented(
    server: ScriptedServer, client: AsyncClient
) -> None:
    """A server that sends neither ``created`` nor ``service_tier`` nor
    ``system_fingerprint`` nor an ``x-request-id``: ``created`` is the time of the call,
    the others are None and absent from ``to_dict()``."""
    bare = [
        {k: v for k, v in c.items() if k != "created"}
        for c in ANSWERS[3].chunks(include_usage=False)
    ]
    server.reply(Reply(body=[*map(sse, bare), sse("[DONE]")]))
    before = int(time.time())
    chunks = await our_chunks(client, include_usage=False)
    completion = await client.chat.completions.create(messages=MESSAGES)
    after = int(time.time())
    shapes: list[ChatCompletion | ChatCompletionChunk] = [*chunks, completion]
    for shape in shapes:
        assert before <= shape.created <= after
        assert (shape.service_tier, shape.system_fingerprint, shape._request_id) == (None,) * 3
        assert list(shape.to_dict()) == ["id", "choices", "created", "model", "object", "provider"]


async def test_chunks_of_another_api_have_openais_shape(anthropic_server: ScriptedServer) -> None:
    """An Anthropic stream's chunks dump as an OpenAI stream's: the role chunk, one chunk a
    delta, the finish chunk (``stop`` for ``end_turn``), the usage chunk last; ``id`` is the
    message id, no null that OpenAI would not send."""
    provider = ANTHROPIC.provider(anthropic_server.url)
    async with provider, AsyncClient(provider) as anthropic:
        chunks = await our_chunks(anthropic, include_usage=True)
    dumps = [chunk.to_dict() for chunk in chunks]
    head = {"id": "msg_01RealSocket", "object": "chat.completion.chunk", "model": ANTHROPIC_MODEL}
    for dumped in dumps:
        assert dumped.pop("created") == chunks[0].created
        assert dumped.pop("provider") == "anthropic"
        assert dumped.pop("usage", "absent") is None or dumped["choices"] == []
        assert {k: dumped.pop(k) for k in list(head)} == head
    choice = {"index": 0, "logprobs": None, "finish_reason": None}
    assert dumps == [
        {"choices": [choice | {"delta": {"role": "assistant", "content": ""}}]},
        *({"choices": [choice | {"delta": {"content": t}}]} for t in ["Hello", ", ", "world"]),
        {"choices": [choice | {"delta": {}, "finish_reason": "stop"}]},
        {"choices": []},
    ]
    assert chunks[-1].to_dict()["usage"] == {
        "completion_tokens": 3,
        "prompt_tokens": 21,
        "total_tokens": 24,
        "prompt_tokens_details": {"cache_write_tokens": 0, "cached_tokens": 0},
    }


@pytest.fixture
async def anthropic_server() -> AsyncIterator[ScriptedServer]:
    reply = Reply(headers=ANTHROPIC.headers, body=ANTHROPIC.body(["Hello", ", ", "world"]))
    async with serve(reply) as made:
        yield made


async def test_the_sync_clients_batches_end_with_the_usage_chunk(
    server: ScriptedServer, client: AsyncClient
) -> None:
    """`ChunkStream.receive_batch` (what the sync `Client` pulls) ends as iteration does:
    the usage chunk after the finish chunk, once, then `StopAsyncIteration`."""
    server.reply(reply_with(ANSWERS[0], include_usage=True))
    options = CallOptions(include_usage=True)
    request = request_from_openai(messages=MESSAGES, model=None)
    chunks: list[ChatCompletionChunk] = []
    async with ChunkStream(client._chat_events(request, options), options) as stream:
        with pytest.raises(StopAsyncIteration):  # noqa: PT012 - until the end
            while True:
                chunks.extend(await stream.receive_batch())
    assert [c.choices[0].finish_reason for c in chunks[:-1]][-1] == "stop"
    assert (chunks[-1].choices, chunks[-1].to_dict()["usage"]) == ([], USAGE)
    assert [c.usage for c in chunks[:-1]] == [None] * (len(chunks) - 1)


async def test_chunks_one_at_a_time_and_by_read_mix_in_order_and_close_drops_the_rest(
    server: ScriptedServer, client: AsyncClient
) -> None:
    """`ChunkStream` hands out a read's chunks one by one from a list: `receive_batch`
    after `__anext__` gives the rest of that read first, and `aclose` drops what is left."""
    request = request_from_openai(messages=MESSAGES, model=None)
    options = CallOptions(include_usage=True)

    async def dumps(mixed: bool) -> list[dict[str, object]]:
        server.reply(reply_with(ANSWERS[0], include_usage=True))
        chunks: list[ChatCompletionChunk] = []
        async with ChunkStream(client._chat_events(request, options), options) as stream:
            if not mixed:
                return [c.to_dict() async for c in stream]
            with pytest.raises(StopAsyncIteration):  # noqa: PT012 - until the end
                while True:
                    chunks.append(await stream.__anext__())
                    chunks.extend(await stream.receive_batch())
        return [c.to_dict() for c in chunks]

    whole = await dumps(mixed=False)
    assert await dumps(mixed=True) == whole
    server.reply(reply_with(ANSWERS[0], include_usage=True))
    stream = ChunkStream(client._chat_events(request, options), options)
    first = await stream.__anext__()
    assert first.to_dict() == whole[0]
    await stream.aclose()
    with pytest.raises(eventide.Error, match="closed before its end"):  # as openai's
        await stream.__anext__()


def test_dump_options_are_checked() -> None:
    chunk = Chunker()(TextDelta("x"))
    assert chunk is not None
    with pytest.raises(ValueError, match="mode must be 'python' or 'json'"):
        chunk.model_dump(mode="yaml")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="include must be a set or a dict, not list"):
        chunk.model_dump(include=["id"])  # type: ignore[arg-type]
    assert chunk.model_dump(include={"choices": {0: {"delta": {"content"}}}}) == {
        "choices": [{"delta": {"content": "x"}}]
    }
    assert repr(chunk).startswith("ChatCompletionChunk(id='chatcmpl-eventide', choices=[")


def test_usage_makes_a_chunk_only_with_include_usage_and_only_at_the_end() -> None:
    events: list[Event] = [Usage(3, 2), Finish("stop", "stop")]
    plain, counted = Chunker(), Chunker(include_usage=True)
    assert [plain(e) is None for e in events] == [True, False]
    assert plain.end() is None
    assert [counted(e) is None for e in events] == [True, False]
    tail = counted.end()
    assert tail is not None
    assert tail.usage is not None
    assert (tail.choices, tail.usage.total_tokens) == ([], 5)
    assert counted.end() is None
