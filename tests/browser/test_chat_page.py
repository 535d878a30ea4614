"""The gateway's chat page in headless Chromium: it streams through the gateway and shows,
per answer, the provider that served, the served model, the failed attempts and the time to
first token; it keeps the conversation, stops mid-stream (and the upstream sees the client
leave), shows errors beside the partial answer, and asks for a key when the gateway wants one.

The gateway runs under hypercorn on trio in a thread of its own, in front of a router whose
first provider always answers 503 and whose second is a real loopback OpenAI-compatible
server (tests/http_server.py)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import trio
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from eventide.gateway._page import _page
from eventide.providers import OpenAIChat
from eventide.routing import Fallback, RetryPolicy
from eventide.testing import Reply, ScriptedProvider
from tests.gateway.serving import gateway
from tests.http_server import (
    DISCONNECT_BUDGET,
    Cut,
    Pause,
    Stall,
    openai_chunks,
    serve_in_thread,
    slow,
)
from tests.http_server import Reply as ServerReply

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selenium.webdriver import Chrome
    from selenium.webdriver.remote.webelement import WebElement

    from tests.http_server import Piece, ScriptedServer

UPSTREAM_KEY = "sk-upstream-secret-7"
SERVED = "gpt-4o-mini-2024-07-18"  # the model the upstream says served


@contextmanager
def gateway_in_thread(upstream: ScriptedServer, **options: Any) -> Iterator[str]:
    """Serve a router through the gateway, in a ``trio.run`` of its own thread: a primary
    that always answers 503, then the loopback `upstream`. Yields the gateway's URL."""
    url: list[str] = []
    token: list[trio.lowlevel.TrioToken] = []
    ready = threading.Event()
    stop = trio.Event()

    async def main() -> None:
        down = ScriptedProvider(
            respond=lambda request: Reply.http_error(503, {"error": {"message": "over capacity"}}),
            name="primary",
        )
        backup = OpenAIChat(
            base_url=f"{upstream.url}/v1", api_key=UPSTREAM_KEY, model="gpt-4o-mini", name="backup"
        )
        router = Fallback([down, backup], retry=RetryPolicy(attempts=1))
        async with down, backup, gateway(router, **options) as address:
            url.append(address)
            token.append(trio.lowlevel.current_trio_token())
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            trio.run(main)
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="gateway", daemon=True)
    thread.start()
    ready.wait(10)
    assert url, "the gateway did not start"
    try:
        yield url[0]
    finally:
        with suppress(trio.RunFinishedError):
            token[0].run_sync_soon(stop.set)
        thread.join(10)
        assert not thread.is_alive(), "the gateway did not stop"


def answer(texts: list[str], *, tail: list[Piece] | None = None, hold: float = 0) -> ServerReply:
    """The upstream's streamed answer, a delta every 50 ms (`tail`: instead of its end;
    `hold`: seconds to wait after the first delta)."""
    chunks = slow(openai_chunks(texts, model=SERVED), 0.05)
    body = chunks if tail is None else [*chunks[: 2 * len(texts) + 2], *tail]
    return ServerReply(body=[*body[:4], Pause(hold), *body[4:]])


def wait(browser: Chrome, condition: Any, timeout: float = 15) -> Any:
    return WebDriverWait(browser, timeout, poll_frequency=0.05).until(condition)


def last(browser: Chrome, part: str) -> WebElement:
    """The `part` (a class) of the last turn on the page."""
    return browser.find_element(By.CSS_SELECTOR, f"#log .turn:last-child .{part}")


def ask(browser: Chrome, question: str) -> None:
    box = browser.find_element(By.ID, "prompt")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


def finished(browser: Chrome, turns: int) -> Any:
    """A wait condition: the page shows `turns` turns, the last one ended."""

    def check(driver: Chrome) -> bool:
        shown = driver.find_elements(By.CSS_SELECTOR, "#log .turn")
        reply = last(driver, "reply") if shown else None
        return (
            len(shown) == turns
            and reply is not None
            and reply.get_attribute("aria-busy") == "false"
        )

    return check


