"""`dutybot demo`'s picture of the 看板 (issue 24): the demo unit's board as one person sees
it, logged in the way anyone is (a one-time link, then 进入看板), shot by Debian's chromium
through Playwright and written to `<folder>/board.png`. Without chromium or Playwright the
demo says so in one line and goes on.

Everything stays on 127.0.0.1: the board's server on a free port of this machine, the
browser with no network of its own."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.browser import CHROMIUM_ARGS, chromium_path
from bot.config import Settings
from bot.domain.board import login_url
from bot.domain.model import CONSOLE
from bot.services.registry import Services

FILE_NAME = "board.png"




def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def board_screenshot(services: Services, settings: Settings, folder: Path,
                           name: str) -> tuple[Path | None, str | None]:
    """(the file written, None), or (None, the one line saying why not)."""
    from messages.board import screenshot_skipped

    browser_path = chromium_path()
    if browser_path is None:
        return None, screenshot_skipped("chromium")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        return None, screenshot_skipped("playwright")
    from bot.board.server import BoardServer

    port = _free_port()
    local = settings.model_copy(update={"board_url": f"http://127.0.0.1:{port}",
                                        "board_listen": f"127.0.0.1:{port}"})
    server = BoardServer(services.board, local, "127.0.0.1", port)
    await server.start()
    try:
        issued = await services.board.link_for_name(CONSOLE, name)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / FILE_NAME
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=browser_path,
                                               args=list(CHROMIUM_ARGS))
            try:
                page = await browser.new_page(locale="zh-CN",
                                              viewport={"width": 900, "height": 1200})
                await page.goto(login_url(local.board_url or "", issued.token))
                await page.click("button#enter")
                await page.wait_for_url("**/")
                await page.wait_for_selector("#trend")
                await page.screenshot(path=str(target), full_page=True)
            finally:
                await browser.close()
        return target, None
    except Exception as exc:  # the demo goes on without its picture
        return None, screenshot_skipped("failed", type(exc).__name__)
    finally:
        await server.stop()
