"""`extract_reasoning`: ``<think>`` tags in text become reasoning, split anywhere."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide import Event, Finish, Metadata, ReasoningDelta, TextDelta, Usage, collect
from eventide.stages import ExtractReasoning, extract_reasoning
from eventide.testing import ScriptedProvider

METADATA = Metadata(provider="p", model="m", requested_model="m")


def whole(text: str, *, start_with_reasoning: bool = False) -> tuple[str, str]:
    """The reference: the whole text, split at the tags, each kind's sections joined."""
    sections: tuple[list[str], list[str]] = ([], [])
    inside = start_with_reasoning
    while True:
        tag = "</think>" if inside else "<think>"
        found = text.find(tag)
        piece = text if found < 0 else text[:found]
        if piece:
            sections[inside].append(piece)
        if found < 0:
            return "\n".join(sections[0]), "\n".join(sections[1])
        text = text[found + len(tag) :]
        inside = not inside


def run(pieces: list[str], *, start_with_reasoning: bool) -> list[Event]:
    stage = ExtractReasoning(start_with_reasoning=start_with_reasoning)
    out: list[Event] = []
    batches: list[list[Event]] = [
        [METADATA],
        *(list[Event]([TextDelta(p)]) for p in pieces),
        [Finish("stop")],
    ]
    for batch in batches:
        out += stage.feed(batch)
    return out + stage.end()


@given(
    st.lists(st.sampled_from(["<think>", "</think>", "<", "</", "<th", "ink>", "a", " b", "\n"])),
    st.lists(st.integers(0, 200), max_size=15),
    st.booleans(),
)
@example(["<think>", "a", "</think>", " b"], [3, 9], False)
def test_extract_reasoning_ignores_delta_boundaries(
    parts: list[str], cuts: list[int], start_with_reasoning: bool
) -> None:
    text = "".join(parts)
    bounds = sorted({0, len(text), *(min(cut, len(text)) for cut in cuts)})
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    out = run(pieces, start_with_reasoning=start_with_reasoning)
    answer = "".join(event.text for event in out if type(event) is TextDelta)
    reasoning = "".join(event.text for event in out if type(event) is ReasoningDelta)
    assert (answer, reasoning) == whole(text, start_with_reasoning=start_with_reasoning)
    assert out[0] is METADATA
    assert out[-1] == Finish("stop")
    assert all(event.text for event in out[1:-1])  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("pieces", "answer", "reasoning"),
    [
        (["<think>Let me see.</think>Paris."], "Paris.", "Let me see."),
        (["<", "thi", "nk>Hm", "m</th", "ink", ">Par", "is."], "Paris.", "Hmm"),
        (["The answer: <think>sure?</think> Paris."], "The answer: \n Paris.", "sure?"),
        (["<think>still thinking"], "", "still thinking"),
        (["a < b and <thinking> is no tag"], "a < b and <thinking> is no tag", ""),
        (["ends with <thi"], "ends with <thi", ""),
    ],
)
async def test_extract_reasoning_over_a_stream(
    pieces: list[str], answer: str, reasoning: str
) -> None:
    script = [TextDelta(piece) for piece in pieces]
    completion = await collect(extract_reasoning(ScriptedProvider(script)).stream("hi"))
    assert (completion.text, completion.reasoning) == (answer, reasoning)
    assert completion.finish_reason == "stop"


async def test_extract_reasoning_flushes_a_held_tag_start_before_other_events() -> None:
    script: list[Event] = [TextDelta("<think>why</th"), Usage(input_tokens=3, output_tokens=4)]
    events = [event async for event in extract_reasoning(ScriptedProvider(script)).stream("q")]
    assert events[1:] == [
        ReasoningDelta("why"),
        ReasoningDelta("</th"),  # unclosed at the end: reasoning, nothing lost
        Usage(input_tokens=3, output_tokens=4),
        Finish("stop", "stop"),
    ]


async def test_extract_reasoning_other_tag_and_start_inside() -> None:
    script = [TextDelta("plan</reason>done")]
    provider = extract_reasoning(ScriptedProvider(script), tag="reason", start_with_reasoning=True)
    completion = await collect(provider.stream("hi"))
    assert (completion.text, completion.reasoning) == ("done", "plan")


def test_extract_reasoning_end_flushes_what_is_held() -> None:
    stage = ExtractReasoning()
    assert stage.feed([TextDelta("x <th")]) == [TextDelta("x ")]
    assert stage.end() == [TextDelta("<th")]


@pytest.mark.parametrize(
    ("options", "error"),
    [({"tag": "<think>"}, ValueError), ({"tag": ""}, ValueError), ({"separator": 1}, TypeError)],
)
def test_extract_reasoning_refuses_bad_options(
    options: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        extract_reasoning(ScriptedProvider("x"), **options)  # type: ignore[arg-type]
