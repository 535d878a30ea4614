"""`eventide.stages`'s public surface: `__all__` matches the exports; concrete classes are
final."""

from __future__ import annotations

import types

import eventide.stages

BASES = {"Stage", "StageBase", "TeeError", "TeeOverflow"}  # meant to be implemented or caught


def test_stages_all_matches_the_exports() -> None:
    public = {
        name
        for name, value in vars(eventide.stages).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert len(eventide.stages.__all__) == len(set(eventide.stages.__all__))
    assert set(eventide.stages.__all__) == public


def test_stages_concrete_classes_are_final() -> None:
    classes = {
        name: value
        for name in eventide.stages.__all__
        if isinstance(value := getattr(eventide.stages, name), type)
    }
    assert {"Tap", "Redact", "Tee", "Staged"} <= set(classes)
    for name, cls in classes.items():
        if name not in BASES:
            assert getattr(cls, "__final__", False) is True, name
