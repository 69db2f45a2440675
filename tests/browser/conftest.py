"""Headless Debian Chromium driven by Playwright against a real gunicorn (never a browser download)."""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def server(database_url: str, make_app) -> Iterator[Gunicorn]:
    make_app()  # cleans the reports this test creates
    with Gunicorn(database_url, workers=1, threads=4, env={"IRRITANTS_FORM_MIN_FILL_SECONDS": "1"}) as running:
        yield running


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
