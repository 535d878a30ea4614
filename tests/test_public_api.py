"""The public surface: what is exported, what importing does (nothing), what is final."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
import typing

import pytest

import eventide
import eventide.providers
import eventide.wire
from eventide import Message, Request, ToolSpec


@pytest.mark.parametrize("module", [eventide, eventide.providers, eventide.wire])
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
    for cls in typing.get_args(eventide.Event):
        assert getattr(cls, "__final__", False), cls
        assert hasattr(cls, "__slots__"), cls
        assert isinstance(cls.kind, str)


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
        import eventide, eventide.providers, eventide.wire, eventide.collectors
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


def test_provider_repr_hides_the_api_key() -> None:
    provider = eventide.providers.OpenAIChat(api_key="sk-very-secret", base_url="http://x/v1")
    assert "sk-very-secret" not in repr(provider)
    assert "api_key=set" in repr(provider)
