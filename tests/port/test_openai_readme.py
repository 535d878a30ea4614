"""The openai-python README's everyday examples, with only the import changed.

Each test runs the README's code as it is written (``client = OpenAI()`` finds the server
through ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``, as the SDK's does), against a real server
on 127.0.0.1 speaking OpenAI's wire format, then checks what the README says it prints or
raises, and what the server received. Where the README shows a resource eventide does not
offer (``client.fine_tuning`` in "Handling errors"), the example calls
``chat.completions.create`` instead, and it does not print ``e.response`` (eventide's errors
keep no HTTP response: docs/porting.md); a wait of seconds becomes a fraction of one.
"""

from __future__ import annotations

import httpx
import pytest

from eventide import Timeouts
from tests.http_server import Reply, ScriptedServer, refused_url
from tests.port.conftest import OPENAI_KEY, openai_reply


def test_openai_readme_chat_completions_create(
    openai_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(openai_reply(["Arr, use isinstance(obj, cls), matey!"]))

    # -- README, "Usage" (Chat Completions) -------------------------------------------------
    from eventide.compat.openai import OpenAI

    client = OpenAI()

    completion = client.chat.completions.create(
        model="gpt-5.5",
        messages=[
            {"role": "developer", "content": "Talk like a pirate."},
            {
                "role": "user",
                "content": "How do I check if a Python object is an instance of a class?",
            },
        ],
    )

    print(completion.choices[0].message.content)
    # ----------------------------------------------------------------------------------------

    assert capsys.readouterr().out == "Arr, use isinstance(obj, cls), matey!\n"
    (sent,) = openai_server.requests
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    body = sent.json()
    assert body["model"] == "gpt-5.5"
    assert [m["content"] for m in body["messages"]] == [
        "Talk like a pirate.",
        "How do I check if a Python object is an instance of a class?",
    ]


def test_openai_readme_streaming_chunks(
    openai_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(openai_reply(["This ", "is ", "a ", "test."]))

    # -- README, "Streaming responses" (Chat Completions) ------------------------------------
    from eventide.compat.openai import OpenAI

    client = OpenAI()

    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Say this is a test"}],
        stream=True,
    )
    for chunk in stream:
        print(chunk.choices[0].delta.content or "", end="")
    # ----------------------------------------------------------------------------------------

    assert capsys.readouterr().out == "This is a test."
    assert openai_server.requests[0].json()["stream"] is True


def _handling_errors() -> None:
    # -- README, "Handling errors" -----------------------------------------------------------
    import eventide.compat.openai as openai
    from eventide.compat.openai import OpenAI

    client = OpenAI()

    try:
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Say this is a test"}],
        )
    except openai.APIConnectionError as e:
        print("The server could not be reached")
        print(e.__cause__)  # an underlying Exception, likely raised within httpx.
    except openai.RateLimitError as e:  # noqa: F841
        print("A 429 status code was received; we should back off a bit.")
    except openai.APIStatusError as e:
        print("Another non-200-range status code was received")
        print(e.status_code)
    # ----------------------------------------------------------------------------------------


def test_openai_readme_handling_errors_connection_error(
    openai_server: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"{refused_url()}/v1")
    _handling_errors()
    assert capsys.readouterr().out.startswith("The server could not be reached\n")


def test_openai_readme_handling_errors_rate_limit(
    openai_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    error = (
        b'{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}'
    )
    headers = (("content-type", "application/json"), ("retry-after", "0"))
    openai_server.reply(Reply(status=429, headers=headers, body=[error]))
    _handling_errors()
    assert capsys.readouterr().out == "A 429 status code was received; we should back off a bit.\n"
    assert len(openai_server.requests) == 3  # max_retries=2 by default, as the SDK's


def test_openai_readme_handling_errors_status_error(
    openai_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    error = b'{"error":{"message":"The model `gpt-4o` does not exist","code":"model_not_found"}}'
    openai_server.reply(
        Reply(status=404, headers=(("content-type", "application/json"),), body=[error])
    )
    _handling_errors()
    assert capsys.readouterr().out == "Another non-200-range status code was received\n404\n"
    assert len(openai_server.requests) == 1  # a 404 is not retried


def test_openai_readme_retries(openai_server: ScriptedServer) -> None:
    limited = Reply(
        status=429,
        headers=(("content-type", "application/json"), ("retry-after", "0")),
        body=[b'{"error":{"message":"slow down","code":"rate_limit_exceeded"}}'],
    )
    openai_server.queue(limited, limited, limited, limited)

    # -- README, "Retries" -------------------------------------------------------------------
    from eventide.compat.openai import OpenAI

    # Configure the default for all requests:
    client = OpenAI(
        # default is 2
        max_retries=0,
    )

    # Or, configure per-request:
    client.with_options(max_retries=5).chat.completions.create(
        messages=[
            {
                "role": "user",
                "content": "How can I get the name of the current day in JavaScript?",
            }
        ],
        model="gpt-5.5",
    )
    # ----------------------------------------------------------------------------------------

    assert len(openai_server.requests) == 5  # four 429s retried, then the answer
    import eventide.compat.openai as openai

    openai_server.queue(limited)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(messages="hi", model="gpt-5.5")
    assert len(openai_server.requests) == 6  # max_retries=0: no retry
    client.close()


def test_openai_readme_timeouts(openai_server: ScriptedServer) -> None:
    # -- README, "Timeouts" ------------------------------------------------------------------
    from eventide.compat.openai import OpenAI

    # Configure the default for all requests:
    client = OpenAI(
        # 20 seconds (default is 10 minutes)
        timeout=20.0,
    )

    # More granular control:
    client = OpenAI(
        timeout=httpx.Timeout(60.0, read=5.0, write=10.0, connect=2.0),
    )

    # Override per-request:
    def override() -> None:
        client.with_options(timeout=0.2).chat.completions.create(
            messages=[
                {
                    "role": "user",
                    "content": "How can I list all files in a directory using Python?",
                }
            ],
            model="gpt-5.5",
        )

    # ----------------------------------------------------------------------------------------

    assert client.timeout == Timeouts(connect=2.0, read=5.0, write=10.0, pool=60.0)
    # "On timeout, an APITimeoutError is thrown", after the default two retries.
    import eventide.compat.openai as openai

    openai_server.reply(Reply(stall_before_headers=True))
    with pytest.raises(openai.APITimeoutError):
        override()
    assert len(openai_server.requests) == 3
    override_client = client.with_options(timeout=0.2)
    assert override_client.timeout == 0.2
    assert override_client is client.with_options(timeout=0.2)  # made once
    client.close()
    assert override_client.eventide.closed  # closed with the client it came from


def test_openai_readme_raw_response_headers(
    openai_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    head = (("content-type", "text/event-stream"), ("x-my-header", "my value"))
    openai_server.reply(
        lambda request: Reply(headers=head, body=openai_reply(["This is a test."])(request).body)
    )

    # -- README, "Accessing raw response data (e.g. headers)" --------------------------------
    from eventide.compat.openai import OpenAI

    client = OpenAI()
    # (the ignore goes when with_raw_response is typed on eventide's Completions)
    response = client.chat.completions.with_raw_response.create(  # type: ignore[attr-defined,unused-ignore]
        messages=[
            {
                "role": "user",
                "content": "Say this is a test",
            }
        ],
        model="gpt-5.5",
    )
    print(response.headers.get("X-My-Header"))

    # get the object that `chat.completions.create()` would have returned
    completion = response.parse()
    print(completion.choices[0].message.content)
    # ----------------------------------------------------------------------------------------

    assert capsys.readouterr().out == "my value\nThis is a test.\n"
