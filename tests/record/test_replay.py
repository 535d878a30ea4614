"""`ReplayProvider`: timing, order, bad options; recording and replaying over a real socket."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import trio

from eventide import Finish, Metadata, TextDelta
from eventide.record import Record, ReplayExhausted, ReplayProvider, read_record, record
from tests.record.helpers import REQUEST, completion_of, events_of

if TYPE_CHECKING:
    from pathlib import Path

    from tests.http_server import ScriptedServer
    from tests.kits import Kit

_RECORD = Record(
    request=REQUEST,
    provider="p",
    model="m",
    started="2026-01-01T00:00:00+00:00",
    batches=(
        (0.5, (Metadata(provider="p", model="m", requested_model="m"),)),
        (1.5, (TextDelta("a"),)),
        (3.5, (TextDelta("b"), Finish("stop"))),
    ),
)


async def _arrivals(provider: ReplayProvider) -> list[float]:
    start = trio.current_time()
    async with provider.stream(REQUEST) as events:
        return [trio.current_time() - start async for _ in events]


@pytest.mark.parametrize(
    ("timing", "expected"),
    [
        ("compressed", [0, 0, 0, 0]),
        ("preserved", [0.5, 1.5, 3.5, 3.5]),
        (2.0, [0.25, 0.75, 1.75, 1.75]),
    ],
)
async def test_replay_timing(
    timing: str | float, expected: list[float], autojump_clock: trio.testing.MockClock
) -> None:
    times = await _arrivals(ReplayProvider(_RECORD, timing=timing))  # type: ignore[arg-type]
    assert times == pytest.approx(expected)


async def test_replay_serves_records_in_order_then_refuses(tmp_path: Path) -> None:
    provider = ReplayProvider([_RECORD, _RECORD])
    assert provider.name == "p"
    assert provider.remaining == 2
    first = await events_of(provider, "anything")
    assert first.events == _RECORD.events
    await events_of(provider, "anything")
    with pytest.raises(ReplayExhausted):
        provider.stream("more")


def test_replay_bad_options() -> None:
    with pytest.raises(ValueError, match="timing must be"):
        ReplayProvider(_RECORD, timing="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        ReplayProvider([])
    with pytest.raises(TypeError, match="a record, a path"):
        ReplayProvider(42)  # type: ignore[arg-type]


async def test_record_over_a_real_socket_replays_without_it(
    kit: Kit, server: ScriptedServer, tmp_path: Path
) -> None:
    path = tmp_path / "r.jsonl"
    async with kit.provider(server.url) as provider:
        live = await events_of(record(provider, path), REQUEST)
    assert len(server.requests) == 1
    assert live.error is None
    assert "".join(e.text for e in live.events if type(e) is TextDelta) == "Hello, world"
    assert await events_of(ReplayProvider(path), REQUEST) == live
    completion, _ = await completion_of(ReplayProvider(path), REQUEST)
    assert completion.text == "Hello, world"
    assert len(server.requests) == 1  # the replay never touched the server
    secret = kit.options["api_key"]
    assert secret not in path.read_text()
    assert read_record(path).provider == kit.name
