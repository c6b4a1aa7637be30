"""End to end: the 纪委's weekly summary (/周报 on demand and the Monday push), /逾期."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.model import Duty, ListKind
from bot.offload import Offloader
from bot.services.items import ItemDraft
from messages import summary as summary_texts
from messages.chart import find_cjk_font
from tests.conftest import DISCIPLINE_GROUP, snapshot
from tests.travel import at

PNG = b"\x89PNG\r\n\x1a\n"
# the chart needs a CJK font (CI installs one); without it the text goes alone, tested below
needs_font = pytest.mark.skipif(find_cjk_font() is None, reason="no CJK font on this machine")


def drawn_here(monkeypatch) -> None:
    """Charts drawn in this process (the bot draws them in a child process, which a
    monkeypatched render_chart would not reach)."""
    async def here(self, fn, *args, **limits):
        return fn(*args)
    monkeypatch.setattr(Offloader, "run", here)


def texts(api, chat_id: int, since: int = 0) -> list[str]:
    return [m.plain for m in api.bot_messages(chat_id)[since:]]


def photos(api, chat_id: int) -> list:
    return [m for m in api.bot_messages(chat_id) if m.photo is not None]


async def finish(bot, api, user, code: str) -> None:
    """The owner taps 已完成 on the item in /我的清单."""
    await bot.send(user, "/mylist")
    page = api.last(user.id)
    data = next(d for label, d in page.buttons if d.startswith("it:done:"))
    await bot.press_data(user, page, data)
    assert "已完成" in api.callback_answers[-1].text, api.callback_answers[-1].text


def weekly_text(api, chat_id: int) -> str:
    return next(m.plain for m in api.bot_messages(chat_id) if "四责协同周报" in m.plain)


async def details(bot, api, user, chat=None) -> str:
    """Taps the summary's details button; the details it sends."""
    where = chat.id if chat is not None else user.id
    message = next(m for m in reversed(api.bot_messages(where))
                   if m.plain.startswith("📊 四责协同周报 · "))
    seen = len(api.bot_messages(where))
    await bot.press(user, message, summary_texts.DETAILS_BUTTON)
    return "\n".join(texts(api, where, seen))


async def test_weekly_on_demand_counts_each_number(bot, api, org, clock, world):
    clock.set(at(date(2026, 11, 30)))  # Monday: a (due 11-27) is 3 days late, b due 12-02
    liu = org.users["刘纪委"]
    await bot.send(liu, "/周报")
    text = weekly_text(api, liu.id)
    assert text.startswith("📊 四责协同周报 · 本周 11月30日\n")
    assert "事项 2 项 · 按期完成率 0%（2026年应完成 1 项，按期 0 项）" in text
    assert "🔴 逾期 1 · 🟡 7天内到期 1 · 🟢 正常推进 0 · ✅ 已完成 0" in text
    assert f"1. {world['a']} 逐笔核查公务接待报销凭证 · 周支书 · 逾期 3 天" in text
    assert f"1. {world['b']} 建立在建工程廉政风险点台账 · 王芳 · 12月2日到期" in text
    assert "四责（逾期/在办）：主体责任 0/0 · 监督责任 0/0 · 第一责任 0/0 · 一岗双责 1/2" in text
    assert "整改：未销号 0（逾期 0）· 待验收 0 · 已销号 0" in text
    assert "本周变化：办结 0 · 整改销号 0 · 新增逾期 0 · 升级督办 0" in text
    assert "约谈（2026年）：应谈" in text
    assert "/导出" in text and "/看板" in text
    # the rest, one tap away
    more = await details(bot, api, liu)
    assert "📊 四责协同周报 · 详细 · 本周 11月30日" in more
    assert "· 一岗双责 2 项：已完成 0，逾期 1，临期 1，正常 0，按期率 0%" in more
    assert "· 主体责任 0 项" in more  # every duty is shown, even an empty one
    assert "责任人 周支书（财务科党支部）· 逾期 3 天" in more
    assert "未销号 0 项（其中逾期 0 项）· 待验收 0 项 · 已销号 0 项" in more


async def test_weekly_mid_week_covers_this_week_so_far_on_one_screen(bot, api, org, clock,
                                                                    world):
    await many_overdue(bot, 40)
    clock.set(at(date(2026, 12, 3)))  # Thursday
    liu = org.users["刘纪委"]
    seen = len(api.bot_messages(liu.id))
    await bot.send(liu, "/weekly")
    sent = [m for m in api.bot_messages(liu.id)[seen:] if m.photo is None]
    assert len(sent) == 1  # one message, one phone screen
    text = sent[0].plain
    assert text.startswith("📊 四责协同周报 · 本周 11月30日—12月3日\n")
    assert len(text.splitlines()) <= summary_texts.SCREEN_LINES
    assert "🔴 逾期最久（共 42 项）" in text and "…另有 37 项" in text
    assert "新增逾期 1" in text  # b fell due on Wednesday 2 December
    assert [label for label, _ in sent[0].buttons] == [summary_texts.DETAILS_BUTTON]
    assert "很长的标题很长的标题很… · 陈书记 · 逾期 32 天" in text.split("\n")[9]


