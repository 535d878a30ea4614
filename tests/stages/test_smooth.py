"""`smooth`: text re-chunked by word or line within each network read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventide import Event, Finish, ReasoningDelta, TextDelta, collect
from eventide.stages import Smooth, smooth
from eventide.testing import Reply, ScriptedProvider


def test_smooth_cuts_a_batch_into_words() -> None:
    batch: list[Event] = [TextDelta("Hel"), TextDelta("lo wor"), TextDelta("ld!  How")]
    assert Smooth("word").feed(batch) == [
        TextDelta("Hello "),
        TextDelta("world!  "),
        TextDelta("How"),  # the read ended here: handed on now, not held
    ]


def test_smooth_cuts_a_batch_into_lines() -> None:
    batch: list[Event] = [TextDelta("one\ntw"), TextDelta("o\n\nthree")]
    assert Smooth("line").feed(batch) == [
        TextDelta("one\n"),
        TextDelta("two\n"),
        TextDelta("\n"),
        TextDelta("three"),
    ]


def test_smooth_keeps_other_events_in_place() -> None:
    batch: list[Event] = [TextDelta("a b"), ReasoningDelta("r"), TextDelta("c"), Finish("stop")]
    assert Smooth().feed(batch) == [
        TextDelta("a "),
        TextDelta("b"),
        ReasoningDelta("r"),
        TextDelta("c"),
        Finish("stop"),
    ]


@given(
    st.lists(st.text(alphabet="ab \n", min_size=1, max_size=8), max_size=10),
    st.sampled_from(["word", "line"]),
)
def test_smooth_holds_nothing_and_loses_nothing(pieces: list[str], chunking: str) -> None:
    stage = Smooth(chunking)  # type: ignore[arg-type]
    out = stage.feed([TextDelta(piece) for piece in pieces])
    assert "".join(event.text for event in out) == "".join(pieces)  # type: ignore[union-attr]
    assert all(event.text for event in out)  # type: ignore[union-attr]
    assert stage.end() == []


async def test_smooth_over_a_stream_read_in_large_chunks() -> None:
    words = ["The", " sky", " is", " blue", " because", " of", " Rayleigh", " scattering."]
    reply = Reply.events([TextDelta(word) for word in words], chunk_size=1 << 16)
    events = [event async for event in smooth(ScriptedProvider(reply)).stream("why")]
    texts = [event.text for event in events if type(event) is TextDelta]
    assert texts == ["The ", "sky ", "is ", "blue ", "because ", "of ", "Rayleigh ", "scattering."]
    completion = await collect(smooth(ScriptedProvider(reply), chunking="line").stream("why"))
    assert completion.text == "".join(words)


def test_smooth_refuses_an_unknown_chunking() -> None:
    with pytest.raises(ValueError, match="chunking"):
        smooth(ScriptedProvider("x"), chunking="sentence")  # type: ignore[arg-type]
