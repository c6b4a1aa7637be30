"""End to end: what the outbox does when Telegram says no, slow down, or nothing at all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import ADMIN_ID
from tests.travel import at


async def outbox(bot, status: str) -> list:
    from storage.outbox import OutboxStatus
    async with bot.app.bot_data.services.db.read() as tx:
        return await tx.outbox.by_status(OutboxStatus(status))


async def test_a_blocked_user_is_marked_admins_told_once_others_unaffected(
        bot, api, org, clock, world):
    zhou, wang = org.users["周支书"], org.users["王芳"]
    api.block(zhou)
    clock.set(at(date(2026, 11, 25)))  # A at T-3 for 周支书, B at T-7 for 王芳
    await bot.tick()
    assert "今日提醒" in api.last(wang.id).plain  # the others get theirs
    notices = [m.plain for m in api.bot_messages(ADMIN_ID) if "无法给" in m.plain]
    assert notices == [notices[0]] and "周支书（财务科党支部）" in notices[0]
    assert len(await outbox(bot, "undeliverable")) == 1
    # the next workday: tried again (it may work by then), but the admin hears nothing new
    clock.set(at(date(2026, 11, 26)))
    await bot.tick()
    assert [m.plain for m in api.bot_messages(ADMIN_ID) if "无法给" in m.plain] == notices
    # unblocked: the next digest arrives, and the mark is gone
    api.blocked.clear()
    clock.set(at(date(2026, 11, 27)))
    await bot.tick()
    assert "今日提醒" in api.last(zhou.id).plain
    async with bot.app.bot_data.services.db.read() as tx:
        assert await tx.persons.undeliverable() == set()


async def test_a_user_who_never_opened_the_bot(bot, api, org, clock, world):
    zhou = org.users["周支书"]
    api.started.discard(zhou.id)  # bound with a link, but never pressed Start
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()
    assert any("无法给 周支书" in m.plain for m in api.bot_messages(ADMIN_ID))


async def test_retry_after_pauses_and_loses_nothing(bot, api, org, clock, world):
    zhou = org.users["周支书"]
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3",
                  {"retry_after": 3})
    clock.set(at(date(2026, 11, 24)))
    assert await bot.tick() == 0  # paused at once
    assert bot.sender.pause_left() > 0
    assert len(await outbox(bot, "pending")) == 1
    bot.sender.paused_until = 0  # as if the wait was over
    clock.set(clock.now() + timedelta(seconds=3))
    assert await bot.sender.drain() == 1
    assert "今日提醒" in api.last(zhou.id).plain
    assert len(await outbox(bot, "pending")) == 0


async def test_network_errors_retry_with_backoff_then_give_up(bot, api, org, clock, world):
    zhou = org.users["周支书"]
    api.fail_next("sendMessage", 0, "connection reset")
    clock.set(at(date(2026, 11, 24)))
    assert await bot.tick() == 0
    assert await bot.sender.drain() == 0  # not before the back-off
    clock.set(clock.now() + timedelta(seconds=31))
    assert await bot.sender.drain() == 1
    digests = [m for m in api.bot_messages(zhou.id) if "今日提醒" in m.plain]
    assert len(digests) == 1
    # a message that never gets through is given up after many tries, and logged
    api.fail_next("sendMessage", 0, "connection reset", times=50)
    clock.set(at(date(2026, 11, 25)))
    await bot.tick()
    for _ in range(20):
        clock.set(clock.now() + timedelta(hours=5))
        await bot.sender.drain()
    assert len(await outbox(bot, "pending")) == 0
    assert len(await outbox(bot, "failed")) == 1


async def test_a_refused_message_does_not_block_the_queue(bot, api, org, clock, world):
    api.fail_next("sendMessage", 400, "Bad Request: something unexpected")
    clock.set(at(date(2026, 11, 27)))  # A at T-0 for 周支书, B at T-3 for 王芳
    assert await bot.tick() == 1
    assert len(await outbox(bot, "failed")) == 1 and len(await outbox(bot, "pending")) == 0


async def test_a_group_that_became_a_supergroup(bot, api, org, clock, world):
    new_id = -1009999
    api.group(new_id, "局纪委工作群")
    api.fail_next("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
                  {"migrate_to_chat_id": new_id})
    clock.set(at(date(2026, 12, 4)))  # A at T+7: the 纪委 group
    await bot.tick()
    await bot.sender.drain()
    assert "逾期事项通报" in api.last(new_id).plain
    async with bot.app.bot_data.services.db.read() as tx:
        assert await tx.groups.discipline_chats() == (new_id,)


async def test_quiet_hours_hold_messages_until_morning(bot, api, org, clock, world, admin):
    zhou = org.users["周支书"]
    await bot.send(admin, "/提醒设置 时间 07:30")
    assert "免打扰时段内" in api.last(admin.id).plain  # the default quiet hours end at 08:00
    await bot.send(admin, "/提醒设置 免打扰 07:00-07:15")
    await bot.send(admin, "/提醒设置 时间 07:30")
    assert "提醒设置已更新" in api.last(admin.id).plain
    clock.set(at(date(2026, 11, 24), 7, 5))  # quiet: nothing is planned or sent
    assert await bot.tick() == 0
    clock.set(at(date(2026, 11, 24), 7, 40))
    assert await bot.tick() == 1
    await bot.send(admin, "/提醒设置 免打扰 21:00-08:00")
    assert "免打扰时段内" in api.last(admin.id).plain  # 07:30 would never be sent
    # held in the outbox during quiet hours, sent when they end
    await bot.send(admin, "/提醒设置 时间 09:00")
    await bot.send(admin, "/提醒设置 免打扰 21:00-08:00")
    count = len(api.bot_messages(zhou.id))
    clock.set(at(date(2026, 11, 26), 9))
    await bot.app.bot_data.services.reminders.tick()  # planned, not yet sent
    clock.set(at(date(2026, 11, 26), 22))
    assert await bot.sender.drain() == 0
    clock.set(at(date(2026, 11, 27), 8, 1))
    assert await bot.sender.drain() >= 1
    assert len(api.bot_messages(zhou.id)) == count + 1


@pytest.mark.parametrize("year_day", [date(2026, 12, 28)])
async def test_admins_are_told_once_about_an_estimated_year(bot, api, org, clock, admin,
                                                           year_day):
    await org.item("措施", "年初工作部署", "一岗双责", "周支书", "财务科党支部", "2027-01-04")
    clock.set(at(year_day))
    await bot.tick()
    clock.set(at(year_day + timedelta(days=1)))
    await bot.tick()
    notices = [m.plain for m in api.bot_messages(ADMIN_ID) if "工作日历提示" in m.plain]
    assert len(notices) == 1 and "2027年" in notices[0] and "[calendar.2027]" in notices[0]
