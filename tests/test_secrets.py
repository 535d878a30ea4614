"""Secrets: a malformed key fails before any I/O without being shown, and the key never
appears in an error, whatever path the error took: an HTTP error body that echoes it, an
in-band error event after a 200, JSON-escaped (``sk\\/...``) or not, for every provider."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import eventide
from eventide import AsyncClient, AuthenticationError, Client, Error
from eventide._secrets import REDACTED, SHORT, Redactor, check_key
from eventide._transport import InMemoryTransport
from tests.cli.script import read_records, run, run_batch, write_jsonl
from tests.http_server import Reply, serve, serve_in_thread
from tests.kits import KITS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping
    from pathlib import Path

    from tests.kits import Kit

LONG_KEY = "sk-proj-A1b2/C3d4+E5f6_G7h8"

# -- a malformed key -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("sk-abc\n", "whitespace"),
        (" sk-abc", "whitespace"),
        ("sk-a\x00bc", "control character"),
        ("sk-a\x7fbc", "control character"),
        ("sk-\u20acbc", "cannot be sent in an HTTP header"),
    ],
)
def test_check_key_names_the_problem_never_the_key(key: str, problem: str) -> None:
    with pytest.raises(AuthenticationError, match=problem) as info:
        check_key(key, provider="p")
    assert key.strip() not in str(info.value)
    assert info.value.provider == "p"


@pytest.mark.parametrize("key", ["sk-abc", "x", "clé-latin-1", "a b"])
def test_check_key_accepts_what_a_header_can_carry(key: str) -> None:
    check_key(key, provider="p")


@pytest.mark.parametrize("kit", KITS, ids=str)
async def test_provider_with_a_malformed_key_fails_when_built(kit: Kit) -> None:
    sent: list[Mapping[str, Any]] = []

    async def source(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:  # pragma: no cover
        sent.append(payload)
        yield b""

    with pytest.raises(AuthenticationError, match="trailing newline") as info:
        kit.make(base_url="http://t", api_key=f"{LONG_KEY}\n", transport=InMemoryTransport(source))
    assert LONG_KEY not in str(info.value)
    assert sent == []


@pytest.mark.parametrize(
    ("header", "value", "problem"),
    [
        ("api-key", "abc\x01def", "control character"),
        ("authorization", "Bearer abc-def\n", "whitespace"),  # checked as given, not split
    ],
)
def test_a_credential_in_extra_headers_is_checked_too(
    header: str, value: str, problem: str
) -> None:
    with pytest.raises(AuthenticationError, match=problem):
        eventide.providers.OpenAIChat(base_url="http://t", headers={header: value})


# -- redaction -------------------------------------------------------------------------------


def test_redactor_hides_a_long_key_in_every_form() -> None:
    redact = Redactor([LONG_KEY]).text
    for text in (
        f"Incorrect API key provided: {LONG_KEY}.",
        json.dumps({"key": LONG_KEY}),
        json.dumps({"key": LONG_KEY}).replace("/", "\\/"),  # as PHP and some servers escape it
        f"prefix{LONG_KEY}suffix",  # a long key is hidden even inside a word
    ):
        assert LONG_KEY not in redact(text).replace("\\/", "/")
        assert REDACTED in redact(text)


def test_redactor_hides_non_ascii_keys_escaped_as_json_does() -> None:
    key = "clé-sécrète-123"
    assert key not in json.loads(Redactor([key]).text(json.dumps({"k": key})))["k"]


def test_redactor_replaces_a_short_key_only_as_a_whole_token() -> None:
    redact = Redactor(["x"]).text
    assert redact("x-request-id: box-1, max tokens") == "x-request-id: box-1, max tokens"
    assert redact('{"api_key": "x"} and key=x') == f'{{"api_key": "{REDACTED}"}} and key={REDACTED}'


def test_redactor_with_no_secret_changes_nothing() -> None:
    error = eventide.ServerError("boom sk-1", body="sk-1")
    assert Redactor(["", ""]).error(error) is error
    assert (str(error), error.body) == ("boom sk-1", "sk-1")


def test_redactor_rewrites_message_args_and_text_attributes() -> None:
    error = eventide.BadRequestError(f"bad key {LONG_KEY}", body=f"{{{LONG_KEY}}}", code="c")
    Redactor([LONG_KEY]).error(error)
    assert LONG_KEY not in str(error)
    assert LONG_KEY not in repr(error)
    assert LONG_KEY not in error.body
    assert LONG_KEY not in error.message
    assert error.code == "c"


# -- every provider, every path an echo can take ---------------------------------------------


def _echo(key: str) -> str:
    return f"Incorrect API key provided: {key}. You can find your API key at https://x.test."


def _in_band(kit: Kit, key: str, *, slashes: bool) -> bytes:
    """The kit's mid-stream error event with the key in its message."""
    message = json.dumps(_echo(key))
    if slashes:
        message = message.replace("/", "\\/")
    raw = kit.mid_stream_error[0].decode()
    field = re.compile(r'"(message|error)": ?"[^"]*"')  # Ollama's error is a bare string
    return field.sub(lambda m: f'"{m[1]}": {message}', raw, count=1).encode()


def _http_error(kit: Kit, key: str, *, slashes: bool) -> bytes:
    body = kit.error_body(401, "invalid_api_key", _echo(key))
    return body.replace(b"/", b"\\/") if slashes else body


def _texts(error: BaseException, provider: object) -> list[str]:
    texts = [str(error), repr(error), repr(provider), *map(str, error.args)]
    texts += [value for value in vars(error).values() if isinstance(value, str)]
    return texts


