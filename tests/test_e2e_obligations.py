"""End to end: obligations from the rules file land on the right people's lists and are
reminded like any item; a 民主生活会 triggers its report."""

from __future__ import annotations

from datetime import date

from tests.conftest import snapshot
from tests.travel import Diary, at, travel


async def test_yearly_obligations_appear_in_the_lists(bot, api, org, clock):
    await bot.tick()
    chen, li, liu = org.users["陈书记"], org.users["李明"], org.users["刘纪委"]
    await bot.send(chen, "/我的清单")
    pages = [m.plain for m in api.bot_messages(chen.id)[-1:]]
    text = pages[0]
    assert "【履责事项】" in text
    assert "2026年度党委主体责任报告（双报告）" in text  # due 31 Jan 2027
    assert "2026年廉政谈话：李明" in text and "2026年廉政谈话：王芳" in text  # with 班子成员
    assert "2026年逐级约谈：周支书" in text  # with the 下级书记
    await bot.send(li, "/mylist")
    text = api.last(li.id).plain
    assert "2026年廉政谈话：周支书" in text  # 周支书 heads a branch under 李明's 财务科
    assert "2026年度书面述责述廉（报纪委）" in text
    titles = await own_titles(bot, liu.id)
    assert "2026年第4季度责任追究情况报告" in titles and "典型案例通报（2026年12月）" in titles
    assert "2026年度纪委监督责任报告（双报告）" in titles


async def own_titles(bot, telegram_id: int) -> set[str]:
    """Titles of the active items someone owns (the 纪委 see everything in /我的清单)."""
    async with bot.app.bot_data.services.db.read() as tx:
        person = await tx.persons.by_telegram_id(telegram_id)
        return {i.title for i in await tx.items.due_for_owner(person.id, date(2030, 1, 1))}


async def test_obligations_are_made_once(bot, api, org, clock):
    await bot.tick()
    first = await snapshot(bot)
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()
    await bot.tick()
    assert (await snapshot(bot))[2] == first[2]


async def test_the_next_period_appears_when_one_is_due(bot, api, org, clock):
    clock.set(at(date(2026, 12, 30)))
    await bot.tick()
    liu = org.users["刘纪委"]
    clock.set(at(date(2027, 1, 4)))
    await bot.tick()
    titles = await own_titles(bot, liu.id)
    assert "2027年第1季度责任追究情况报告" in titles
    assert "2026年第4季度责任追究情况报告" in titles  # still open, now overdue
    assert "典型案例通报（2027年2月）" in titles


async def test_a_democratic_life_meeting_triggers_its_report(bot, api, org, clock):
    chen = org.users["陈书记"]
    await bot.send(chen, "/民主生活会 11月20日")
    text = api.last(chen.id).plain
    assert "已登记 2026-11-20（周五） 召开的民主生活会" in text
    assert "民主生活会情况报上级纪委（11月20日召开）" in text and "2026-11-27" in text
    assert "廉政谈话" not in text  # only what the meeting triggered is listed
    before = await snapshot(bot)
    await bot.send(chen, "/meeting 2026-11-20")  # the same meeting again
    assert "之前已经登记过" in api.last(chen.id).plain
    assert (await snapshot(bot))[2] == before[2]
    await bot.send(chen, "/待办")
    assert "民主生活会情况报上级纪委" in api.last(chen.id).plain
    # reminded like any item: T-3 on Tuesday 24 Nov, overdue notices after 27 Nov
    diary = Diary(api)
    await travel(bot, clock, diary, date(2026, 11, 23), date(2026, 11, 30))
    assert [d for d, _ in diary.days[chen.id]] == [date(2026, 11, 23), date(2026, 11, 24),
                                                   date(2026, 11, 26), date(2026, 11, 27),
                                                   date(2026, 11, 30)]


async def test_meeting_refusals_change_nothing(bot, api, org, admin):
    li, chen = org.users["李明"], org.users["陈书记"]
    before = await snapshot(bot)
    await bot.send(li, "/民主生活会 11月20日")
    assert "只能由管理员或党委书记" in api.last(li.id).plain
    await bot.send(chen, "/民主生活会 12月20日")  # 20 Dec is still to come this year
    assert "还没到" not in api.last(chen.id).plain  # read as last year's 20 Dec
    assert await snapshot(bot) != before
    before = await snapshot(bot)
    for line, reply in (("/民主生活会 2026-12-20", "还没到"), ("/民主生活会 下周", "看不懂日期"),
                        ("/民主生活会", "用法")):
        await bot.send(admin, line)
        assert reply in api.last(admin.id).plain, line
    assert await snapshot(bot) == before


async def test_a_secretary_who_takes_office_later_does_not_inherit_an_old_meeting(
        bot, api, org, clock, admin):
    chen = org.users["陈书记"]
    await bot.send(chen, "/民主生活会 11月2日")  # its report was due on 9 Nov
    new = await org.person(20, "新书记", "/登记 新书记 党委书记 某局党委")
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()
    assert not any("民主生活会" in t for t in await own_titles(bot, new.id))
    assert any("民主生活会" in t for t in await own_titles(bot, chen.id))
    await bot.send(new, "/民主生活会 11月23日")  # one held on their watch is theirs
    assert "已列入 新书记 的清单" in api.last(new.id).plain
