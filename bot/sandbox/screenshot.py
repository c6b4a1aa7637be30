"""A picture of the sandbox page for `dutybot demo` (demo-output/sandbox.png): 李明's chat
after /我的清单, taken by the system's chromium through Playwright when both are here.
Without them the demo says so in one line and goes on."""

from __future__ import annotations

from pathlib import Path

from bot.browser import CHROMIUM_ARGS, chromium_path
from messages.sandbox import (
    NO_CHROMIUM,
    NO_PLAYWRIGHT,
    screenshot_unavailable,
    screenshot_written,
)

PERSON = 1003  # 李明, whose list has items of all three kinds
NAME = "sandbox.png"




async def sandbox_screenshot(folder: Path) -> str:
    """Write `folder`/sandbox.png; the line the demo prints either way."""
    path = chromium_path()
    if path is None:
        return screenshot_unavailable(NO_CHROMIUM)
    try:
        from playwright.async_api import Error, async_playwright
    except ImportError:
        return screenshot_unavailable(NO_PLAYWRIGHT)
    from bot.sandbox.server import running_sandbox

    target = folder / NAME
    try:
        async with running_sandbox(0) as (_sandbox, url), async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS))
            try:
                page = await browser.new_page(locale="zh-CN",
                                              viewport={"width": 480, "height": 900})
                await page.goto(f"{url}chat?as={PERSON}")
                await page.fill("#compose input[name=text]", "/我的清单")
                await page.click("#compose button")
                await page.wait_for_selector(".msg >> text=我的清单（共")
                folder.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(target), full_page=True)
            finally:
                await browser.close()
    except (Error, OSError) as exc:
        return screenshot_unavailable(str(exc).splitlines()[0][:120])
    return screenshot_written(str(target))
