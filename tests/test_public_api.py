"""The public surface: what is exported, what importing does (nothing), what is final."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
import typing

import attrs
import pytest

import eventide
import eventide.providers
import eventide.testing
import eventide.wire
from eventide import Message, Request, ToolSpec


@pytest.mark.parametrize("module", [eventide, eventide.providers, eventide.testing, eventide.wire])
def test_public_all_matches_the_exports(module: types.ModuleType) -> None:
    """`__all__` lists exactly the public names (ruff's RUF022 keeps it sorted)."""
    exported = module.__all__
    assert len(exported) == len(set(exported))
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    } - {"annotations"}
    assert set(exported) - {"__version__"} == public


def test_public_event_classes_are_final_and_frozen() -> None:
    """Each event class itself (not a base) is final and slotted, and every field refuses to
    be set; `Event` is exactly the union of the contract, with one `kind` each."""
    classes = typing.get_args(eventide.Event)
    contract = {
        eventide.Metadata,
        eventide.TextDelta,
        eventide.ReasoningDelta,
        eventide.Reasoning,
        eventide.RefusalDelta,
        eventide.ToolCallDelta,
        eventide.ToolCall,
        eventide.Usage,
        eventide.Finish,
    }
    assert set(classes) == contract
    assert len({cls.kind for cls in classes}) == len(classes)
    for cls in classes:
        assert vars(cls).get("__final__") is True, cls
        assert "__slots__" in vars(cls), cls
        assert isinstance(cls.kind, str), cls
        fields = attrs.fields(cls)
        assert fields, cls
        event = object.__new__(cls)
        assert not hasattr(event, "__dict__"), cls
        for field in fields:
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                setattr(event, field.name, None)


def test_import_has_no_side_effects() -> None:
    """Importing eventide opens no file or socket and reads no environment variable (its
    dependencies are imported first: what they do at import is not ours to test)."""
    script = textwrap.dedent(
        """
        import builtins, os, socket

        def forbidden(*args, **kwargs):
            raise AssertionError(f"side effect at import: {args!r}")

        class Environ(type(os.environ)):
            def __getitem__(self, key):
                forbidden("os.environ", key)
            def get(self, key, default=None):
                forbidden("os.environ.get", key)

        import anyio, attrs, cattrs, cattrs.strategies, httpx, trio  # their imports are theirs

        builtins.open = forbidden
        socket.socket.connect = forbidden
        os.environ.__class__ = Environ
        import eventide, eventide.providers, eventide.wire, eventide.collectors, eventide.testing
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_requests_copy_the_callers_sequences_and_never_mutate_them() -> None:
    history = [Message.system("be brief"), Message.user("hi")]
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    extra = {"user": "u1"}
    request = Request(history, tools=[ToolSpec("weather", "", schema)], extra=extra)
    history.append(Message.user("later"))
    assert len(request.messages) == 2
    body = eventide.wire.build_chat_body(request, model="m")
    body["messages"].clear()
    body["tools"][0]["function"]["name"] = "changed"
    assert schema == {"type": "object", "properties": {"city": {"type": "string"}}}
    assert extra == {"user": "u1"}
    assert request.messages[1] == Message.user("hi")


def test_request_validates_its_input() -> None:
    with pytest.raises(ValueError, match="at least one message"):
        Request([])
    with pytest.raises(TypeError, match="Message objects"):
        Request(["hi"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="exactly one of"):
        eventide.ImagePart()
    with pytest.raises(ValueError, match="positive"):
        eventide.Timeouts(idle=0)