async def _failure(kit: Kit, key: str, *, in_band: bool, slashes: bool) -> tuple[Error, object]:
    async def source(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        for piece in kit.body(["Hello"])[: kit.lead + 1]:
            yield piece
        yield _in_band(kit, key, slashes=slashes)

    if not in_band:
        async with (
            serve(Reply(401, body=[_http_error(kit, key, slashes=slashes)])) as server,
            kit.provider(server.url, api_key=key) as provider,
        ):
            with pytest.raises(Error) as info:
                await eventide.collect(provider.stream("hi"))
            return info.value, provider
    transport = InMemoryTransport(source)
    async with kit.make(base_url="http://t", api_key=key, transport=transport) as provider:
        with pytest.raises(Error) as info:
            await eventide.collect(provider.stream("hi"))
        return info.value, provider


@pytest.mark.parametrize("kit", KITS, ids=str)
@pytest.mark.parametrize("in_band", [True, False], ids=["in-band after 200", "HTTP 401"])
@pytest.mark.parametrize("slashes", [False, True], ids=["plain", "json-escaped slashes"])
async def test_an_echoed_key_never_leaves_the_stream(
    kit: Kit, in_band: bool, slashes: bool
) -> None:
    error, provider = await _failure(kit, LONG_KEY, in_band=in_band, slashes=slashes)
    texts = _texts(error, provider)
    assert all(LONG_KEY not in text and LONG_KEY.replace("/", "\\/") not in text for text in texts)
    assert any(REDACTED in text for text in texts)  # the echo was there, and was hidden
    if error.partial is not None:
        assert LONG_KEY not in error.partial.text


_KEY_CHARACTERS = st.characters(min_codepoint=0x21, max_codepoint=0x17F, exclude_characters='"\\')


@settings(max_examples=25, deadline=None)
@given(
    key=st.text(_KEY_CHARACTERS, min_size=1, max_size=40),
    kit=st.sampled_from(KITS),
    slashes=st.booleans(),
)
@example(key="x", kit=KITS[0], slashes=False)
@example(key="sk-" + "/" * 20, kit=KITS[0], slashes=True)
@example(key="[", kit=KITS[0], slashes=False)  # a prefix of the redaction marker
def test_no_key_ever_appears_in_an_in_band_error(key: str, kit: Kit, slashes: bool) -> None:
    """Any key, any provider: one a header cannot carry is refused when the provider is
    built; any other never shows in an in-band error that echoes it."""
    import trio  # hypothesis drives a sync test: each example runs its own loop

    try:
        check_key(key, provider="p")
    except AuthenticationError:
        with pytest.raises(AuthenticationError):
            kit.make(api_key=key)
        return
    error, provider = trio.run(lambda: _failure(kit, key, in_band=True, slashes=slashes))
    # the marker itself out first: a key such as "[" is a prefix of "[redacted]"
    texts = [text.replace(REDACTED, "").replace("\\/", "/") for text in _texts(error, provider)]
    if len(key) >= SHORT:
        assert all(key not in text for text in texts)
    else:  # a short key is hidden as a token: "x" may still be part of "x-request-id"
        assert all(_echo(key).split(". ")[0] not in text for text in texts)


# -- the command: stderr, --json, batch records ----------------------------------------------


def test_the_command_never_prints_or_writes_an_echoed_key(tmp_path: Path) -> None:
    """`eventide chat` (plain and --json) and `eventide batch` against a server that echoes
    the key in its 401 body: the key is in no output, no record."""
    body = [KITS[0].error_body(401, "invalid_api_key", _echo(LONG_KEY))]
    inputs, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(inputs, [{"id": 1, "prompt": "hi"}])
    with serve_in_thread(Reply(401, body=body)) as server:
        url = f"{server.url}/v1"
        runs = [
            run("chat", "hi", OPENAI_API_KEY=LONG_KEY, OPENAI_BASE_URL=url),
            run("chat", "hi", "--json", OPENAI_API_KEY=LONG_KEY, OPENAI_BASE_URL=url),
            run_batch(
                str(inputs),
                "-o",
                str(output),
                cwd=tmp_path,
                OPENAI_API_KEY=LONG_KEY,
                OPENAI_BASE_URL=url,
            ),
        ]
    assert len(server.requests) == 3  # each run reached the server and got the echo
    for result in runs:
        assert LONG_KEY not in result.stdout + result.stderr
        assert REDACTED in result.stdout + result.stderr or result is runs[2]
    (record,) = read_records(output)
    assert record["error"] is not None
    assert LONG_KEY not in output.read_text(encoding="utf-8")
    assert REDACTED in json.dumps(record)


# -- reprs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kit", KITS, ids=str)
def test_no_repr_shows_the_key(kit: Kit) -> None:
    """The provider, both clients, and the request value a provider sends (its headers)."""
    provider = kit.make(base_url="http://t", api_key=LONG_KEY, headers={"api-key": "az-secret-1"})
    stream = provider.stream("hi")
    request = stream._source._request  # type: ignore[attr-defined]  # the value sent
    assert any(LONG_KEY in value for _, value in request.headers)  # it is there to be sent
    with Client(provider) as sync:
        texts = [repr(provider), repr(AsyncClient(provider)), repr(sync), repr(request)]
    texts.append(repr(stream))
    assert all(LONG_KEY not in text and "az-secret-1" not in text for text in texts)
    assert REDACTED in repr(request)