async def test_details_button_rechecks_the_right(bot, api, org, world):
    group = world["group"]
    await bot.send(org.users["刘纪委"], "/weekly", chat=group)
    message = next(m for m in api.bot_messages(group.id) if "四责协同周报" in m.plain)
    seen = len(api.bot_messages(group.id))
    before = await snapshot(bot)
    await bot.press(org.users["李明"], message, summary_texts.DETAILS_BUTTON)
    assert api.callback_answers[-1].text == "⛔ 周报只提供给纪委和党委书记。"
    assert len(api.bot_messages(group.id)) == seen
    await bot.press_data(org.users["刘纪委"], message, "wk:more:1")  # forged
    assert len(api.bot_messages(group.id)) == seen
    assert await snapshot(bot) == before
    more = await details(bot, api, org.users["陈书记"], group)
    assert "四责协同周报 · 详细" in more


@needs_font
async def test_weekly_on_demand_comes_with_its_chart(bot, api, org, clock, world):
    clock.set(at(date(2026, 11, 30)))
    liu = org.users["刘纪委"]
    await bot.send(liu, "/周报")
    chart = api.last(liu.id)
    assert "四责协同周报" in api.bot_messages(liu.id)[-2].plain
    assert chart.photo.startswith(PNG) and "各责任类型、各单位事项状态" in chart.plain


async def test_an_item_due_today_is_not_late_yet(bot, api, org, clock, world):
    clock.set(at(date(2026, 12, 2)))  # b is due today and open; a is overdue
    liu = org.users["刘纪委"]
    await bot.send(liu, "/weekly")
    text = weekly_text(api, liu.id)
    assert "按期完成率 0%（2026年应完成 1 项，按期 0 项）" in text
    assert "今天到期" in text

async def test_finishing_on_time_raises_the_rate(bot, api, org, clock, world):
    clock.set(at(date(2026, 11, 30)))
    await finish(bot, api, org.users["王芳"], world["b"])  # due 12-02, done early
    await bot.send(org.users["陈书记"], "/weekly")
    text = api.bot_messages(org.users["陈书记"].id)[-2].plain
    assert "按期完成率 50%（2026年应完成 2 项，按期 1 项）" in text
    assert "✅ 已完成 1" in text and "办结 1" in text


async def test_weekly_is_refused_to_others_and_elsewhere_with_no_data(bot, api, org, admin,
                                                                     world):
    li = org.users["李明"]
    unit_group = api.group(-2002, "财务科工作群")
    await bot.send(admin, "/bindgroup 单位 财务科", chat=unit_group)
    before = await snapshot(bot)
    await bot.send(li, "/周报")
    assert texts(api, li.id)[-1] == "⛔ 周报只提供给纪委和党委书记。"
    stranger = api.user(77, "路人")
    await bot.send(stranger, "/weekly")
    assert "还没有绑定身份" in texts(api, stranger.id)[-1]
    seen = len(api.bot_messages(unit_group.id))
    await bot.send(org.users["刘纪委"], "/weekly", chat=unit_group)
    assert texts(api, unit_group.id, seen) == ["周报只在纪委群或私聊中提供，请在那里发送 /weekly。"]
    assert not photos(api, unit_group.id)
    assert await snapshot(bot) == before


async def test_weekly_in_the_discipline_group(bot, api, org, world):
    group = world["group"]
    seen = len(api.bot_messages(group.id))
    await bot.send(org.users["李明"], "/weekly", chat=group)  # in the group, still not his
    assert texts(api, group.id, seen) == ["⛔ 周报只提供给纪委和党委书记。"]
    await bot.send(org.users["刘纪委"], "/weekly", chat=group)
    got = api.bot_messages(group.id)[seen + 1:]
    assert "四责协同周报" in got[0].plain
    assert find_cjk_font() is None or got[-1].photo.startswith(PNG)
    # privacy mode: the Chinese form never reaches the bot in a group
    await bot.send(org.users["刘纪委"], "/周报", chat=group)
    assert len(api.bot_messages(group.id)) == seen + 1 + len(got)


async def test_without_a_cjk_font_the_text_still_goes(bot, api, org, world, monkeypatch):
    drawn_here(monkeypatch)
    monkeypatch.setattr("messages.summary.render_chart", lambda data: None)
    liu = org.users["刘纪委"]
    await bot.send(liu, "/weekly")
    assert "四责协同周报" in api.last(liu.id).plain
    assert not photos(api, liu.id)


