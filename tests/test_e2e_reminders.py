"""End to end: the clock travels, the bot plans at 09:00 on workdays, the outbox sends.
Assertions are on what each chat received, day by day."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.model import Duty, ListKind
from bot.fake_telegram.driver import driven_bot
from tests.conftest import DISCIPLINE_GROUP, snapshot
from tests.travel import Diary, at, travel


async def test_a_fortnight_of_reminders(bot, api, org, clock, world):
    diary = Diary(api)
    await travel(bot, clock, diary, date(2026, 11, 23), date(2026, 12, 6))
    a, b = world["a"], world["b"]
    users = org.users
    expected = {
        # A is due Friday 27 Nov: made at T-4, so its T-7 stage goes out on the first day
        users["周支书"].id: [(date(2026, 11, 23), (a,)), (date(2026, 11, 24), (a,)),
                           (date(2026, 11, 26), (a,)), (date(2026, 11, 27), (a,)),
                           (date(2026, 11, 30), (a,))],  # T+1 is Saturday: Monday
        # B is due Wednesday 2 Dec: T-3 is Sunday, moved to Friday
        users["王芳"].id: [(date(2026, 11, 25), (b,)), (date(2026, 11, 27), (b,)),
                         (date(2026, 12, 1), (b,)), (date(2026, 12, 2), (b,)),
                         (date(2026, 12, 3), (b,))],
        # T+3 of A: 李明 分管 财务科, above 财务科党支部; and the 书记
        users["李明"].id: [(date(2026, 11, 30), (a,))],
        users["陈书记"].id: [(date(2026, 11, 30), (a,))],
        # T+7 of A reaches the 纪委 group (Friday 4 Dec); B's T+3 falls on Monday 7 Dec
        DISCIPLINE_GROUP: [(date(2026, 12, 4), (a,))],
    }
    for chat_id, days in expected.items():
        assert diary.days.get(chat_id) == days, (chat_id, diary.days.get(chat_id))
    assert users["刘纪委"].id not in diary.days  # the 纪委 hear it in their group
    assert org.admin.id not in diary.days
    # every step is in the 履责纪实, once
    async with bot.app.bot_data.services.db.read() as tx:
        events = await tx.events.for_subject("item", int(a[1:]))
    steps = [(e.kind, e.data["stage"]) for e in events if e.kind in ("overdue_notice", "escalated")]
    assert steps == [("overdue_notice", "T+1"), ("escalated", "T+3"), ("escalated", "T+7")]
    sent = sorted((e.data["recipient"], e.data["stage"]) for e in events
                  if e.kind == "reminder_sent")
    assert len(sent) == len(set(sent)) == 5 + 2 + 1  # owner's five, two leaders, the group


async def test_digest_reads_clearly_and_has_a_button_per_item(bot, api, org, clock, world):
    clock.set(at(date(2026, 11, 30)))
    await bot.tick()
    digest = api.last(org.users["李明"].id)
    text = digest.plain
    assert "今日提醒" in text and "李明，您有 1 项事项需要关注" in text
    assert "请督办" in text and "责任人 周支书（财务科党支部）" in text
    assert "逐笔核查公务接待报销凭证" in text and "逾期3天" in text
    item_id = int(world["a"][1:])
    # a leader asked to 督促 may confirm and look; the owner's buttons are the owner's
    assert digest.buttons == [(f"收到 {world['a']}", f"it:ack:{item_id}:d"),
                              ("状态：未开始", f"it:st:{item_id}:d")]
    assert api.last(org.users["周支书"].id).buttons == [
        (f"收到 {world['a']}", f"it:ack:{item_id}:d"), ("进行中", f"it:go:{item_id}:d"),
        ("已完成", f"it:done:{item_id}:d"), ("申请延期", f"it:ext:{item_id}:d")]
    own = api.last(org.users["周支书"].id).plain
    assert "已逾期" in own and "措施清单" in own and "截止 2026-11-27（周五）" in own
    clock.set(at(date(2026, 12, 4)))
    await bot.tick()
    group = api.last(DISCIPLINE_GROUP)
    assert "逾期事项通报" in group.plain and "提请纪委督办" in group.plain
    assert "责任人 周支书（财务科党支部）" in group.plain and "逾期7天" in group.plain
    assert not group.buttons


async def test_nothing_on_weekends_or_twice_a_day(bot, api, org, clock, world):
    zhou = org.users["周支书"].id
    clock.set(at(date(2026, 11, 24)))
    assert await bot.tick() > 0
    count = len(api.bot_messages(zhou))
    clock.set(at(date(2026, 11, 24), 15))  # later the same day
    assert await bot.tick() == 0
    clock.set(at(date(2026, 11, 28)))  # Saturday
    assert await bot.tick() == 0
    assert len(api.bot_messages(zhou)) == count


async def test_before_the_send_time_nothing_goes(bot, api, org, clock, world):
    clock.set(at(date(2026, 11, 24), 8, 59))
    assert await bot.tick() == 0
    clock.set(at(date(2026, 11, 24), 9, 0))
    assert await bot.tick() > 0


async def test_after_downtime_the_plan_catches_up_once(bot, api, org, clock, world):
    diary = Diary(api)
    # down from Tuesday to Thursday: Friday brings one digest with A at T-0, nothing more
    await travel(bot, clock, diary, date(2026, 11, 23), date(2026, 11, 27),
                 skip={date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)})
    a, b = world["a"], world["b"]
    assert diary.days[org.users["周支书"].id] == [(date(2026, 11, 23), (a,)),
                                                 (date(2026, 11, 27), (a,))]
    assert diary.days[org.users["王芳"].id] == [(date(2026, 11, 27), (b,))]


async def test_a_restart_sends_nothing_twice(settings, api, org, clock, world, bot):
    zhou = org.users["周支书"].id
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()
    count = len(api.bot_messages(zhou))
    async with driven_bot(settings, api, clock) as again:  # a second process on the same DB
        clock.set(at(date(2026, 11, 24), 10))
        assert await again.tick() == 0
    assert len(api.bot_messages(zhou)) == count


async def test_acknowledging_a_reminder(bot, api, org, clock, world):
    zhou, li = org.users["周支书"], org.users["李明"]
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()
    digest = api.last(zhou.id)
    before = await snapshot(bot)
    await bot.press(li, digest, "收到")  # someone else (the message forwarded, say)
    assert "不是给您的" in api.callback_answers[-1].text or "失效" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    await bot.press(zhou, digest, "收到")
    assert api.callback_answers[-1].text == f"已确认收到 {world['a']}"
    assert digest.buttons[0][0] == f"✅ 收到 {world['a']}" and digest.edits == 1
    after_first = await snapshot(bot)
    await bot.press(zhou, digest, world["a"])  # a double tap
    assert "已经确认过了" in api.callback_answers[-1].text
    assert await snapshot(bot) == after_first and digest.edits == 1


async def test_forged_acknowledgements_change_nothing(bot, api, org, clock, world):
    zhou = org.users["周支书"]
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()
    digest = api.last(zhou.id)
    before = await snapshot(bot)
    for data in ("it:ack:", "it:ack:abc", "it:ack:99999", f"it:ack:{int(world['b'][1:])}",
                 "it:ack:1:2:3", "it:ack:" + "9" * 40, "it:ack:-1", "it:ack:0", "it:ack:1:zz",
                 "it:boom:1", "it", "it:ack:1:l99999"):
        await bot.press_data(zhou, digest, data)
        assert "失效" in api.callback_answers[-1].text, data
    stranger = api.user(777, "陌生人")
    await bot.press(stranger, digest, "收到")
    assert api.callback_answers[-1].text
    assert await snapshot(bot) == before


async def test_a_digest_over_a_backlog_lists_the_most_urgent_and_counts_the_rest(
        bot, api, org, clock, world):
    """A first run over an old backlog: 40 long-overdue items of one person. Each digest
    lists 30, the longest overdue first, and counts the rest; every reminder in it is sent
    and can be acknowledged all the same."""
    services = bot.app.bot_data.services
    zhou = await services.people.actor_for(org.users["周支书"].id)
    person = zhou.person
    backlog = []
    async with services.db.transaction() as tx:
        for n in range(40):
            item = await tx.items.add(
                kind=ListKind.MEASURE, title=f"积压事项{n:02d}", duty=Duty.DUAL,
                owner_id=person.id, unit_id=person.unit_id, parent_id=None, source=None,
                due_date=date(2026, 9, 1) + timedelta(days=n), now=clock.now())
            backlog.append(item)
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()

    digests = [m for m in api.bot_messages(org.users["周支书"].id) if "今日提醒" in m.plain]
    assert len(digests) == 1  # one digest, in one part
    own = digests[0]
    text = own.plain
    assert "周支书，您有 41 项事项需要关注" in text  # the 40, and A at T-3
    assert "……另有 11 项，发送 /待办 查看全部" in text
    listed = [n for n in range(40) if f"积压事项{n:02d}" in text]
    assert listed == list(range(30))  # the longest overdue
    assert "逐笔核查公务接待报销凭证" not in text  # A is due in three days: not listed
    assert len(own.buttons) > 0 and f"收到 {backlog[0].code}" in own.buttons[0][0]

    group = next(m.plain for m in api.bot_messages(DISCIPLINE_GROUP)  # T+7 of all forty
                 if "逾期事项通报" in m.plain)  # (the week's summary came too)
    assert "以下 40 项事项逾期已久" in group and "……另有 10 项未逐一列出" in group
    assert sum(f"积压事项{n:02d}" in group for n in range(40)) == 30
    leader = api.last(org.users["李明"].id).plain  # T+3: 李明 分管 财务科
    assert "您有 40 项事项需要关注" in leader and "……另有 10 项" in leader

    async with services.db.read() as tx:
        sent = await tx.events.for_subject("item", backlog[-1].id)
    assert [e.data["recipient"] for e in sent if e.kind == "reminder_sent"
            and e.data["stage"] == "T+1"] == [f"p:{person.id}"]
    # an item the digest did not list is acknowledged like any other
    acked = await services.reminders.acknowledge(zhou, backlog[-1].id)
    assert acked.first
    a = await services.reminders.acknowledge(zhou, int(world["a"][1:]))
    assert a.first


async def test_an_ended_ladder_stays_quiet_until_the_date_or_the_policy_moves(
        bot, api, org, clock, world):
    """Once every lane of an item had its last stage, the plan no longer reads it (bench
    (b)); what each chat receives is as before: nothing more, unless the policy gets a
    later last stage or the due date moves."""
    services = bot.app.bot_data.services
    zhou, a = org.users["周支书"].id, world["a"]
    diary = Diary(api)
    await travel(bot, clock, diary, date(2026, 11, 30), date(2026, 12, 4))
    assert diary.days[DISCIPLINE_GROUP] == [(date(2026, 12, 4), (a,))]  # T+7: A's ladder ends
    async with services.db.read() as tx:
        items, _ = await tx.reminders.candidates(date(2026, 12, 31), ("T+7", "T+3", "T+1"))
    assert int(a[1:]) not in {i.id for i in items}

    diary = Diary(api)
    await travel(bot, clock, diary, date(2026, 12, 5), date(2026, 12, 7))
    assert a not in str(diary.days)  # nothing more for A
    admin = await services.people.actor_for(org.admin.id)
    await services.reminders.change_setting(admin, "escalation", "1,3,10")
    await travel(bot, clock, diary, date(2026, 12, 8), date(2026, 12, 8))
    assert diary.days[DISCIPLINE_GROUP] == [(date(2026, 12, 8), (a,))]  # T+10, due Monday 7th
    assert zhou not in diary.days

    async with services.db.transaction() as tx:  # the date moves (as an import may do it)
        await tx.items.set_due(int(a[1:]), date(2026, 12, 21), clock.now())
    diary = Diary(api)
    await travel(bot, clock, diary, date(2026, 12, 9), date(2026, 12, 14))
    assert diary.days[zhou] == [(date(2026, 12, 14), (a,))]  # T-7 of the new date