def test_the_page_streams_an_answer_with_its_provenance_and_keeps_the_conversation(
    browser: Chrome,
) -> None:
    with serve_in_thread() as upstream:
        upstream.queue(
            answer(["Blue ", "light ", "scatters."], hold=1),
            answer(["Because ", "of ", "Rayleigh."]),
        )
        with gateway_in_thread(upstream, models=["gpt-4o-mini", "gpt-4o"]) as url:
            browser.get(f"{url}/")
            assert browser.title == "eventide"
            wait(browser, lambda d: d.find_element(By.ID, "status").text == "2 models")
            assert browser.find_element(By.ID, "model").get_attribute("value") == "gpt-4o-mini"
            assert not browser.find_element(By.ID, "key-box").is_displayed()

            ask(browser, "Why is the sky blue?")
            # The answer streams in: the first delta is on the page before the last is sent.
            wait(browser, lambda d: last(d, "answer").text == "Blue ")
            assert last(browser, "state").text == "streaming…"
            assert upstream.completed == 0
            wait(browser, finished(browser, 1))
            assert last(browser, "answer").text == "Blue light scatters."
            assert last(browser, "provider").text == "backup"
            assert last(browser, "served-model").text == SERVED
            attempts = last(browser, "attempts").text
            assert attempts == "primary (gpt-4o-mini): overloaded: HTTP 503: over capacity"
            assert last(browser, "ttft").text.endswith(" ms")
            assert int(last(browser, "ttft").text.removesuffix(" ms")) >= 50
            assert last(browser, "tokens").text == "12 in, 3 out"
            assert last(browser, "state").text == "done"
            assert last(browser, "request-id").text.startswith("req_")
            assert not last(browser, "error").is_displayed()

            ask(browser, "Why?")
            wait(browser, finished(browser, 2))
            assert last(browser, "answer").text == "Because of Rayleigh."
            assert last(browser, "provider").text == "backup"
    first, second = (request.json() for request in upstream.requests)
    assert first["messages"] == [{"role": "user", "content": "Why is the sky blue?"}]
    assert second["messages"] == [
        {"role": "user", "content": "Why is the sky blue?"},
        {"role": "assistant", "content": "Blue light scatters."},
        {"role": "user", "content": "Why?"},
    ]
    assert second["model"] == "gpt-4o-mini"
    assert second["stream"] is True


def test_stop_keeps_the_partial_answer_and_the_upstream_sees_the_client_leave(
    browser: Chrome,
) -> None:
    with serve_in_thread() as upstream:
        upstream.queue(answer(["Half ", "an ", "answer"], tail=[Stall()]), answer(["Again."]))
        with gateway_in_thread(upstream) as url:
            browser.get(f"{url}/")
            wait(browser, lambda d: "default model" in d.find_element(By.ID, "status").text)
            ask(browser, "Tell me everything.")
            wait(browser, lambda d: last(d, "answer").text == "Half an answer")
            stop = browser.find_element(By.ID, "stop")
            assert stop.is_enabled()
            stop.click()  # returns once Chromium has run the click's handler
            clicked = time.monotonic()
            seen = upstream.wait_disconnect_sync(timeout=5)
            assert seen - clicked < DISCONNECT_BUDGET  # through the gateway and the router
            wait(browser, finished(browser, 1))
            assert last(browser, "state").text == "stopped"
            assert last(browser, "answer").text == "Half an answer"
            assert not stop.is_enabled()

            ask(browser, "Go on.")
            wait(browser, finished(browser, 2))
            assert last(browser, "answer").text == "Again."
    # The stopped answer, as far as it came, is part of the conversation.
    assert upstream.requests[1].json()["messages"][1] == {
        "role": "assistant",
        "content": "Half an answer",
    }


