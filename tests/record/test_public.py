"""`eventide.record`'s surface: its exports, its final classes, and no import side effects."""

from __future__ import annotations

import subprocess
import sys
import types

import eventide.record


def test_all_matches_the_exports() -> None:
    exported = eventide.record.__all__
    assert len(exported) == len(set(exported))
    public = {
        name
        for name, value in vars(eventide.record).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    } - {"annotations"}
    assert set(exported) == public


def test_concrete_classes_are_final() -> None:
    for name in (
        "Cassette",
        "Record",
        "RecordStage",
        "ReplayProvider",
        "WireCassette",
        "WireRecorder",
    ):
        cls = getattr(eventide.record, name)
        assert getattr(cls, "__final__", False), name


def test_importing_eventide_does_not_import_record() -> None:
    code = "import sys, eventide; print('eventide.record' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
