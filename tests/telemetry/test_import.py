"""OpenTelemetry is imported on the first stream read, never by ``import eventide``; not at
all when it is missing or turned off (each case in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
if sys.argv[1] == "missing":
    class Missing:  # opentelemetry is not installed, as far as this interpreter knows
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "opentelemetry":
                raise ImportError(name)
            return None
    sys.meta_path.insert(0, Missing())
import trio
import eventide
from eventide.testing import ScriptedProvider
at_import = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
text = trio.run(eventide.collect_text, ScriptedProvider("Hi").stream("hi"))
after = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
print(json.dumps({"text": text, "at_import": at_import, "after": after}))
"""


def _run(case: str, **env: str) -> dict[str, object]:
    import os

    found = subprocess.run(
        [sys.executable, "-c", SCRIPT, case],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
        timeout=60,
    )
    result: dict[str, object] = json.loads(found.stdout)
    assert result["text"] == "Hi"
    return result


def test_not_installed_imports_nothing() -> None:
    result = _run("missing")
    assert result["at_import"] == result["after"] == []


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false"])
def test_turned_off_imports_nothing(value: str) -> None:
    result = _run("installed", EVENTIDE_OTEL=value)
    assert result["at_import"] == result["after"] == []


def test_installed_is_imported_on_the_first_stream() -> None:
    result = _run("installed", EVENTIDE_OTEL="")
    assert result["at_import"] == []
    assert "opentelemetry.trace" in result["after"]  # type: ignore[operator]
