"""The rough edges a new user hits in chat (issue 24, point 4): the bootstrap admin's
/start, the help header, the start-up warning without admins, the planner's log lines,
the words of guided /整改 新建, cut titles, rankings and the demo transcript."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.server import FakeTelegramServer
from bot.scheduling.scheduler import Scheduler
from tests.botprocess import ADMIN_ID, BotProcess
from tests.travel import at
from tests.wakes import goes_at_once, ticking_once


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
        # the server's clock in UTC, the office in Shanghai: the log speaks the office's time
        output = without.start(TZ="UTC", DUTYBOT_TIMEZONE="Asia/Shanghai").output()
        warning = next(line for line in output.splitlines()
                       if "DUTYBOT_ADMIN_IDS is empty" in line)  # the log line
        logged = datetime.strptime(warning[:19], "%Y-%m-%d %H:%M:%S")
        office = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        assert abs((office - logged).total_seconds()) < 120, (warning, office)
        assert "⚠️ 没有配置管理员：DUTYBOT_ADMIN_IDS 为空" in output  # the console line
        time.sleep(2.5)  # the first tick ran (one second after start): nothing to say
        output = without.output()
        assert "Running job" not in output and "executed successfully" not in output
        assert " tick " not in output
        without.stop()
        output = with_admin.start().output()
        assert "DUTYBOT_ADMIN_IDS" not in output
        with_admin.stop()
    finally:
        for process in (without, with_admin):
            process.kill_if_running()
        server.stop()


async def test_one_log_line_per_tick_only_when_something_was_planned_or_sent(
        bot, api, org, clock, world, caplog):
    services = bot.app.bot_data.services
    scheduler = Scheduler(bot.app, services, bot.sender)
    caplog.set_level(logging.INFO, logger="dutybot.scheduler")

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "dutybot.scheduler"]

    clock.set(at(date(2026, 11, 23)))  # 周支书's item a is due on the 27th: T-3 reminders
    await scheduler.tick()
    await scheduler.backup_done()
    assert len(lines()) == 1
    assert lines()[0].startswith("tick 2026-11-23 09:00 CST: planned ")
    assert "sent 0 Telegram messages" in lines()[0]
    await scheduler._drain_until_stopped()  # the sender's loop
    clock.set(at(date(2026, 11, 23), 9, 1))
    await scheduler.tick()
    assert len(lines()) == 2 and "planned 0 reminders" in lines()[1]
    sent = int(lines()[1].split("sent ")[1].split(" ")[0])
    assert sent == len([m for c in api.messages for m in api.bot_messages(c)
                        if "今日提醒" in m.plain or "四责协同周报" in m.plain
                        or m.photo is not None])
    for minute in (2, 3):  # idle ticks: nothing in the log
        clock.set(at(date(2026, 11, 23), 9, minute))
        await scheduler.tick()
    assert len(lines()) == 2


async def test_a_tick_that_lands_while_the_sender_drains_is_not_slept_through(
        bot, api, org, clock, world, monkeypatch):
    """The tick wakes the sender when it has planned; a wake that came while the sender was
    still draining (and found nothing yet) must not be lost: the push goes at once, not
    after the sender's idle timer (IDLE_SECONDS)."""
    import asyncio

    scheduler = Scheduler(None, bot.app.bot_data.services, bot.sender)
    ticked = asyncio.Event()
    # 周支书's item a: T-3 reminders
    monkeypatch.setattr(bot.sender, "drain", ticking_once(
        bot.sender.drain, scheduler, clock, at(date(2026, 11, 23)), ticked))
    await goes_at_once(scheduler, monkeypatch, ticked, lambda: any(
        "今日提醒" in m.plain for c in api.messages for m in api.bot_messages(c)), "the sender's")


async def test_guided_fix_asks_in_the_words_of_a_fix(bot, api, org):
    ji = org.users["刘纪委"]
    seen = len(api.bot_messages(ji.id))
    await bot.send(ji, "/整改 新建")
    first = api.last(ji.id).plain
    assert first.startswith("新建整改\n") and "新建清单事项" not in first
    assert "请输入需要整改的问题" in first
    await bot.send(ji, "财务科公务接待超标准问题整改")
    owner = api.last(ji.id).plain
    assert "整改问题：财务科公务接待超标准问题整改" in owner and "请选择整改责任人" in owner
    for answer in ("李明", "巡察", "2026-12-04"):
        await bot.send(ji, answer)
    due = api.last(ji.id).plain
    assert "整改责任人：李明（某局党委）" in due and "请输入整改完成期限。例如 2027-01-31" in due
    await bot.send(ji, "2026-12-31")
    confirm = api.last(ji.id).plain
    assert "整改完成期限：2026-12-31" in confirm and "截止日期" not in confirm
    assert "新建清单事项" not in "\n".join(m.plain for m in api.bot_messages(ji.id)[seen:])
    await bot.send(org.users["陈书记"], "/新建")  # an ordinary item keeps its own words
    assert api.last(org.users["陈书记"].id).plain.startswith("新建清单事项\n")


