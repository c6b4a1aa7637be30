"""The 纪委 看板 in a real browser (issue 24): Debian's chromium through Playwright
(tests/browser.py), against the board's server as `dutybot run --board` starts it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.board.server import BoardServer
from tests.test_board import link_for, port, settings  # noqa: F401  (fixtures)


@pytest.fixture
async def served(bot, settings):  # noqa: F811
    host, bound = settings.board_address
    server = BoardServer(bot.app.bot_data.services.board, settings, host, bound)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def fresh_page(browser):
    context = await browser.new_context(locale="zh-CN")
    return context, await context.new_page()


async def test_a_link_opens_the_board_once_and_a_get_uses_nothing_up(
        bot, api, org, world, clock, served, browser, page):
    clock.advance(timedelta(days=7))  # Monday 30 Nov: world's a (due 27 Nov) is overdue
    url = await link_for(bot, api, org.users["刘纪委"])
    # a link preview or a scanner fetches the link first: it stays good
    context, preview = await fresh_page(browser)
    assert (await preview.goto(url)).status == 200
    await context.close()

    answer = await page.goto(url)
    assert answer.status == 200
    await page.click("button:text-is(\"进入看板\")")
    await page.wait_for_url("**/board/")  # the POST, its 303, and the board
    red = await page.text_content("#red")
    assert world["a"] in red and "逐笔核查公务接待报销凭证" in red
    assert await page.is_visible("#trend svg") or "近12周没有到期的事项" in (
        await page.text_content("#trend"))
    await page.reload()  # the session cookie holds
    assert world["a"] in await page.text_content("#red")

    # the same link a second time, in another browser: refused
    context, other = await fresh_page(browser)
    again = await other.goto(url)
    assert again.status == 403 and "已经用过" in await other.text_content("body")
    await context.close()


async def test_a_members_link_shows_only_their_scope(bot, api, org, world, clock, served,
                                                     browser):
    clock.advance(timedelta(days=7))
    url = await link_for(bot, api, org.users["李明"])  # 分管 财务科 (and its 党支部)
    context, page = await fresh_page(browser)
    await page.goto(url)
    await page.click("button:text-is(\"进入看板\")")
    await page.wait_for_url("**/board/")  # the POST, its 303, and the board
    body = await page.text_content("body")
    assert "范围：本人事项和分管单位" in body
    assert world["a"] in body  # 周支书's, in 财务科党支部
    assert world["b"] not in body  # 王芳's, in 项目科
    await context.close()


async def test_the_demo_photographs_the_board(bot, org, world, settings, tmp_path,  # noqa: F811
                                              monkeypatch):
    from bot.board.screenshot import board_screenshot
    from tests.browser import chromium_path, unavailable

    if chromium_path() is None:
        unavailable("chromium not found")
    services = bot.app.bot_data.services
    shot, skipped = await board_screenshot(services, settings, tmp_path / "out", "刘纪委")
    assert skipped is None and shot == tmp_path / "out" / "board.png"
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    # without a browser: one line, and the demo goes on
    monkeypatch.setenv("DUTYBOT_CHROMIUM", str(tmp_path / "no-such-browser"))
    shot, skipped = await board_screenshot(services, settings, tmp_path / "out2", "刘纪委")
    assert shot is None and "chromium" in skipped and len(skipped.splitlines()) == 1
