"""Headless Debian Chromium driven by Playwright against a real gunicorn (never a browser download)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gunicorn_server import Gunicorn

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_browser() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI") or os.environ.get("IRRITANTS_REQUIRE_BROWSER"):
            pytest.fail("Debian chromium is required in CI (apt-get install chromium)")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium per test process: each test opens its own context (cookies, storage, cache of its own)."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Servers:
    """The test session's gunicorn masters, one per environment, each started on first use and kept to the end.

    A master preloads the app; a test gets its worker fresh (``fresh``): the worker a test used is stopped when the
    test ends, before its data is cleaned, and the master forks a new one. So every test still starts on a new
    process (empty caches, no model loaded, no background thread) without paying for a new server each time.
    """

    def __init__(self, database_url: str, stack: contextlib.ExitStack) -> None:
        self.database_url, self.stack = database_url, stack
        self.running: dict[tuple[tuple[str, str], ...], Gunicorn] = {}

    @contextlib.contextmanager
    def fresh(self, env: dict[str, str]) -> Iterator[Gunicorn]:
        key = tuple(sorted(env.items()))
        server = self.running.get(key)
        if server is None:
            server = Gunicorn(self.database_url, workers=1, threads=4, env=env, preload=True)
            self.running[key] = self.stack.enter_context(server)
        server.wait_ready()
        try:
            yield server
        finally:
            server.recycle_workers()


@pytest.fixture(scope="session")
def servers(database_url: str) -> Iterator[Servers]:
    with contextlib.ExitStack() as stack:
        yield Servers(database_url, stack)


@pytest.fixture
def server(servers: Servers, make_app) -> Iterator[Gunicorn]:
    make_app()  # cleans the reports this test creates, once its worker is gone
    with servers.fresh({"IRRITANTS_FORM_MIN_FILL_SECONDS": "1"}) as running:
        yield running


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