async def test_a_fix_notice_is_redrawn_after_it_is_signed_off(bot, api, org):
    from tests.test_e2e_fixes import create_fix
    from tests.test_e2e_replies import item_state

    ji, li = org.users["刘纪委"], org.users["李明"]
    main, plan = await create_fix(bot, api, ji)
    await bot.sender.drain()
    notice = api.last(li.id)
    assert "整改通知" in notice.plain
    plan_item, _ = await item_state(bot, plan)
    await bot.press_data(li, notice, f"it:done:{plan_item.id}:d")
    await bot.sender.drain()
    assert (f"{plan} · 待验收", f"it:st:{plan_item.id}:d") in notice.buttons
    await bot.press(ji, api.last(ji.id), "销号")
    await bot.sender.drain()
    labels = [label for label, _ in notice.buttons]
    assert labels[0] == f"{plan} · 已销号"  # no longer waiting: redrawn in 李明's chat
    assert labels[1:] == [f"收到 {main}", "进行中", "已完成", "申请延期"]


async def test_a_supervision_row_shows_its_status_as_a_status(bot, api, org, clock, world):
    li = org.users["李明"]
    clock.set(at(date(2026, 11, 30)))
    await bot.tick()
    digest = api.last(li.id)
    assert "请督办" in digest.plain
    labels = [label for label, _ in digest.buttons]
    assert labels == [f"收到 {world['a']}", "状态：未开始"]
    await bot.press(li, digest, "状态：未开始")  # it tells, and changes nothing
    assert "未开始" in api.callback_answers[-1].text


async def test_long_titles_are_cut_at_a_character_boundary(bot, api, org, clock, world):
    title = "甲" * 16 + "q\u0301" + "乙" * 3  # q with a combining accent at the cut
    code = await org.item("问题", title, "主体责任", "陈书记", "某局党委", "2026-11-24")
    clock.set(at(date(2026, 11, 30)))
    liu = org.users["刘纪委"]
    await bot.send(liu, "/周报")
    text = next(m.plain for m in api.bot_messages(liu.id) if "四责协同周报" in m.plain)
    line = next(line for line in text.splitlines() if code in line)
    assert "甲" * 16 + "… · 陈书记" in line and "q" not in line  # not a bare q, accent lost
    chen = org.users["陈书记"]
    await bot.send(chen, "/汇报")  # the item buttons cut titles the same way
    labels = [label for label, _ in api.last(chen.id).buttons if label.startswith(code)]
    assert labels == [f"{code} " + "甲" * 15 + "…"]


async def test_ties_in_a_ranking_are_shown_as_ties_and_a_flat_one_not_at_all(
        bot, api, org, clock, world):
    from tests.test_e2e_summary import details, finish

    clock.set(at(date(2026, 11, 20)))
    for name, unit in (("李明", "某局党委"), ("王芳", "某局党委")):
        for n in range(3):  # three each, left open past their day: 0 分 alike
            await org.item("措施", f"{name}的措施{n}", "一岗双责", name, unit, "2026-11-24")
    liu = org.users["刘纪委"]
    clock.set(at(date(2026, 11, 30)))
    await bot.send(liu, "/周报")
    assert "靠后" not in weekly_text(api, liu.id)  # everyone alike: no ranking
    more = await details(bot, api, liu)
    assert "个人靠前" not in more and "个人靠后" not in more and "暂不排名" in more
    # 周支书 finishes all of his on time: now there is something to rank, and a tie
    clock.set(at(date(2026, 11, 20)))
    for n in range(3):
        await org.item("措施", f"周支书的措施{n}", "一岗双责", "周支书", "财务科党支部",
                       "2026-11-25")
    for _ in range(4):  # and item a, due on the 27th
        await finish(bot, api, org.users["周支书"], "")
    clock.set(at(date(2026, 11, 30)))
    await bot.send(liu, "/周报")
    assert "按期与响应靠后：李明、王芳 并列 0 分" in api.bot_messages(liu.id)[-2].plain
    more = await details(bot, api, liu)
    assert "个人靠前：周支书（财务科党支部） 100 分" in more
    assert "个人靠后：李明（某局党委）、王芳（某局党委） 并列 0 分" in more


def weekly_text(api, chat_id: int) -> str:
    return next(m.plain for m in reversed(api.bot_messages(chat_id))
                if m.plain.startswith("📊 四责协同周报 · "))
