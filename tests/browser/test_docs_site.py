"""The built documentation site, served over loopback HTTP and opened in headless Chromium:
the pages render in the Material theme, the API reference has its mkdocstrings anchors, the
search box finds a page offline, and no page asks for anything beyond 127.0.0.1 (no web
fonts, no repository badge fetched from GitHub)."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.test_docs_site import build_site

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selenium import webdriver

# how long a page may take to load and settle; a loaded machine is slow
WAIT = 30.0


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site, built once (``mkdocs build --strict``, offline) and served on an ephemeral
    loopback port for the module's tests."""
    root = tmp_path_factory.mktemp("site")
    build_site(root)
    handler = functools.partial(_QuietHandler, directory=str(root))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built files, without a log line per request on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _open(browser: webdriver.Chrome, url: str) -> None:
    """Load `url` and wait until the page has settled: loaded, Material's script started (it
    fetches the search index at start-up), and no new request for half a second."""
    browser.get(url)
    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")
    wait.until(lambda _: any(name.endswith("/search_index.json") for name in _requests(browser)))
    seen, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 0.5:
        count = len(_requests(browser))
        if count != seen:
            seen, stable_since = count, time.monotonic()
        time.sleep(0.1)


def _requests(browser: webdriver.Chrome) -> list[str]:
    """Every URL the page has requested, failed requests included (Resource Timing lists
    them too)."""
    names = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert isinstance(names, list)
    return [str(name) for name in names]


def _assert_rendered(browser: webdriver.Chrome, *, heading: str, text: str) -> None:
    """The page is a Material page of this site that shows `heading` and `text`, requested
    nothing beyond loopback and logged no error."""
    assert browser.title.endswith("eventide"), browser.title
    assert browser.find_element(By.CSS_SELECTOR, ".md-content h1").text.rstrip("¶") == heading
    assert text in browser.find_element(By.CSS_SELECTOR, ".md-content").text
    primary = browser.find_element(By.CSS_SELECTOR, "nav.md-nav--primary")
    links = primary.find_elements(By.CSS_SELECTOR, "a.md-nav__link")
    assert len(links) > 20, "Material's navigation is missing"
    assert browser.find_element(By.CSS_SELECTOR, "header.md-header").is_displayed()
    # a font, script, badge or image from another host would show here, failed or not
    remote = [url for url in _requests(browser) if urlsplit(url).hostname != "127.0.0.1"]
    assert not remote, f"{browser.current_url} requested beyond loopback: {remote}"
    log: list[dict[str, Any]] = browser.get_log("browser")  # type: ignore[no-untyped-call]
    errors = [entry for entry in log if entry["level"] == "SEVERE"]
    assert not errors, errors


def test_home_page_renders(browser: webdriver.Chrome, site_url: str) -> None:
    _open(browser, site_url)
    _assert_rendered(browser, heading="eventide", text="one stream of typed events")
    assert browser.find_element(By.CSS_SELECTOR, ".md-content pre code").text.startswith(
        "import trio"
    )


def test_first_tutorial_page_renders(browser: webdriver.Chrome, site_url: str) -> None:
    _open(browser, site_url + "tutorial/first-stream/")
    _assert_rendered(browser, heading="The first stream", text="Metadata comes first, exactly once")


def test_reference_page_has_mkdocstrings_anchors(browser: webdriver.Chrome, site_url: str) -> None:
    _open(browser, site_url + "reference/events/#eventide.Metadata")
    _assert_rendered(browser, heading="Events", text="requested_model")
    anchor = browser.find_element(By.ID, "eventide.Metadata")
    assert anchor.get_attribute("class") is not None
    assert "Metadata" in anchor.text
    for name in ("TextDelta", "Finish", "Usage"):
        assert browser.find_elements(By.ID, f"eventide.{name}"), name
    # the link in the URL's fragment scrolled the class's heading into view
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", anchor)
    assert 0 <= float(top) < 400


def test_search_index_holds_the_tutorial(browser: webdriver.Chrome, site_url: str) -> None:
    _open(browser, site_url)
    text = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('search/search_index.json').then(r => r.text()).then(done, e => done(String(e)));"
    )
    locations = {doc["location"] for doc in json.loads(text)["docs"]}
    assert {"tutorial/first-stream/", "reference/events/"} <= locations


def test_search_box_finds_a_page(browser: webdriver.Chrome, site_url: str) -> None:
    _open(browser, site_url)
    query = browser.find_element(By.CSS_SELECTOR, "input[data-md-component='search-query']")
    query.click()  # the window is wide: the search box sits in the header
    query.send_keys("first_metadata")
    # the result list is redrawn as the worker answers: read it whole, in one script
    targets = WebDriverWait(browser, WAIT).until(
        lambda driver: driver.execute_script(
            "return Array.from(document.querySelectorAll('.md-search-result__item a'),"
            " link => new URL(link.href).pathname)"
        )
    )
    assert "/tutorial/metadata/" in targets, targets