async def test_hostile_titles_are_escaped(bot, api, org, clock, world):
    await org.item("问题", "<b>公款&吃喝</b> & <i>", "主体责任", "陈书记", "某局党委",
                   "2026-11-24")
    clock.set(at(date(2026, 11, 30)))
    liu = org.users["刘纪委"]
    await bot.send(liu, "/weekly")
    message = api.bot_messages(liu.id)[-2]
    assert "&lt;b&gt;公款&amp;吃喝&lt;/b&gt; &amp; &lt;i&gt;" in message.text
    assert "<b>公款&吃喝</b> & <i>" in message.plain


async def many_overdue(bot, count: int) -> None:
    services = bot.app.bot_data.services
    admin = await services.people.actor_for(1, None)
    for n in range(count):
        await services.items.create(admin, ItemDraft(
            kind=ListKind.PROBLEM, title=f"逾期事项{n:02d}" + "很长的标题" * 35, duty=Duty.PRINCIPAL,
            owner="陈书记", unit="某局党委", due_date=date(2026, 11, 1 + n % 20)))


async def test_long_sections_are_cut_and_split_under_the_limit(bot, api, org, clock, world):
    await many_overdue(bot, 40)
    clock.set(at(date(2026, 11, 30)))
    liu = org.users["刘纪委"]
    seen = len(api.bot_messages(liu.id))
    await bot.send(liu, "/weekly")
    parts = [m for m in api.bot_messages(liu.id)[seen:] if m.photo is None]
    assert len(parts) == 1 and "🔴 逾期 41" in parts[0].plain
    whole = await details(bot, api, liu)
    assert whole.count("📊") == 1  # split; the fake Bot API refuses anything over 4096
    assert "…另有 26 项，发送 /导出 查看完整台账" in whole  # 15 of 41 shown


async def test_overdue_by_scope(bot, api, org, clock, world):
    clock.set(at(date(2026, 11, 30)))
    a = world["a"]
    for name in ("刘纪委", "陈书记", "李明"):  # all; all; 分管 财务科 (and 财务科党支部 below)
        await bot.send(org.users[name], "/逾期")
        text = texts(api, org.users[name].id)[-1]
        assert "共有 1 项逾期" in text and a in text and "逾期 3 天" in text, name
    await bot.send(org.users["王芳"], "/overdue")  # 分管 项目科: nothing overdue there
    assert texts(api, org.users["王芳"].id)[-1] == "✅ 您本人及分管单位的事项中没有逾期事项。"
    zhou = org.users["周支书"]
    before = await snapshot(bot)
    await bot.send(zhou, "/overdue")
    assert "您自己的逾期事项请发送 /待办 查看" in texts(api, zhou.id)[-1]
    assert await snapshot(bot) == before


async def test_overdue_is_not_posted_to_a_unit_group(bot, api, org, admin, clock, world):
    unit_group = api.group(-2002, "财务科工作群")
    await bot.send(admin, "/bindgroup 单位 财务科", chat=unit_group)
    clock.set(at(date(2026, 11, 30)))
    seen = len(api.bot_messages(unit_group.id))
    before = await snapshot(bot)
    for name in ("陈书记", "李明"):
        await bot.send(org.users[name], "/overdue", chat=unit_group)
    assert texts(api, unit_group.id, seen) == [
        "逾期事项汇总只在纪委群或私聊中提供，请在那里发送 /overdue。"] * 2
    assert await snapshot(bot) == before
    await bot.send(org.users["刘纪委"], "/overdue", chat=world["group"])  # the 纪委群: yes
    assert "共有 1 项逾期" in api.last(world["group"].id).plain


async def test_overdue_cuts_a_long_list(bot, api, org, clock, world):
    await many_overdue(bot, 45)
    clock.set(at(date(2026, 11, 30)))
    await bot.send(org.users["刘纪委"], "/overdue")
    whole = "\n".join(texts(api, org.users["刘纪委"].id)[-3:])
    assert "共有 46 项逾期" in whole and "…另有 6 项，发送 /导出 查看完整台账" in whole


def group_summaries(api) -> list:
    return [m for m in api.bot_messages(DISCIPLINE_GROUP)
            if m.photo is not None or "四责协同周报" in m.plain]


async def test_a_group_bound_after_monday_still_gets_that_weeks_summary(
        bot, api, org, admin, clock):
    clock.set(at(date(2026, 11, 30)))  # Monday: no 纪委 group yet, nothing claimed
    await bot.tick()
    group = api.group(DISCIPLINE_GROUP, "局纪委工作群")
    clock.set(at(date(2026, 12, 1), 10))
    await bot.send(admin, "/bindgroup 纪委", chat=group)
    await bot.tick()
    assert [m for m in api.bot_messages(group.id) if "四责协同周报" in m.plain]
    clock.set(at(date(2026, 12, 2)))
    count = len(api.bot_messages(group.id))
    await bot.tick()
    assert len(api.bot_messages(group.id)) == count  # once a week


