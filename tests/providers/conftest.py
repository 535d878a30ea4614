"""Provider tests never see the provider variables of the developer's shell."""

from __future__ import annotations

import pytest

from tests.environment import PROVIDER_VARIABLES


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*PROVIDER_VARIABLES, "OLLAMA_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
