"""`Staged(..., owned=True)` closes the provider it wraps, once; `owned=False` (the default)
leaves it to the caller. `record(..., owned=True)` passes it through. `Staged.model` is the
wrapped provider's."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

import pytest

from eventide import collect_text
from eventide._resource import AsyncResource
from eventide.record import record
from eventide.stages import StageBase, Staged, tap
from eventide.testing import ScriptedProvider

if TYPE_CHECKING:
    from pathlib import Path

    from eventide import EventStream, Request, Timeouts


@final
class Counted(AsyncResource):
    """A provider that counts its `aclose()` calls."""

    def __init__(self) -> None:
        self.inner = ScriptedProvider("Hi there.")
        self.closes = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def model(self) -> str:
        return self.inner.model

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        return self.inner.stream(request, model=model, timeouts=timeouts)

    async def aclose(self) -> None:
        self.closes += 1
        await self.inner.aclose()


@pytest.mark.parametrize("owned", [True, False])
async def test_staged_closes_its_provider_once_only_when_owned(owned: bool) -> None:
    provider = Counted()
    staged = Staged(provider, StageBase, owned=owned)
    async with staged:
        assert await collect_text(staged.stream("hi")) == "Hi there."
    await staged.aclose()  # a second close closes nothing more
    assert provider.closes == (1 if owned else 0)


async def test_staged_is_not_owned_by_default() -> None:
    provider = Counted()
    async with tap(provider, lambda event: None) as staged:
        await collect_text(staged.stream("hi"))
    assert provider.closes == 0


@pytest.mark.parametrize("owned", [True, False])
async def test_record_passes_owned_through(owned: bool, tmp_path: Path) -> None:
    provider = Counted()
    async with record(provider, tmp_path / "one.jsonl", owned=owned) as recorded:
        assert await collect_text(recorded.stream("hi")) == "Hi there."
    assert provider.closes == (1 if owned else 0)
    assert (tmp_path / "one.jsonl").exists()


async def test_nested_owned_stages_close_the_provider_once() -> None:
    provider = Counted()
    outer = Staged(Staged(provider, StageBase, owned=True), StageBase, owned=True)
    await outer.aclose()
    await outer.aclose()
    assert provider.closes == 1


def test_staged_model_is_the_wrapped_providers() -> None:
    assert Staged(ScriptedProvider("x", model="m-1"), StageBase).model == "m-1"
    assert Staged(Staged(ScriptedProvider("x", model="m-2"), StageBase), StageBase).model == "m-2"