@needs_font
async def test_monday_push_once_per_week_with_chart(bot, api, org, clock, world):
    for day in (date(2026, 11, 23), date(2026, 11, 24)):  # a week already under way
        clock.set(at(day))
        await bot.tick()
    assert [m.plain[:8] for m in group_summaries(api)][:1] == ["📊 四责协同周报"]
    first_week = len(group_summaries(api))
    assert first_week == 2  # text, then the chart, on Monday 23rd only
    clock.set(at(date(2026, 11, 30), 8, 59))
    await bot.tick()
    assert len(group_summaries(api)) == 2  # not before 09:00
    clock.set(at(date(2026, 11, 30), 9, 0))
    await bot.tick()
    await bot.tick()  # a second tick the same morning sends nothing more
    got = group_summaries(api)
    assert len(got) == 4 and got[2].photo is None and got[3].photo.startswith(PNG)
    assert got[2].plain.startswith("📊 四责协同周报 · 上周 11月23日—11月29日\n")


async def test_push_skips_a_holiday_monday(bot, api, org, clock, world):
    # 国庆 2026: Monday 5 October to Wednesday 7 October are days off
    for n in range(5, 10):
        clock.set(at(date(2026, 10, n)))
        await bot.tick()
        if group_summaries(api):
            break
    assert n == 8
    assert "四责协同周报 · 上周 9月28日—10月4日" in group_summaries(api)[0].plain


async def test_push_after_downtime_catches_up_once(bot, api, org, clock, world, settings):
    from bot.fake_telegram.driver import driven_bot

    clock.set(at(date(2026, 12, 2), 10, 0))  # down Monday and Tuesday: Wednesday catches up
    await bot.tick()
    assert len(group_summaries(api)) == 2
    async with driven_bot(settings, api, clock) as again:  # a restart on the same database
        clock.set(at(date(2026, 12, 3)))
        await again.tick()
    assert len(group_summaries(api)) == 2


async def test_chart_without_font_is_skipped_in_the_push(bot, api, org, clock, world,
                                                       monkeypatch):
    drawn_here(monkeypatch)
    monkeypatch.setattr("messages.summary.render_chart", lambda data: None)
    clock.set(at(date(2026, 11, 30)))
    await bot.tick()
    got = group_summaries(api)
    assert len(got) == 1 and got[0].photo is None
    async with bot.app.bot_data.services.db.read() as tx:
        from storage.outbox import OutboxStatus
        skipped = await tx.outbox.by_status(OutboxStatus.SKIPPED)
    assert [m.kind for m in skipped] == ["weekly_chart"]


@pytest.mark.parametrize("role_line", ["/登记 新纪委 纪委委员 局纪委"])
async def test_a_new_discipline_member_may_ask(bot, api, org, world, role_line):
    user = await org.person(30, "新纪委", role_line)
    await bot.send(user, "/weekly")
    assert "四责协同周报" in api.bot_messages(user.id)[-2].plain


async def test_response_rate_counts_delivered_reminders_and_answers(bot, api, org, clock, world):
    services = bot.app.bot_data.services
    zhou = org.users["周支书"]

    async def tally(name: str):
        scores = await services.summary.performance(date(2026, 1, 1), date(2026, 12, 31))
        return next(s.tally for s in scores.people if s.person.name == name)

    assert (await tally("周支书")).reminded == 0
    clock.set(at(date(2026, 11, 23)))
    await bot.tick()
    digest = api.last(zhou.id)
    first = await tally("周支书")
    assert first.reminded >= 1 and first.answered == 0 and first.response_rate == 0
    await bot.press(zhou, digest, "收到")
    await bot.press(zhou, digest, "收到")  # a double tap counts once
    answered = await tally("周支书")
    assert answered.answered == answered.reminded == first.reminded
    assert answered.response_rate == 1
    # the unit's tally is its people's
    scores = await services.summary.performance(date(2026, 1, 1), date(2026, 12, 31))
    unit = next(u.tally for u in scores.units if u.unit.name == "财务科党支部")
    assert (unit.reminded, unit.answered) == (answered.reminded, answered.answered)


async def test_a_chart_that_fails_to_draw_leaves_the_text(bot, api, org, world, monkeypatch):
    def broken(data):
        raise RuntimeError("matplotlib fell over")
    drawn_here(monkeypatch)
    monkeypatch.setattr("messages.summary.render_chart", broken)
    liu = org.users["刘纪委"]
    await bot.send(liu, "/weekly")
    assert "四责协同周报" in api.last(liu.id).plain and not photos(api, liu.id)
