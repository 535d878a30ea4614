"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver`` packages), driven by
Selenium through ``/usr/bin/chromedriver``, for the tests that open real pages: the gateway's
chat page and the built documentation site.

A browser is not a pip package, so these tests are their own step of ``.ci/run`` (which
installs the two Debian packages first); the main suite does not collect them.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

if TYPE_CHECKING:
    from collections.abc import Iterator

CHROMIUM = os.environ.get("EVENTIDE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("EVENTIDE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")

# Headless, and nothing that reaches past loopback: no background networking, no component or
# sync updates, no QUIC (a closed network refuses them, and slowly).
_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium with an empty profile, quit after the test."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in _FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="eventide-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()
