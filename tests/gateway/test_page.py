"""The chat page at ``/``: served without a key, with a Content-Security-Policy that allows
its own inline script and style (by hash) and nothing from elsewhere; ``HEAD`` too, any
other method 405. (tests/browser/test_chat_page.py drives it in Chromium.)"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from html.parser import HTMLParser
from importlib import resources

import httpx

from eventide.testing import Reply, ScriptedProvider
from tests.http_server import serve_in_thread

from .serving import gateway
from .test_uvicorn import uvicorn_gateway


class _Inline(HTMLParser):
    """The text of each inline script and style, and every attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self.attributes: list[tuple[str, str | None]] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += attrs
        if tag in self.inline:
            self._open = tag
            self.inline[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.inline[self._open][-1] += data


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


async def test_the_page_is_served_with_a_strict_policy_and_no_key() -> None:
    async with (
        gateway(ScriptedProvider(Reply.text("a")), api_keys=["sk-gateway"]) as url,
        httpx.AsyncClient() as http,
    ):
        page = await http.get(f"{url}/")
        models = await http.get(f"{url}/v1/models")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert models.status_code == 401  # the API still wants its key
    parsed = _Inline()
    parsed.feed(page.text)
    policy = _directives(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == [_sha256(text) for text in parsed.inline["script"]]
    assert policy["style-src"] == [_sha256(text) for text in parsed.inline["style"]]
    assert len(policy["script-src"]) == len(policy["style-src"]) == 1
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    assert policy["require-trusted-types-for"] == ["'script'"]
    # Nothing from elsewhere, and nothing inline that the policy would refuse.
    for name, value in parsed.attributes:
        assert not name.startswith("on"), name
        assert name != "style"
        if name in {"src", "href", "action"}:
            assert value is not None
            assert value.startswith("data:"), value
    assert not re.search(r"\.(inner|outer)HTML|insertAdjacentHTML|document\.write", page.text)
    assert "sk-gateway" not in page.text


async def test_head_and_other_methods() -> None:
    async with gateway(ScriptedProvider(Reply.text("a"))) as url, httpx.AsyncClient() as http:
        whole = await http.get(f"{url}/")
        head = await http.head(f"{url}/")
        posted = await http.post(f"{url}/", json={})
        below = await http.get(f"{url}/v1/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(whole.content))
    assert head.headers["content-security-policy"] == whole.headers["content-security-policy"]
    assert posted.status_code == 405
    assert posted.headers["allow"] == "GET, HEAD"
    assert posted.json()["error"]["type"] == "invalid_request_error"
    assert below.status_code == 404


def test_the_page_ships_in_the_package_and_is_read_on_first_request() -> None:
    assert resources.files("eventide.gateway").joinpath("page.html").is_file()
    script = (
        "import eventide.gateway, eventide.gateway._page as page;"
        "print(page._page.cache_info().currsize)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "0", done.stderr


def test_uvicorn_serves_the_page_and_its_head() -> None:
    with serve_in_thread() as upstream, uvicorn_gateway(upstream.url) as url:
        whole = httpx.get(f"{url}/")
        head = httpx.head(f"{url}/")
    assert whole.headers["content-type"] == "text/html; charset=utf-8"
    assert whole.text.startswith("<!doctype html>")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(whole.content))
