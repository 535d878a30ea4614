"""`redact`: matches are replaced in text and tool arguments, also across deltas."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventide import Event, Finish, Metadata, TextDelta, ToolCall, ToolCallDelta, collect
from eventide.stages import Redact, Redactor, redact
from eventide.testing import Reply, ScriptedProvider

KEY = r"sk-[a-z0-9]{6}"
REDACTOR = Redactor([KEY, "secret"], replacement="#", max_match=9)
METADATA = Metadata(provider="p", model="m", requested_model="m")


def run(stage: Redact, batches: list[list[Event]]) -> list[Event]:
    out: list[Event] = []
    for batch in batches:
        out += stage.feed(batch)
    return out + stage.end()


def text_of(events: list[Event]) -> str:
    return "".join(event.text for event in events if type(event) is TextDelta)


@given(
    st.text(alphabet="sk-ab0123ecrt ", max_size=60),
    st.lists(st.integers(0, 60), max_size=12),
)
def test_redact_ignores_delta_boundaries(text: str, cuts: list[int]) -> None:
    bounds = sorted({0, len(text), *(min(cut, len(text)) for cut in cuts)})
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    batches: list[list[Event]] = [
        [METADATA],
        *(list[Event]([TextDelta(p)]) for p in pieces),
        [Finish("stop")],
    ]
    out = run(Redact(REDACTOR), batches)
    whole = re.sub(f"{KEY}|secret", "#", text)
    assert text_of(out) == whole
    assert out[0] is METADATA
    assert out[-1] == Finish("stop")
    assert all(event.text for event in out if type(event) is TextDelta)  # no empty deltas


def test_redact_holds_back_at_most_max_match_minus_one_characters() -> None:
    stage = Redact(REDACTOR)
    assert stage.feed([TextDelta("0123456789abcdef")]) == [TextDelta("01234567")]
    assert stage.feed([TextDelta("sk-")]) == [TextDelta("89a")]
    assert stage.feed([TextDelta("abc123 tail")]) == [TextDelta("bcdef#")]
    assert stage.feed([Finish("stop")]) == [TextDelta(" tail"), Finish("stop")]


async def test_redact_text_split_across_network_reads() -> None:
    script = [
        TextDelta("my key is sk-ab"),
        TextDelta("c12"),
        TextDelta("3, keep it se"),
        TextDelta("cret"),
    ]
    provider = redact(ScriptedProvider(script), [KEY, "secret"])
    completion = await collect(provider.stream("hi"))
    assert completion.text == "my key is [redacted], keep it [redacted]"


async def test_redact_tool_call_arguments_in_deltas_and_the_complete_call() -> None:
    arguments = '{"token": "sk-abc123", "n": 1}'
    script: list[Event] = [
        ToolCallDelta(0, "call_1", "login", '{"token": "sk-a'),
        ToolCallDelta(0, None, None, 'bc123", "n": 1}'),
        ToolCall(0, "call_1", "login", arguments),
        Finish("tool_calls"),
    ]
    events = [event async for event in redact(ScriptedProvider(script), KEY).stream("hi")]
    deltas = [event for event in events if type(event) is ToolCallDelta]
    assert (deltas[0].id, deltas[0].name) == ("call_1", "login")
    assert "".join(delta.arguments for delta in deltas) == '{"token": "[redacted]", "n": 1}'
    [call] = [event for event in events if type(event) is ToolCall]
    assert call.arguments == '{"token": "[redacted]", "n": 1}'

    completion = await collect(redact(ScriptedProvider(Reply.events(script)), KEY).stream("hi"))
    [called] = completion.tool_calls
    assert called.arguments == '{"token": "[redacted]", "n": 1}'
    assert called.parsed == {"token": "[redacted]", "n": 1}


def test_redact_keeps_channels_in_their_order() -> None:
    stage = Redact(Redactor("secret", max_match=6))
    out = run(
        stage,
        [
            [METADATA, TextDelta("a secr"), ToolCallDelta(0, "c", "f", '{"x": "secr')],
            [ToolCallDelta(0, None, None, 'et"}'), Finish("tool_calls")],
        ],
    )
    assert out == [
        METADATA,
        TextDelta("a"),
        TextDelta(" secr"),  # flushed (as final) before the other channel starts
        ToolCallDelta(0, "c", "f", '{"x": '),
        ToolCallDelta(0, None, None, '"[redacted]'),
        ToolCallDelta(0, None, None, '"}'),
        Finish("tool_calls"),
    ]


@pytest.mark.parametrize(
    ("patterns", "options", "error", "message"),
    [
        ([], {}, ValueError, "at least one pattern"),
        (["("], {}, ValueError, "does not compile"),
        (["a*"], {}, ValueError, "matches the empty string"),
        ([b"x"], {}, TypeError, "a pattern is a string"),
        ([re.compile(b"x")], {}, TypeError, "bytes pattern"),
        (["x"], {"max_match": 0}, ValueError, "max_match"),
        (["x"], {"max_match": True}, ValueError, "max_match"),
        (["x"], {"replacement": None}, TypeError, "replacement"),
    ],
)
def test_redact_refuses_bad_input(
    patterns: list[object], options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        redact(ScriptedProvider("x"), patterns, **options)  # type: ignore[arg-type]


def test_redactor_repr_hides_the_patterns() -> None:
    assert "sk-" not in repr(Redactor(KEY))