def test_errors_are_shown_beside_the_partial_answer(browser: Chrome) -> None:
    refused = ServerReply(
        status=500,
        headers=[("content-type", "application/json")],
        body=[b'{"error": {"message": "the upstream broke"}}'],
    )
    with serve_in_thread() as upstream:
        upstream.queue(answer(["Cut ", "short"], tail=[Cut()]), refused)
        with gateway_in_thread(upstream) as url:
            browser.get(f"{url}/")
            ask(browser, "One")
            wait(browser, finished(browser, 1))
            assert last(browser, "answer").text == "Cut short"
            assert last(browser, "error").text.startswith("The stream failed (")
            assert last(browser, "state").text == "failed"

            ask(browser, "Two")
            wait(browser, finished(browser, 2))
            error = last(browser, "error").text
            assert error.startswith("HTTP 500: ")
            assert "every candidate failed" in error
            assert last(browser, "answer").text == ""
            assert last(browser, "state").text == "failed (not kept in the conversation)"
            page = browser.page_source
    assert UPSTREAM_KEY not in page


def test_a_gateway_with_keys_asks_for_one_and_keeps_it_out_of_the_url(browser: Chrome) -> None:
    with serve_in_thread() as upstream:
        upstream.queue(answer(["Keyed."]))
        with gateway_in_thread(upstream, api_keys=["sk-gateway"]) as url:
            browser.get(f"{url}/")  # the page itself needs no key
            wait(browser, lambda d: d.find_element(By.ID, "key-box").is_displayed())
            assert browser.find_element(By.ID, "status").text == "The gateway asks for an API key."

            ask(browser, "Without a key?")
            wait(browser, finished(browser, 1))
            assert last(browser, "error").text.startswith("HTTP 401: missing or wrong API key")
            assert not upstream.requests

            key = browser.find_element(By.ID, "key")
            key.send_keys("sk-gateway", Keys.TAB)  # a change reloads the models
            wait(browser, lambda d: "default model" in d.find_element(By.ID, "status").text)
            ask(browser, "With one.")
            wait(browser, finished(browser, 2))
            assert last(browser, "answer").text == "Keyed."
            assert "sk-gateway" not in browser.current_url
            stored = browser.execute_script(
                "return [localStorage.length, sessionStorage.length, document.cookie]"
            )
            assert stored == [0, 0, ""]
    assert upstream.requests[0].headers["authorization"] == f"Bearer {UPSTREAM_KEY}"


def test_the_page_reads_server_sent_events_split_anywhere(browser: Chrome) -> None:
    """Frames cut across reads, a CR LF cut between two reads, bare CR line ends, a
    comment, and a UTF-8 character cut in two: the page reads them as the SSE rules say.
    (The page is served here by a scripted server, which sends the body in these pieces.)"""
    html, headers = _page()
    page = ServerReply(
        headers=[(name.decode(), value.decode()) for name, value in headers], body=[html]
    )
    models = ServerReply(
        headers=[("content-type", "application/json")], body=[b'{"object":"list","data":[]}']
    )
    first = (
        b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"served-x",\r',
        b'\ndata: "provider":"prov-y","attempts":[],"choices":[{"index":0,'
        b'"delta":{"role":"assistant","content":""},"finish_reason":null}]}\r\n\r\n',
    )
    pieces = [
        *first,  # one event in two data lines, the CR LF between them cut in two
        b": ping\n\n",
        b'data: {"choices":[{"index":0,"delta":{"content":"caf\xc3',
        b'\xa9 "}}]}\r\rdata: {"choices":[{"index":0,"delta":{"con',
        b'tent":"ok"}}]}\n',
        b"\n",
        b'data:{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
    ]
    chat = ServerReply(body=slow(pieces, 0.05))
    routes = {"/": page, "/v1/models": models, "/v1/chat/completions": chat}
    with serve_in_thread(lambda request: routes[request.path]) as server:
        browser.get(f"{server.url}/")
        ask(browser, "Split?")
        wait(browser, finished(browser, 1))
        assert last(browser, "answer").text == "caf\u00e9 ok"
        assert last(browser, "provider").text == "prov-y"
        assert last(browser, "served-model").text == "served-x"
        assert last(browser, "attempts").text == "none"
        assert last(browser, "state").text == "done"
    assert server.requests[-1].headers["x-eventide-include"] == "attempts"
