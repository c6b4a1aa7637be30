"""The rough edges a new user hits in chat (issue 24, point 4): the bootstrap admin's
/start, the help header, the start-up warning without admins, the planner's log lines,
the words of guided /整改 新建, cut titles, rankings and the demo transcript."""

from __future__ import annotations

from pathlib import Path

from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.server import FakeTelegramServer
from tests.botprocess import ADMIN_ID, BotProcess


async def test_the_bootstrap_admins_start_says_they_are_an_admin_and_what_to_do(bot, api,
                                                                              admin):
    await bot.send(admin, "/start")
    text = api.last(admin.id).plain
    assert "您是配置中的管理员" in text and "不需要邀请链接" in text
    assert "索取邀请链接" not in text
    for first_step in ("Excel（.xlsx）", "/新建单位", "/登记", "/bindgroup", "/帮助"):
        assert first_step in text, first_step
    stranger = api.user(77, "路人")  # someone else still asks the office for an invite
    await bot.send(stranger, "/start")
    assert "请向党委办公室索取邀请链接" in api.last(stranger.id).plain


async def test_the_help_header_says_each_role_once(bot, api, admin, org):
    await bot.send(admin, "/help")
    header = api.last(admin.id).plain.split("\n", 1)[0]
    assert header == "四责协同助手 · 管理员"
    await bot.send(org.users["陈书记"], "/help")
    header = api.last(org.users["陈书记"].id).plain.split("\n", 1)[0]
    assert header == "四责协同助手 · 陈书记（党委书记）"


def test_start_up_warns_when_no_admin_is_configured(tmp_path: Path) -> None:
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    without = BotProcess(api, server, tmp_path / "a.db", tmp_path / "without", admin_ids="")
    with_admin = BotProcess(api, server, tmp_path / "b.db", tmp_path / "with",
                            admin_ids=str(ADMIN_ID))
    try:
        output = without.start().output()
        assert "DUTYBOT_ADMIN_IDS is empty" in output  # the log line
        assert "⚠️ 没有配置管理员：DUTYBOT_ADMIN_IDS 为空" in output  # the console line
        without.stop()
        output = with_admin.start().output()
        assert "DUTYBOT_ADMIN_IDS" not in output
        with_admin.stop()
    finally:
        for process in (without, with_admin):
            process.kill_if_running()
        server.stop()
