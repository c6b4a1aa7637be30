"""End to end: what the outbox does when Telegram says no, slow down, or nothing at all."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bot.config import load_settings
from bot.services.delivery import DeliveryService
from storage.outbox import ANSWER_KIND, OutboxStatus
from tests.conftest import ADMIN_ID, DISCIPLINE_GROUP
from tests.travel import at


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """These tests count what the outbox holds: the weekly summary (tested in
    test_e2e_summary.py) is switched off here."""
    monkeypatch.chdir(tmp_path)
    rules = tmp_path / "rules.toml"
    rules.write_text('[summary]\nweekday = ""\n', encoding="utf-8")
    return load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db", DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                         TELEGRAM_API_BASE_URL="https://api.telegram.org",
                         DUTYBOT_RULES=str(rules))


async def outbox(bot, status: str) -> list:
    """The pushes in that state (answers to commands left out)."""
    async with bot.app.bot_data.services.db.read() as tx:
        return [m for m in await tx.outbox.by_status(OutboxStatus(status))
                if m.kind != ANSWER_KIND]


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


async def test_a_digest_that_fails_all_day_is_folded_into_the_next(bot, api, org, clock, world):
    zhou = org.users["周支书"]
    api.fail_next("sendMessage", 0, "connection reset", times=1000)
    clock.set(at(date(2026, 11, 25)))  # A at T-3
    await bot.tick()
    for _ in range(10):
        clock.set(clock.now() + timedelta(hours=1))
        await bot.sender.drain()
    api.clear_failures()
    clock.set(at(date(2026, 11, 26)))  # A at T-1: one digest, A listed once
    await bot.tick()
    digests = [m for m in api.bot_messages(zhou.id) if "今日提醒" in m.plain]
    assert len(digests) == 1 and "2026-11-26" in digests[0].plain
    assert digests[0].plain.count(world["a"]) == 1 and len(digests[0].buttons) == 4
    assert len(await outbox(bot, "superseded")) == 2  # 周支书's and 王芳's of 25 Nov


async def test_a_notice_that_never_gets_through_is_given_up(bot, api, org, clock, admin):
    await org.item("措施", "年初工作部署", "一岗双责", "周支书", "财务科党支部", "2027-01-04")
    api.fail_next("sendMessage", 0, "connection reset", times=1000)
    clock.set(at(date(2026, 12, 28)))
    await bot.tick()
    for _ in range(30):  # the back-off doubles up to 4 hours; nothing goes in quiet hours
        clock.set(clock.now() + timedelta(hours=4))
        await bot.sender.drain()
    failed = await outbox(bot, "failed")
    # and the 纪委书记's two report drafts of 31 Dec (their text parts never got through)
    assert sorted(m.kind for m in failed) == ["calendar_notice", "case_draft", "case_draft"]


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
    # planned but not sent before quiet hours began: held, then folded into the next
    # day's digest rather than sent at 08:00 and again at 09:00
    await bot.send(admin, "/提醒设置 时间 09:00")
    await bot.send(admin, "/提醒设置 免打扰 21:00-08:00")
    count = len(api.bot_messages(zhou.id))
    clock.set(at(date(2026, 11, 26), 9))
    await bot.app.bot_data.services.reminders.tick()  # planned, not yet sent
    clock.set(at(date(2026, 11, 26), 22))
    assert await bot.sender.drain() == 0
    clock.set(at(date(2026, 11, 27), 8, 1))
    assert await bot.sender.drain() == 0
    clock.set(at(date(2026, 11, 27), 9))
    assert await bot.tick() >= 1
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


async def test_a_digest_never_goes_out_on_a_weekend(bot, api, org, clock, world):
    zhou, wang = org.users["周支书"], org.users["王芳"]
    clock.set(at(date(2026, 11, 27)))  # Friday: planned, then the bot died before sending
    await bot.app.bot_data.services.reminders.tick()
    clock.set(at(date(2026, 11, 28), 10))  # back on Saturday morning
    assert await bot.tick() == 0
    clock.set(at(date(2026, 11, 30)))  # Monday: one digest each, Friday's folded in
    await bot.tick()
    for user in (zhou, wang):
        digests = [m for m in api.bot_messages(user.id) if "今日提醒" in m.plain]
        assert [("2026-11-30" in m.plain) for m in digests[-1:]] == [True]
        assert not any("2026-11-27" in m.plain.split("\n")[0] for m in digests)


async def test_a_new_account_gets_what_was_waiting(bot, api, org, clock, world, admin):
    zhou = org.users["周支书"]
    api.fail_next("sendMessage", 0, "connection reset")
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()  # the digest waits for a retry
    await bot.send(admin, "/邀请 周支书")
    code = re.search(r"start=([\w-]+)", api.last(admin.id).plain).group(1)
    phone = api.user(9014, "周支书新号")
    await bot.send(phone, f"/start {code}")
    clock.set(clock.now() + timedelta(minutes=1))
    await bot.sender.drain()
    assert any("今日提醒" in m.plain for m in api.bot_messages(phone.id))
    assert not any("今日提醒" in m.plain for m in api.bot_messages(zhou.id))


async def test_a_migrated_group_already_registered_under_its_new_id(bot, api, org, clock, world,
                                                                   admin):
    new = api.group(-1007777, "局纪委工作群（超级群）")
    await bot.send(admin, "/bindgroup 纪委", chat=new)  # the admin re-registered it already
    api.fail_next("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
                  {"migrate_to_chat_id": new.id})
    clock.set(at(date(2026, 12, 4)))  # A at T+7 for the 纪委 groups; B at T+1 for 王芳
    await bot.tick()
    await bot.sender.drain()
    assert sum("逾期事项通报" in m.plain for m in api.bot_messages(new.id)) == 2
    assert "今日提醒" in api.last(org.users["王芳"].id).plain  # the queue was not blocked
    async with bot.app.bot_data.services.db.read() as tx:
        assert await tx.groups.discipline_chats() == (new.id,)


async def test_a_removed_discipline_group_falls_back_to_the_discipline_secretary(
        bot, api, org, clock, world, admin):
    api.kicked.add(DISCIPLINE_GROUP)
    group_b = await org.item("措施", "第二项逾期事项", "一岗双责", "周支书", "财务科党支部",
                             "2026-11-30")
    clock.set(at(date(2026, 12, 4)))  # A at T+7: the group cannot be reached
    await bot.tick()
    assert any("无法向群" in m.plain for m in api.bot_messages(ADMIN_ID))
    clock.set(at(date(2026, 12, 9)))  # the second item at T+7: to the 纪委书记 in private
    await bot.tick()
    liu = org.users["刘纪委"]
    assert group_b in api.last(liu.id).plain and "请督办" in api.last(liu.id).plain
    api.kicked.clear()  # the bot is added back and the group registered again
    await bot.send(admin, "/bindgroup 纪委", chat=world["group"])
    async with bot.app.bot_data.services.db.read() as tx:
        assert await tx.groups.discipline_chats() == (DISCIPLINE_GROUP,)


async def test_an_unexpected_fault_fails_one_message_not_the_queue(bot, api, org, clock, world,
                                                                  monkeypatch):
    real = DeliveryService.delivered
    calls = []

    async def broken_once(self, msg, *args):
        calls.append(msg.id)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return await real(self, msg, *args)

    monkeypatch.setattr(DeliveryService, "delivered", broken_once)
    clock.set(at(date(2026, 11, 27)))  # two digests: 周支书 and 王芳
    await bot.tick()
    assert len(calls) == 2
    assert [m.kind for m in await outbox(bot, "failed")] == ["digest"]
    assert len(await outbox(bot, "sent")) == 1
