"""A real browser for the web pages' tests (the sandbox, the 看板): Debian's `chromium`
driven by Playwright, launched with the system browser's path (Playwright's own browser
download does not work offline). Without chromium or Playwright the browser tests are
skipped, loudly; in CI (`CI=true`) they fail instead: CI must have run them. `.ci/run`
installs chromium when it is missing."""

from __future__ import annotations

import os

import pytest

from bot.browser import CHROMIUM_ARGS, chromium_path


def unavailable(reason: str) -> None:
    """Skip loudly, or fail in CI: the browser tests must run there."""
    message = (f"BROWSER TESTS NOT RUN: {reason} (install Debian's chromium: "
               "apt-get install -y chromium, and `pip install -e '.[test]'` for Playwright)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
async def browser():
    """A fresh headless chromium for one test (its own empty profile)."""
    path = chromium_path()
    if path is None:
        unavailable("chromium not found")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        unavailable("Playwright is not installed")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser):
    context = await browser.new_context(locale="zh-CN")
    try:
        yield await context.new_page()
    finally:
        await context.close()
