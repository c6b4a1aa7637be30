"""End to end: /提醒设置 shows and changes the policy; bad input changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import snapshot
from tests.travel import Diary, travel


async def test_shows_the_policy_with_usage(bot, api, admin):
    await bot.send(admin, "/提醒设置")
    text = api.last(admin.id).plain
    assert "当前提醒设置" in text and "T-7、T-3、T-1、T-0" in text and "09:00" in text
    assert "21:00-08:00" in text and "逾期第 3 天告知分管领导和书记" in text
    assert "/提醒设置 提前 7,3,1,0" in text
    await bot.send(admin, "/remindsettings")
    assert "当前提醒设置" in api.last(admin.id).plain


async def test_changing_lead_days_changes_the_plan(bot, api, org, clock, world, admin):
    await bot.send(admin, "/提醒设置 提前 5，2、0")
    text = api.last(admin.id).plain
    assert "提醒设置已更新" in text and "T-5、T-2、T-0（已修改）" in text
    diary = Diary(api)
    await travel(bot, clock, diary, date(2026, 11, 23), date(2026, 11, 27))
    zhou = org.users["周支书"].id
    # A due Friday 27 Nov: T-5 is Sunday 22 (so reached on Monday), T-2 Wednesday, T-0 Friday
    assert [d for d, _ in diary.days[zhou]] == [date(2026, 11, 23), date(2026, 11, 25),
                                                date(2026, 11, 27)]


async def test_escalation_steps_can_be_switched_off(bot, api, org, clock, world, admin):
    await bot.send(admin, "/remindsettings overdue 1,0,0")
    assert "不告知分管领导和书记" in api.last(admin.id).plain
    diary = Diary(api)
    await travel(bot, clock, diary, date(2026, 11, 30), date(2026, 12, 7))
    assert org.users["李明"].id not in diary.days and -1001 not in diary.days


async def test_reset_restores_the_rules_file(bot, api, admin):
    await bot.send(admin, "/提醒设置 时间 10:30")
    await bot.send(admin, "/提醒设置 恢复默认")
    text = api.last(admin.id).plain
    assert "已恢复默认" in text and "09:00" in text and "已修改" not in text


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("/提醒设置 提前 7,abc", "不是天数"),
        ("/提醒设置 提前 61", "0 到 60"),
        ("/提醒设置 提前 3,3", "不能重复"),
        ("/提醒设置 时间 25:00", "不是有效的时间"),
        ("/提醒设置 时间 明天", "不是时间"),
        ("/提醒设置 时间 22:00", "免打扰时段内"),
        ("/提醒设置 免打扰 21:00", "21:00-08:00"),
        ("/提醒设置 免打扰 08:00-10:00", "免打扰时段内"),
        ("/提醒设置 逾期 1,3", "3 个天数"),
        ("/提醒设置 颜色 红", "用法"),
        ("/提醒设置 提前", "用法"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(bot, api, admin, line, reply):
    await bot.send(admin, "/提醒设置")
    shown = api.last(admin.id).plain
    before = await snapshot(bot)
    await bot.send(admin, line)
    assert reply in api.last(admin.id).plain
    assert await snapshot(bot) == before
    await bot.send(admin, "/提醒设置")
    assert api.last(admin.id).plain == shown


async def test_only_admins_change_settings(bot, api, org):
    li = org.users["李明"]
    before = await snapshot(bot)
    for line in ("/提醒设置", "/提醒设置 时间 10:00"):
        await bot.send(li, line)
        assert "只能由管理员" in api.last(li.id).plain
    stranger = api.user(888, "路人")
    await bot.send(stranger, "/remindsettings lead 1")
    assert "只能由管理员" in api.last(stranger.id).plain
    assert await snapshot(bot) == before
