"""Test-wide settings and fixtures.

Hypothesis profiles: "dev" (few examples) and "ci" (more), picked by ``HYPOTHESIS_PROFILE``.

A real server and a provider pointed at it: `kit` names the HTTP API (tests/kits.py); here it
runs a test once per API, and a module about one provider overrides it with its own kit.
`server` answers every request with the kit's ``Hello, world`` response until a test scripts
another; `provider` is the kit's provider for that server.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

from tests.http_server import Reply, ScriptedServer, serve
from tests.kits import KITS, Kit

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from eventide.providers import Provider

settings.register_profile(
    "dev", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(params=KITS, ids=str)
def kit(request: pytest.FixtureRequest) -> Kit:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def server(kit: Kit) -> AsyncIterator[ScriptedServer]:
    async with serve(Reply(headers=kit.headers, body=kit.body(["Hello", ", ", "world"]))) as made:
        yield made


@pytest.fixture
async def provider(kit: Kit, server: ScriptedServer) -> AsyncIterator[Provider]:
    async with kit.provider(server.url) as made:
        yield made


@pytest.fixture(autouse=True, scope="session")
def _chat_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`eventide chat` logs every exchange: into a test directory, never the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVENTIDE_LOGS_PATH", str(tmp_path_factory.mktemp("logs") / "logs.db"))
        yield
