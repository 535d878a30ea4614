"""`Reply` and `ScriptedProvider` in detail: scripts checked against the event contract, the
forms a reply takes, failures, the request records and their redaction, the lifetime."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, get_args

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eventide
from eventide import (
    Attempt,
    AuthenticationError,
    Error,
    Event,
    Finish,
    FinishReason,
    Message,
    Metadata,
    ProtocolError,
    Reasoning,
    ReasoningDelta,
    RefusalDelta,
    Request,
    ServerError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    collect,
)
from eventide._transport import HTTPRequest, TransportClosed
from eventide.providers import Provider
from eventide.testing import (
    Cut,
    Disconnect,
    Reply,
    ScriptedProvider,
    ScriptError,
    SentRequest,
    StreamError,
)
from eventide.testing._wire import sent_request

HI = Metadata("scripted", "scripted-model", "scripted-model")


async def events_of(provider: ScriptedProvider, request: Request | str = "hi") -> list[Event]:
    async with provider.stream(request) as stream:
        return [event async for event in stream]


# -- event scripts -------------------------------------------------------------------------------


async def test_script_events_come_out_as_scripted() -> None:
    metadata = Metadata(
        "scripted", "gpt-x", "ignored", response_id="r-1", extra={"system_fingerprint": "fp"}
    )
    script: list[Event] = [
        metadata,
        ReasoningDelta("Think."),
        TextDelta("Hello"),
        TextDelta(", world"),
        ToolCallDelta(0, "call_a", "lookup", '{"q":'),
        ToolCallDelta(0, None, None, '"x"}'),
        ToolCall(0, "call_a", "lookup", '{"q":"x"}'),
        Usage(10, 4, cache_read_tokens=2, reasoning_tokens=1),
        Finish("tool_calls", "tool_calls"),
    ]
    events = await events_of(ScriptedProvider(script))
    assert events[0] == attrs.evolve(metadata, requested_model="scripted-model")
    assert events[1:] == script[1:]


async def test_script_fills_in_metadata_and_finish() -> None:
    assert await events_of(ScriptedProvider([TextDelta("hi")])) == [
        HI,
        TextDelta("hi"),
        Finish("stop", "stop"),
    ]
    called = await events_of(ScriptedProvider([ToolCall(0, "c", "f", "{}")]))
    assert called[-1] == Finish("tool_calls", "tool_calls")


async def test_script_metadata_names_the_provider_and_model() -> None:
    provider = ScriptedProvider([Metadata("openai", "gpt-4o-2024", ""), TextDelta("x")])
    [metadata, *_] = await events_of(provider, Request([Message.user("q")], model="gpt-4o"))
    assert metadata == Metadata("openai", "gpt-4o-2024", "gpt-4o")


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ([TextDelta("a"), Finish("stop"), Finish("stop")], "exactly one Finish: found 2"),
        ([Finish("stop"), TextDelta("a")], "Finish must be the last event"),
        ([TextDelta("a"), HI], "Metadata must come once, first"),
        ([HI, HI, TextDelta("a")], "Metadata must come once, first"),
        ([Usage(1, 1), Usage(1, 1)], "at most one Usage"),
        ([Reasoning("anthropic", "t", signature="s")], "a Reasoning block cannot travel"),
        ([ToolCall(0, "c", "f", "{}", signature="sig")], "signature"),
        ([Usage(1, 1, cache_write_tokens=1)], "cache_write_tokens"),
        ([Finish("stop", model="m")], "Finish.model"),
        ([Finish("other", "end_turn")], "reads as 'stop'"),
        ([TextDelta("")], "an empty TextDelta"),
        ([Usage(None, None)], "a Usage with no counts"),
        ([attrs.evolve(HI, attempts=(Attempt("p", None, "x"),))], "attempts"),
        ([attrs.evolve(HI, extra={"request_id": "r"})], "Metadata.extra"),
    ],
)
def test_script_that_breaks_the_contract_is_refused(script: list[Any], message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        Reply.events(script)
    with pytest.raises(ScriptError, match=message):
        ScriptedProvider(script)


def test_script_items_must_be_events() -> None:
    with pytest.raises(TypeError, match="item 1 is not an eventide event"):
        Reply.events([TextDelta("a"), "b"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="a reply is a Reply, a string or a list of events"):
        ScriptedProvider(42)  # type: ignore[arg-type]


# -- text replies --------------------------------------------------------------------------------


async def test_text_reply_streams_word_by_word_or_as_given() -> None:
    provider = ScriptedProvider(
        "Hello there, world",
        Reply.text(["Hel", "lo"], reasoning="Hmm.", usage=Usage(3, 2), finish="length"),
        Reply.text(tool_calls=[("get_weather", {"city": "Paris"}), ("noop", "{}")]),
    )
    first = await events_of(provider)
    assert [e.text for e in first if isinstance(e, TextDelta)] == ["Hello ", "there, ", "world"]
    second = await events_of(provider)
    assert second[1:] == [
        ReasoningDelta("Hmm."),
        TextDelta("Hel"),
        TextDelta("lo"),
        Usage(3, 2),
        Finish("length", "length"),
    ]
    completion = await collect(provider.stream("weather?"))
    assert [(c.id, c.name, c.arguments) for c in completion.tool_calls] == [
        ("call_0", "get_weather", '{"city": "Paris"}'),
        ("call_1", "noop", "{}"),
    ]
    assert completion.finish_reason == "tool_calls"


def test_text_reply_refuses_what_is_not_text() -> None:
    with pytest.raises(TypeError, match="text must be a string or a sequence of strings"):
        Reply.text([1, 2])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="usage must be a Usage"):
        Reply.text("x", usage=(1, 2))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a tool call is a ToolCall or a"):
        Reply.text(tool_calls=["f"])  # type: ignore[list-item]


# -- failures ------------------------------------------------------------------------------------


async def test_failures_after_n_events() -> None:
    provider = ScriptedProvider(
        Reply.text(["a", "b", "c"], fail=Cut(after=2)),
        Reply.text(["a", "b", "c"], fail=StreamError(after=1, message="boom")),
        Reply.text(["a", "b", "c"], fail=Disconnect(after=0)),
    )
    with pytest.raises(ProtocolError, match="truncated") as cut:
        await collect(provider.stream("x"))
    assert cut.value.partial is not None
    assert cut.value.partial.text == "ab"
    with pytest.raises(ServerError, match="boom") as failed:
        await collect(provider.stream("x"))
    assert failed.value.partial is not None
    assert failed.value.partial.text == "a"
    with pytest.raises(Error, match="connection lost") as lost:
        await collect(provider.stream("x"))
    assert lost.value.retryable
    assert not lost.value.content_emitted


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Reply.text(["a"], fail=Cut(after=2)), r"Cut\(after=2\) is past the end"),
        (lambda: Reply.transcript(b"data: x\n\n", fail=Disconnect(after=1)), "past the end"),
        (lambda: Reply.transcript(b"x", fail=StreamError(after=0)), "own error event"),  # type: ignore[arg-type]
        (lambda: Reply(script=(TextDelta("a"),), api="gemini"), "over the 'openai' wire"),
    ],
)
def test_failures_that_cannot_happen_are_refused(make: Any, message: str) -> None:
    with pytest.raises((ScriptError, TypeError), match=message):
        make()


def test_reply_options_are_checked() -> None:
    with pytest.raises(ValueError, match="api must be one of"):
        Reply.transcript(b"", api="mistral")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="status"):
        Reply.http_error(200)
    with pytest.raises(ValueError, match="delay"):
        Reply.text("x", delay=-1)
    with pytest.raises(ValueError, match="chunk_size"):
        Reply.text("x", chunk_size=0)
    with pytest.raises(ValueError, match="after"):
        Cut(after=-1)


async def test_chunking_does_not_change_the_events() -> None:
    script = Reply.text("héllo wörld, ünïcode", reasoning="ok", usage=Usage(1, 2)).script
    assert script is not None
    whole = await events_of(ScriptedProvider(list(script)))
    for size in (1, 2, 5, 13):
        assert await events_of(ScriptedProvider(Reply.events(script, chunk_size=size))) == whole


async def test_http_error_bodies_in_every_form() -> None:
    provider = ScriptedProvider(
        Reply.http_error(500, {"error": {"message": "dict body"}}),
        Reply.http_error(500, '{"error": {"message": "text body"}}'),
        Reply.http_error(502, b"<html>bad gateway</html>"),
        Reply.http_error(404),
    )
    messages = []
    for _ in range(4):
        with pytest.raises(Error) as caught:
            await collect(provider.stream("x"))
        messages.append((type(caught.value).__name__, str(caught.value)))
    assert messages[0] == ("ServerError", "scripted: HTTP 500: dict body")
    assert messages[1] == ("ServerError", "scripted: HTTP 500: text body")
    assert messages[2][0] == "ServerError"
    assert "bad gateway" in messages[2][1]
    assert messages[3][0] == "NotFoundError"


# -- the provider --------------------------------------------------------------------------------


def test_provider_is_a_provider_and_says_what_it_holds() -> None:
    provider = ScriptedProvider("a", "b", name="fake")
    assert isinstance(provider, Provider)
    assert provider.name == "fake"
    assert repr(provider) == "ScriptedProvider(name='fake', 2 replies left, requests=0)"
    with pytest.raises(TypeError, match="not both"):
        ScriptedProvider("a", respond=lambda request: "b")
    with pytest.raises(TypeError, match="give the replies"):
        ScriptedProvider()


async def test_provider_answers_with_a_function_of_the_request() -> None:
    def respond(request: Request) -> Reply | str | list[Event]:
        prompt = request.messages[-1].content
        if prompt == "events":
            return [TextDelta("as events")]
        if prompt == "fail":
            return Reply.http_error(429, headers={"retry-after": "1"})
        return f"you said {prompt}"

    provider = ScriptedProvider(respond=respond)
    assert (await collect(provider.stream("hi"))).text == "you said hi"
    assert (await collect(provider.stream("events"))).text == "as events"
    with pytest.raises(Error, match="HTTP 429"):
        await collect(provider.stream("fail"))
    assert provider.call_count == 3
    assert provider.remaining == 0


async def test_provider_records_requests_and_assertion_helpers() -> None:
    provider = ScriptedProvider("a", "b")
    provider.assert_not_called()
    with pytest.raises(AssertionError, match="received no request"):
        _ = provider.last_request
    with pytest.raises(AssertionError, match="sent no HTTP request"):
        _ = provider.last_http_request
    stream = provider.stream("first", model="m-1")
    assert provider.assert_called_once() == Request([Message.user("first")], model="m-1")
    assert provider.http_requests == ()  # nothing is sent until the stream is read
    await collect(stream)
    assert provider.last_http_request.json["model"] == "m-1"
    await collect(provider.stream("second"))
    with pytest.raises(AssertionError, match="expected to receive one request, and received 2"):
        provider.assert_called_once()
    with pytest.raises(AssertionError, match="expected to receive no request"):
        provider.assert_not_called()
    assert [r.messages[0].content for r in provider.requests] == ["first", "second"]
    assert provider.last_http_request.json["model"] == "scripted-model"


async def test_provider_never_stores_a_secret() -> None:
    key, header_secret = "sk-test-abcdefghijklmnop", "tok-zyxwvutsrqponmlk"
    provider = ScriptedProvider(
        Reply.http_error(401, {"error": {"message": f"bad key {key}"}}),
        "ok",
        api_key=key,
    )
    request = Request(
        [Message.user("hi")],
        headers={"X-Custom-Token": header_secret, "x-trace": "t-1"},
        query={"api_key": header_secret, "page": "2"},
    )
    with pytest.raises(Error) as caught:
        await collect(provider.stream(request))
    await collect(provider.stream(request))
    stored = repr(provider.requests) + repr(provider.http_requests) + str(caught.value)
    stored += str([(r.headers, r.query) for r in provider.requests])
    stored += str([(r.url, r.body) for r in provider.http_requests])
    assert key not in stored
    assert header_secret not in stored
    assert provider.last_request.headers == {"X-Custom-Token": "[redacted]", "x-trace": "t-1"}
    assert provider.last_request.query == {"api_key": "[redacted]", "page": "2"}
    assert provider.last_http_request.headers["authorization"] == "[redacted]"
    assert request.headers["X-Custom-Token"] == header_secret  # the caller's is untouched


async def test_provider_closed_refuses_like_a_real_one() -> None:
    async with ScriptedProvider("a", "b") as provider:
        assert (await collect(provider.stream("x"))).text == "a"
    assert provider.closed
    with pytest.raises(TransportClosed, match="closed"):
        await collect(provider.stream("x"))
    assert provider.http_requests[-1:] == provider.http_requests[:1]  # nothing more was sent


def test_testing_is_its_own_module_and_its_classes_are_final() -> None:
    """Like trio.testing: not re-exported by eventide, not imported by it."""
    script = "import sys, eventide; print('eventide.testing' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"
    assert not {"Reply", "ScriptedProvider"} & set(eventide.__all__)
    for cls in (Cut, Disconnect, Reply, ScriptedProvider, SentRequest, StreamError):
        assert vars(cls).get("__final__") is True, cls


def test_sent_request_redacts_credentials_wherever_they_are() -> None:
    key = "sk-live-0123456789abcdef"
    request = HTTPRequest(
        "POST",
        f"http://h.invalid/v1/{key}/chat?api_key={key}&page=2&token=short",
        {"Authorization": f"Bearer {key}", "X-Trace": "t"},
        f'{{"echo": "{key}"}}'.encode(),
    )
    sent = sent_request(request)
    assert key not in repr(sent)
    assert sent.url == (
        "http://h.invalid/v1/[redacted]/chat?api_key=[redacted]&page=2&token=[redacted]"
    )
    assert sent.headers == {"authorization": "[redacted]", "x-trace": "t"}
    assert sent.json == {"echo": "[redacted]"}


def test_reply_refuses_unknown_options() -> None:
    with pytest.raises(TypeError, match="unexpected keyword arguments: dealy"):
        Reply.text("x", dealy=1)  # type: ignore[call-arg]


def test_provider_options_are_checked_before_any_request() -> None:
    with pytest.raises(TypeError, match="respond must be a function"):
        ScriptedProvider(respond="hi")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="name must be a string"):
        ScriptedProvider("a", name=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="model must be a string"):
        ScriptedProvider("a", model=3)  # type: ignore[arg-type]
    with pytest.raises(AuthenticationError, match="trailing newline") as caught:
        ScriptedProvider("a", api_key="sk-secret-value\n")
    assert "sk-secret-value" not in str(caught.value)


async def test_response_headers_reach_metadata_as_a_servers_do() -> None:
    provider = ScriptedProvider(Reply.text("x", headers={"X-Request-ID": "req_1"}))
    [metadata, *_] = await events_of(provider)
    assert isinstance(metadata, Metadata)
    assert metadata.extra == {"request_id": "req_1"}


_TEXT = st.text(min_size=1, max_size=12)


@st.composite
def scripts(draw: st.DrawFn) -> list[Event]:
    """Valid event scripts: reasoning, text and refusal pieces in any order, then whole
    tool calls (in pieces), maybe `Usage`, and a `Finish`."""
    piece = st.one_of(_TEXT.map(TextDelta), _TEXT.map(ReasoningDelta), _TEXT.map(RefusalDelta))
    script: list[Event] = draw(st.lists(piece, max_size=8))
    for index in range(draw(st.integers(0, 2))):
        arguments = draw(st.lists(_TEXT, min_size=1, max_size=3))
        name = draw(st.from_regex(r"[a-z_]{1,10}", fullmatch=True))
        script.append(ToolCallDelta(index, f"call_{index}", name, arguments[0]))
        script += [ToolCallDelta(index, None, None, part) for part in arguments[1:]]
        script.append(ToolCall(index, f"call_{index}", name, "".join(arguments)))
    counts = st.none() | st.integers(0, 10**6)
    usage = draw(st.none() | st.builds(Usage, counts, counts, reasoning_tokens=counts))
    if usage is not None and usage != Usage(None, None):
        script.append(usage)
    reason = draw(st.sampled_from(get_args(FinishReason)))
    script.append(Finish(reason, reason))
    return script


@given(script=scripts(), size=st.none() | st.integers(1, 40))
async def test_any_valid_script_comes_out_as_scripted(
    script: list[Event], size: int | None
) -> None:
    """Whatever the script and the network reads, the stream is the script after
    `Metadata`."""
    events = await events_of(ScriptedProvider(Reply.events(script, chunk_size=size)))
    assert events[0] == HI
    assert events[1:] == script


async def test_transcript_bodies_in_every_form() -> None:
    text = 'data: {"choices":[{"delta":{"content":"hé"}}]}\n\ndata: [DONE]\n\n'
    for body in (text, text.encode(), [text.encode()[:9], text.encode()[9:]]):
        completion = await collect(ScriptedProvider(Reply.transcript(body)).stream("x"))
        assert completion.text == "hé"
    with pytest.raises(TypeError, match="a transcript is bytes, text, or a sequence of bytes"):
        Reply.transcript(["data: x\n\n"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"HTTP status \(100-599\)"):
        Reply.transcript(b"", status=600)
    with pytest.raises(TypeError, match="headers must map strings to strings"):
        Reply.transcript(b"", headers={"retry-after": 3})  # type: ignore[dict-item]
