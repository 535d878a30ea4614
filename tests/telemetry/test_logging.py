"""Plain `logging`: one INFO record per request on the ``eventide`` logger, its events at
DEBUG, attempts at DEBUG; never a secret. Works with OpenTelemetry off."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from eventide import OverloadedError, Usage, collect
from eventide.routing import Fallback, RetryPolicy
from eventide.testing import Reply, ScriptedProvider

if TYPE_CHECKING:
    import trio.testing

KEY = "sk-test-0123456789abcdefSECRET"


@pytest.fixture(autouse=True)
def _otel_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTIDE_OTEL", "off")


def _records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "eventide" and r.levelno == level]


async def test_one_info_record_per_request(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="eventide")
    provider = ScriptedProvider(
        Reply.text("Hello", usage=Usage(7, 1)), Reply.http_error(503, "busy"), api_key=KEY
    )
    await collect(provider.stream("hi"))
    with pytest.raises(OverloadedError):
        await collect(provider.stream("hi"))
    done, failed = _records(caplog, logging.INFO)
    assert _records(caplog, logging.DEBUG) == []
    message = done.getMessage()
    for part in ("provider=scripted", "model=scripted-model", "outcome=complete"):
        assert part in message
    assert "input_tokens=7 output_tokens=1" in message
    assert "duration_s=" in message
    assert done.eventide_outcome == "complete"  # type: ignore[attr-defined]
    assert "outcome=error error=overloaded" in failed.getMessage()
    assert all(KEY not in r.getMessage() for r in caplog.records)


async def test_debug_records_each_event_and_attempt(
    caplog: pytest.LogCaptureFixture, autojump_clock: trio.testing.MockClock
) -> None:
    caplog.set_level(logging.DEBUG, logger="eventide")
    router = Fallback(
        [ScriptedProvider(Reply.http_error(503, KEY), api_key=KEY), ScriptedProvider("Hi")],
        retry=RetryPolicy(attempts=1),
    )
    await collect(router.stream("hi"))
    [request] = _records(caplog, logging.INFO)
    assert "outcome=complete" in request.getMessage()
    debug = [r.getMessage() for r in _records(caplog, logging.DEBUG)]
    assert sum(m.startswith("attempt chat") for m in debug) == 2
    assert any("outcome=error error=overloaded" in m for m in debug)
    assert any("TextDelta(text='Hi')" in m for m in debug)
    assert all(KEY not in r.getMessage() for r in caplog.records)


async def test_nothing_logged_below_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="eventide")
    await collect(ScriptedProvider("Hi").stream("hi"))
    assert [r for r in caplog.records if r.name == "eventide"] == []
